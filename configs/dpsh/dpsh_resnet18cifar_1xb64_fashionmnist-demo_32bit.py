# DPSH, 32 bits, narrow CIFAR ResNet-18 on the Fashion-MNIST demo subset:
# the HashNet config with _base_/methods/dpsh.py.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
    '../_base_/methods/dpsh.py',
]

model = dict(head=_base_.method_head)
custom_hooks = _base_.method_hooks
