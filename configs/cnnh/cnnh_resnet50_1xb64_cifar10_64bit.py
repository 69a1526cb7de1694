# CNNH, ResNet-50 on CIFAR-10:
# the HashNet config with _base_/methods/cnnh.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
# Stage 1 writes the K-bit targets: tools/cnnh_targets.py with the same
# options (cnnh_targets_{K}bit.npz; tools/analysis/run_grid.py runs it).
_base_ = [
    '../hashnet/hashnet_resnet50_1xb64_cifar10_64bit.py',
    '../_base_/methods/cnnh.py',
]

model = dict(
    head=dict(
        **_base_.method_head,
        targets_file='data/cifar10/'
        'cnnh_targets_{num_bits}bit.npz'))
custom_hooks = _base_.method_hooks
