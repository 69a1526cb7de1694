# ImageNet EfficientNet-Lite0 features (1280-d, 64 x 64 input) of every
# split of the fashion-mnist-demo images, for the feature track:
#   python tools/extract_pretrained_features.py
# writes them (cached) under data/features/efficientnetlite0-in1k-64px/.
_base_ = [
    '../_base_/models/efficientnetlite0_in1k_features.py',
    '../_base_/datasets/fashion_mnist_demo.py',
    '../_base_/default_runtime.py',
]

feature_dir = 'data/features/efficientnetlite0-in1k-64px/fashion-mnist-demo/'
data_preprocessor = dict(mean=[127.0] * 3, std=[128.0] * 3)
train_dataloader = dict(dataset=dict(pipeline=_base_.feature_pipeline))
test_dataloader = dict(
    dataset=dict(
        query=dict(pipeline=_base_.feature_pipeline),
        database=dict(pipeline=_base_.feature_pipeline)))
val_dataloader = test_dataloader
