# HashNet on mmpretrain's own Swin-T model config: backbone and neck come
# from mmpretrain; this file swaps in the HashHead (+ pairwise loss) and takes
# the data, schedule and continuation hook from this project. Offline, give
# the ImageNet weights as a local file:
#   --cfg-options model.backbone.init_cfg.checkpoint=/path/to/swin_tiny.pth
_base_ = [
    'mmpretrain::_base_/models/swin_transformer/tiny_224.py',
    '../_base_/datasets/coco_hashnet.py',
    '../_base_/schedules/hashnet_sgd_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'swin-'
            'transformer/swin_tiny_224_b16x64_300e_imagenet_20210616_090925-'
            '66df6be6.pth',
            prefix='backbone')),
    head=dict(_delete_=True, type='HashHead', num_bits=64, in_channels=768),
    train_cfg=None)  # no Mixup / CutMix: they would blend the labels
