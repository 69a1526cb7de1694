# The multi-label Fashion-MNIST mosaics
# (tools/dataset_converters/fashion_mnist_mosaic.py): 56x56 grey 2x2 mosaics,
# 1,000 query / 5,000 train / 20,000 database under
# data/fashion_mnist_mosaic/, 10 imbalanced labels, MAP over the database.
# Validation as the demo's: 500 of the 5,000 training mosaics.
_base_ = ['fashion_mnist_demo.py']

data_root = 'data/fashion_mnist_mosaic/'
# Pixel statistics of the default mosaics (about half the tiles are empty).
data_preprocessor = dict(mean=[38.38], std=[74.66])
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=56, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
