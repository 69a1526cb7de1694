# GreedyHash (Su et al., NeurIPS 2018): b = sgn(z) forward, identity
# gradient; cross-entropy of a linear classifier on b (softmax; multi-label
# datasets set multi_label=True: a sigmoid per class) + alpha * mean
# | |z| - 1 |^3, alpha = 0.1; no continuation. The head (hash layer and the
# loss's classifier) at 10x the backbone's lr. Dataset configs add
# model.head.loss.num_classes and optim_wrapper.paramwise_cfg.
method_head = dict(
    type='LinearHashHead',
    loss=dict(
        _delete_=True, type='GreedyHashLoss', alpha=0.1, multi_label=False))
method_hooks = []
method_paramwise_cfg = dict(
    custom_keys=dict(_delete_=True, head=dict(lr_mult=10.0)))
