# ImageNet EfficientNet-Lite0 features (1280-d, 64 x 64 input) of every
# split of the CPU-sized Fashion-MNIST mosaics (1,000 query / 5,000 train /
# 5,000 database, the training mosaics drawn from the database):
#   python tools/dataset_converters/fashion_mnist_mosaic.py \
#       --out data/fashion_mnist_mosaic_cpu --num-database 5000
#   python tools/extract_pretrained_features.py
# writes them (cached) under data/features/efficientnetlite0-in1k-64px/.
_base_ = [
    '../_base_/models/efficientnetlite0_in1k_features.py',
    '../_base_/datasets/fashion_mnist_mosaic_hashnet.py',
    '../_base_/default_runtime.py',
]

feature_dir = \
    'data/features/efficientnetlite0-in1k-64px/fashion-mnist-mosaic-cpu/'
data_root = 'data/fashion_mnist_mosaic_cpu/'
data_preprocessor = dict(mean=[127.0] * 3, std=[128.0] * 3)
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=_base_.feature_pipeline))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root, pipeline=_base_.feature_pipeline),
        database=dict(data_root=data_root, pipeline=_base_.feature_pipeline)))
val_dataloader = test_dataloader
