# The shipped Fashion-MNIST demo subset (1,000 query / 5,000 train / 10,000
# database, 10 classes, 28x28 grey), written to data/fashion_mnist_demo by
# `python -m hashnet_mm.datasets.demo`. MAP over the whole database.
dataset_type = 'HashListDataset'
data_root = 'data/fashion_mnist_demo/'
data_preprocessor = dict(
    num_classes=10,
    mean=[72.94],
    std=[90.02],
    to_onehot=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        pipeline=train_pipeline),
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
test_dataloader = dict(
    batch_size=256,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type='QueryDatabaseDataset',
        query=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='query.txt',
            pipeline=test_pipeline),
        database=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='database.txt',
            pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='HammingRetrievalMetric', topk=-1)

val_dataloader = test_dataloader
val_evaluator = test_evaluator
