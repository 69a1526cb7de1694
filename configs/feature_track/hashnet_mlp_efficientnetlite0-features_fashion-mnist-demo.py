# HashNet on the ImageNet EfficientNet-Lite0 features of the Fashion-MNIST
# demo (tools/extract_pretrained_features.py): an MLP trunk, Adam, the best
# validation checkpoint kept.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../_base_/models/hashnet_feature_mlp.py',
    '../_base_/datasets/fashion_mnist_demo_efficientnetlite0_features.py',
    '../_base_/schedules/hashnet_adam_features.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_bits=64))
default_hooks = dict(
    logger=dict(interval=100), checkpoint=dict(interval=300, max_keep_ckpts=1))
