# The offline CPU demo: HashNet, 32 bits, on the shipped Fashion-MNIST subset.
# Validated every 500 iterations on the 500 queries held out of train.txt
# (configs/_base_/datasets/fashion_mnist_demo.py); the best_*.pth checkpoint
# is the one of the best validation MAP, the one to test.
_base_ = [
    '../_base_/models/hashnet_resnet18_cifar_narrow.py',
    '../_base_/datasets/fashion_mnist_demo.py',
    '../_base_/schedules/hashnet_adam_cpu_demo.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_bits=32))
train_cfg = dict(val_interval=500)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=2000, max_keep_ckpts=1))
