# CSQ, narrow CIFAR ResNet-18 on the Fashion-MNIST mosaics:
# the HashNet config with _base_/methods/csq.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py',
    '../_base_/methods/csq.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
custom_hooks = _base_.method_hooks
