# CNNH, 32 bits, narrow CIFAR ResNet-18 on the Fashion-MNIST demo subset:
# the HashNet config with _base_/methods/cnnh.py.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
    '../_base_/methods/cnnh.py',
]

model = dict(
    head=dict(
        **_base_.method_head,
        targets_file='data/fashion_mnist_demo/'
        'cnnh_targets_{num_bits}bit.npz'))
custom_hooks = _base_.method_hooks
