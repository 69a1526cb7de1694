# DPSH (Li, Wang and Kang, IJCAI 2016): pairwise likelihood of the real
# outputs u (Theta = <u_i, u_j> / 2) plus eta * ||sgn(u) - u||^2; no tanh,
# no continuation.
method_head = dict(
    type='LinearHashHead',
    loss=dict(_delete_=True, type='DPSHLoss', quantization_weight=0.01))
method_hooks = []
