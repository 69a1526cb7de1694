# OrthoHash, 32 bits, narrow CIFAR ResNet-18 on the Fashion-MNIST demo subset:
# the HashNet config with _base_/methods/orthohash.py.
_base_ = [
    '../hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
    '../_base_/methods/orthohash.py',
]

model = dict(head=_base_.method_head)
model['head']['loss']['num_classes'] = \
    _base_.data_preprocessor.num_classes
custom_hooks = _base_.method_hooks
optim_wrapper = dict(paramwise_cfg=_base_.method_paramwise_cfg)
