# HashNet-C, 64 bits, ResNet-50 on MS-COCO:
# the HashNet config with _base_/methods/hashnet_c.py.
_base_ = [
    '../hashnet_resnet50_coco_64bit.py',
    '../_base_/methods/hashnet_c.py',
]

custom_hooks = _base_.method_hooks
