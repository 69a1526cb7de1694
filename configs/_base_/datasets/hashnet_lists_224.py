# HashNet's protocol for RGB list-file benchmarks: train.txt / query.txt /
# database.txt (multi-hot labels) under data_root, images resized to 256x256
# with 224 crops, ImageNet normalisation, query + database in one test loop.
# A dataset base sets data_root and list paths (of the training set, the
# validation query and database, the test query and database), num_classes
# and R (topk).
# Validation (what save_best, early stopping and sweeps select on): val_queries
# images of train.txt, stratified by label and fixed by val_seed, ranked
# against the rest of train.txt with the test metric's settings; training
# uses only that rest, the test queries and database are only reported.
# val_queries='auto': 10 % of the training list, at most 1,000
# (hashnet_mm.datasets.validation_split.default_val_queries): 500 of a
# 5,000-image list, 1,000 of 10,000 or more. A config giving another size (a
# number) or seed sets it in all three datasets (train, val query, val
# database).
# Loading for GPU speed: workers collate and pin whole uint8 batches, copied
# to the device without blocking and normalised there in channels_last.
# 12 train workers: a margin over the ~9 that the CPU decode cost implies for
# ResNet-50 on one H100 (docs/en/benchmarks/speed.md).
dataset_type = 'HashListDataset'
data_root = 'data/'
data_preprocessor = dict(
    type='ChannelsLastDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True,
)

# Two training augmentations, both after a 256x256 resize:
# - caffe_train_pipeline (default): a random 224 crop and a horizontal flip,
#   as the authors' Caffe prototxts (random crop + mirror; 227 there, for
#   AlexNet), the code behind the paper's Table 1;
# - released_pytorch_train_pipeline: RandomResizedCrop(224) (area 0.08-1,
#   aspect 3/4-4/3) and a flip, as pre_process.image_train of the released
#   PyTorch code (whose README reports no MAP). A config picks it with
#   train_dataloader = dict(dataset=dict(
#       pipeline={{_base_.released_pytorch_train_pipeline}}))
#   (configs/hashnet/hashnet-randomresizedcrop_resnet50_1xb64_coco_64bit.py).
caffe_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
released_pytorch_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_pipeline = caffe_train_pipeline
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

val_split = dict(val_queries='auto', val_seed=0, val_database=0)

train_dataloader = dict(
    batch_size=64,
    num_workers=12,
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
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
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
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
    test_dataloader,
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
            pipeline=test_pipeline)))
val_evaluator = test_evaluator
