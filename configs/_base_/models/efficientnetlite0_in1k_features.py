# The ImageNet EfficientNet-Lite0 (weights converted offline by
# tools/model_converters/efficientnet_lite0_to_mmpretrain.py) as a fixed
# feature extractor: backbone + global average pooling, 1280 features an
# image (the neck's output). The head is never trained; it only completes
# the model. Grey images are read as 3 equal channels and resized to
# `feature_input_size` pixels (bicubic), normalised as (x - 127) / 128.
_base_ = ['hashnet_efficientnetlite0.py']

feature_input_size = 64
feature_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(
        type='Resize',
        scale=(feature_input_size, feature_input_size),
        interpolation='bicubic'),
    dict(type='PackInputs'),
]
