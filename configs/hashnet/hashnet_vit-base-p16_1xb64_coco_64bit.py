# HashNet on mmpretrain's own ViT-B/16 model config (see
# hashnet_swin-tiny_1xb64_coco_64bit.py): the hash layer reads the class
# token.
_base_ = [
    'mmpretrain::_base_/models/vit-base-p16.py',
    '../_base_/datasets/coco_hashnet.py',
    '../_base_/schedules/hashnet_sgd_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'vit/'
            'vit-base-p16_pt-32xb128-mae_in1k_20220623-4c544545.pth',
            prefix='backbone')),
    head=dict(_delete_=True, type='HashHead', num_bits=64, in_channels=768))
