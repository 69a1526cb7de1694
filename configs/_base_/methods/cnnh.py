# CNNH (Xia et al., AAAI 2014), stage 2: tanh(z) regressed onto the target
# codes that stage 1 (tools/cnnh_targets.py CONFIG) learned from the
# training set's similarity matrix; no continuation. Dataset configs add
# model.head.targets_file.
method_head = dict(
    type='TargetCodeHashHead',
    loss=dict(_delete_=True, type='CodeRegressionLoss'))
method_hooks = []
