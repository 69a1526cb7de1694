# Feature track: the Fashion-MNIST demo (1,000 query / 5,000 train / 10,000
# database, 10 classes) as ImageNet EfficientNet-Lite0 features (1280-d,
# 64 x 64 input), written by `python tools/extract_pretrained_features.py`.
#
# Validation (what save_best and the comparison select on): val_queries
# training images, stratified by label and fixed by val_seed, ranked against
# the rest of the training features; training uses only that rest, the test
# queries and database are only reported. 500 of 5,000 (10 %), as the image
# configs of this dataset.
dataset_type = 'FeatureDataset'
data_root = 'data/features/efficientnetlite0-in1k-64px/fashion-mnist-demo/'
feature_dim = 1280
data_preprocessor = dict(
    type='FeatureDataPreprocessor', num_classes=10, to_onehot=True)
feature_pipeline = [
    dict(
        type='PackInputs',
        input_key='feature',
        meta_keys=('sample_idx', 'feature_id')),
]
val_split = dict(val_queries=500, val_seed=0, val_database=0)

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        subset='train',
        **val_split,
        pipeline=feature_pipeline),
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=1024,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='QueryDatabaseDataset',
        query=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            subset='val_query',
            **val_split,
            pipeline=feature_pipeline),
        database=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            subset='val_database',
            **val_split,
            pipeline=feature_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=1024,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='QueryDatabaseDataset',
        query=dict(
            type=dataset_type,
            data_root=data_root,
            split='query',
            pipeline=feature_pipeline),
        database=dict(
            type=dataset_type,
            data_root=data_root,
            split='database',
            pipeline=feature_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='HammingRetrievalMetric', topk=-1)
val_evaluator = test_evaluator
