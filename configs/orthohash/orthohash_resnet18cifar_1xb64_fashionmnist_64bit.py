# OrthoHash, narrow CIFAR ResNet-18 on the full Fashion-MNIST:
# the HashNet config with _base_/methods/orthohash.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist_64bit.py',
    '../_base_/methods/orthohash.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
custom_hooks = _base_.method_hooks
optim_wrapper = dict(paramwise_cfg=_base_.method_paramwise_cfg)
