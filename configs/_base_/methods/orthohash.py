# OrthoHash (Hoe et al., NeurIPS 2021): batch-normalised codes, cosine
# logits to the class codes (hash centers) scaled by s = sqrt(K) (chosen on
# validation over the released 8: scale=8.0) with margin 0.2, softmax
# cross-entropy (label-smoothed on multi-label data); quantization term
# off; no continuation. The whole head (hash layer and normalisation) at
# 10x the backbone's lr. Dataset configs add model.head.loss.num_classes
# and optim_wrapper.paramwise_cfg.
method_head = dict(
    type='OrthoHashHead',
    affine=False,
    loss=dict(
        _delete_=True,
        type='OrthoHashLoss',
        scale=None,
        margin=0.2,
        quantization_weight=0.0,
        centers='auto'))
method_hooks = []
method_paramwise_cfg = dict(
    custom_keys=dict(_delete_=True, head=dict(lr_mult=10.0)))
