# DSH (Liu et al., CVPR 2016): contrastive loss on the real outputs u = z
# (similar pairs: ||u_i - u_j||^2 / 2; dissimilar: max(m - ||u_i - u_j||^2,
# 0) / 2, m = 2K) + alpha * || |u| - 1 ||_1 of both codes, alpha = 0.01;
# no continuation.
method_head = dict(
    type='LinearHashHead',
    loss=dict(
        _delete_=True, type='DSHLoss', margin=None, quantization_weight=0.01))
method_hooks = []
