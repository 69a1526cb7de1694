# The shipped Fashion-MNIST demo subset (1,000 query / 5,000 train / 10,000
# database, 10 classes, 28x28 grey), written to data/fashion_mnist_demo by
# `python -m hashnet_mm.datasets.demo`. MAP over the whole database.
#
# Validation (what save_best, early stopping and sweeps select on): val_queries
# images of train.txt, stratified by label and fixed by val_seed, ranked
# against the rest of train.txt with the test metric's settings; training
# uses only that rest, the test queries and database are only reported.
# val_queries='auto': 10 % of the training list, at most 1,000
# (hashnet_mm.datasets.validation_split.default_val_queries): here 500 of
# 5,000, training on 4,500. A config giving another size (a number) or seed
# sets it in all three datasets (train, val query, val database).
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

val_split = dict(val_queries='auto', val_seed=0, val_database=0)

train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        subset='train',
        **val_split,
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

val_dataloader = dict(
    batch_size=256,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type='QueryDatabaseDataset',
        query=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='train.txt',
            subset='val_query',
            **val_split,
            pipeline=test_pipeline),
        database=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='train.txt',
            subset='val_database',
            **val_split,
            pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = test_evaluator
