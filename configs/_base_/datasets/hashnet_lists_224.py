# HashNet's protocol for RGB list-file benchmarks: train.txt / query.txt /
# database.txt (multi-hot labels) under data_root, images resized to 256x256
# with 224 crops, ImageNet normalisation, query + database in one test loop.
# A dataset base sets data_root (and list paths), num_classes and R (topk).
dataset_type = 'HashListDataset'
data_root = 'data/'
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        pipeline=train_pipeline),
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
test_dataloader = dict(
    batch_size=128,
    num_workers=8,
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
