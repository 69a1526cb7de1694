# DPN, ResNet-50 on ImageNet-100:
# the HashNet config with _base_/methods/dpn.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet50_1xb64_imagenet100_64bit.py',
    '../_base_/methods/dpn.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
custom_hooks = _base_.method_hooks
