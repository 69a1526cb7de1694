# HashNet, EfficientNet-Lite0 (ImageNet weights, converted offline) on
# CIFAR-10.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../_base_/models/hashnet_efficientnetlite0.py',
    '../_base_/datasets/cifar10_hashnet.py',
    '../_base_/schedules/hashnet_sgd_10k.py',
    '../_base_/default_runtime.py',
]

# EfficientNet-Lite0's own input normalisation, (x - 127) / 128.
data_preprocessor = dict(mean=[127.0] * 3, std=[128.0] * 3)
model = dict(head=dict(num_bits=64))
