# HashNet on ResNet-50: ImageNet-pretrained backbone, global pooling, hash
# layer. Use a local checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=/path/to/resnet50.pth
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='HashHead',
        num_bits=64,
        in_channels=2048,
        loss=dict(type='WeightedPairwiseLoss')))
