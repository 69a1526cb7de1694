# CSQ (Yuan et al., CVPR 2020): binary cross-entropy of (tanh(z) + 1) / 2
# towards each image's hash center (rows of [H; -H] where they fit, else
# random balanced codes) + lambda * mean (|tanh z| - 1)^2, lambda = 1e-4;
# no continuation. Dataset configs add model.head.loss.num_classes.
method_head = dict(
    type='LinearHashHead',
    loss=dict(
        _delete_=True,
        type='CSQLoss',
        quantization_weight=1e-4,
        centers='auto'))
method_hooks = []
