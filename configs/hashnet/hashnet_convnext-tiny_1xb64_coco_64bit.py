# HashNet on mmpretrain's own ConvNeXt-T model config (see
# hashnet_swin-tiny_1xb64_coco_64bit.py); the backbone pools and normalises
# its last feature map itself, so there is no neck.
_base_ = [
    'mmpretrain::_base_/models/convnext/convnext-tiny.py',
    '../_base_/datasets/coco_hashnet.py',
    '../_base_/schedules/hashnet_sgd_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth',
            prefix='backbone')),
    head=dict(_delete_=True, type='HashHead', num_bits=64, in_channels=768),
    train_cfg=None)  # no Mixup / CutMix: they would blend the labels
