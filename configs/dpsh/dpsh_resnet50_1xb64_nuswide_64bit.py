# DPSH, ResNet-50 on NUS-WIDE (81 concepts):
# the HashNet config with _base_/methods/dpsh.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet50_1xb64_nuswide_64bit.py',
    '../_base_/methods/dpsh.py',
]

model = dict(head=_base_.method_head)
custom_hooks = _base_.method_hooks
