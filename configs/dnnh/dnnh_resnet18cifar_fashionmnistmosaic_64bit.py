# DNNH, 64 bits, narrow CIFAR ResNet-18 on the Fashion-MNIST mosaics:
# the HashNet config with _base_/methods/dnnh.py.
_base_ = [
    '../hashnet_resnet18cifar_fashionmnistmosaic_64bit.py',
    '../_base_/methods/dnnh.py',
]

model = dict(head=_base_.method_head)
custom_hooks = _base_.method_hooks
