# GreedyHash, ResNet-50 on CIFAR-10:
# the HashNet config with _base_/methods/greedyhash.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet50_1xb64_cifar10_64bit.py',
    '../_base_/methods/greedyhash.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
custom_hooks = _base_.method_hooks
optim_wrapper = dict(paramwise_cfg=_base_.method_paramwise_cfg)
