# DHN (Zhu et al., AAAI 2016): unweighted pairwise cross-entropy on tanh(z)
# (alpha = 1) plus lambda * sum_k log cosh(|u_k| - 1); no continuation.
method_head = dict(
    loss=dict(
        _delete_=True, type='DHNLoss', quantization_weight=0.1, alpha=1.0))
method_hooks = []
