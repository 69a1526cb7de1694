# ImageNet-100 in HashNet's protocol (tools/dataset_converters/imagenet100.py):
# ImageNet's train/ and val/ under data/imagenet/, lists in
# data/imagenet/imagenet100/, 100 one-hot labels, MAP@1000 in the Caffe
# evaluation's convention (docs/en/advanced_guides/protocol.md).
# Validation: 1,000 of the 10,000 (or the released lists' 13,000) training
# images, 10 a class (hashnet_lists_224.py), ranked by the same MAP@1000.
_base_ = ['hashnet_lists_224.py']

data_root = 'data/imagenet/'
lists = 'imagenet100/'
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=lists + 'train.txt'))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root, ann_file=lists + 'query.txt'),
        database=dict(data_root=data_root, ann_file=lists + 'database.txt')))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root, ann_file=lists + 'train.txt'),
        database=dict(data_root=data_root, ann_file=lists + 'train.txt')))
test_evaluator = dict(topk=1000, no_relevant='released_caffe')
val_evaluator = test_evaluator
