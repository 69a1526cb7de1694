# DPN (Fan et al., IJCAI 2020): polarization loss max(0, m - u t) per bit
# of the real outputs u = z towards each image's hash center t (as CSQ's),
# m = 1; no continuation. Dataset configs add model.head.loss.num_classes.
method_head = dict(
    type='LinearHashHead',
    loss=dict(_delete_=True, type='DPNLoss', margin=1.0, centers='auto'))
method_hooks = []
