# DNNH, ResNet-50 on MS-COCO:
# the HashNet config with _base_/methods/dnnh.py.
# 64 bits; any other length K: --cfg-options model.head.num_bits=K.
_base_ = [
    '../hashnet/hashnet_resnet50_1xb64_coco_64bit.py',
    '../_base_/methods/dnnh.py',
]

model = dict(head=_base_.method_head)
custom_hooks = _base_.method_hooks
