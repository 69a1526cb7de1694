# HashNet, 64 bits, a narrow CIFAR ResNet-18 from scratch on the multi-label
# Fashion-MNIST mosaics.
_base_ = [
    '../_base_/models/hashnet_resnet18_cifar_narrow.py',
    '../_base_/datasets/fashion_mnist_mosaic_hashnet.py',
    '../_base_/schedules/hashnet_adam_cpu_demo.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_bits=64))
