# GreedyHash, narrow CIFAR ResNet-18 on the Fashion-MNIST mosaics:
# the HashNet config with _base_/methods/greedyhash.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py',
    '../_base_/methods/greedyhash.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
model['head']['loss']['multi_label'] = True  # a multi-label dataset
custom_hooks = _base_.method_hooks
optim_wrapper = dict(paramwise_cfg=_base_.method_paramwise_cfg)
