# HashNet-W, narrow CIFAR ResNet-18 on the full Fashion-MNIST:
# the HashNet config with _base_/methods/hashnet_w.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist_64bit.py',
    '../_base_/methods/hashnet_w.py',
]

model = dict(head=_base_.method_head)
