# HashNet, 64 bits, ResNet-50 (ImageNet weights) on CIFAR-10.
_base_ = [
    '../_base_/models/hashnet_resnet50.py',
    '../_base_/datasets/cifar10_hashnet.py',
    '../_base_/schedules/hashnet_sgd_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_bits=64))
