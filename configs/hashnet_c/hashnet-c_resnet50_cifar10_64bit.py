# HashNet-C, 64 bits, ResNet-50 on CIFAR-10:
# the HashNet config with _base_/methods/hashnet_c.py.
_base_ = [
    '../hashnet_resnet50_cifar10_64bit.py',
    '../_base_/methods/hashnet_c.py',
]

custom_hooks = _base_.method_hooks
