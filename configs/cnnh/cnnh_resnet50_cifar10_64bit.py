# CNNH, 64 bits, ResNet-50 on CIFAR-10:
# the HashNet config with _base_/methods/cnnh.py.
_base_ = [
    '../hashnet_resnet50_cifar10_64bit.py',
    '../_base_/methods/cnnh.py',
]

model = dict(
    head=dict(
        **_base_.method_head,
        targets_file='data/cifar10/'
        'cnnh_targets_{num_bits}bit.npz'))
custom_hooks = _base_.method_hooks
