# MS-COCO in HashNet's protocol (tools/dataset_converters/coco.py, default
# --protocol released: the released lists' 112,218-image database holding
# the 5,000 queries, 10,000 training images outside it): lists train.txt /
# query.txt / database.txt and the images under data/coco/, 80 multi-hot
# labels, MAP@5000 in the Caffe evaluation's convention
# (docs/en/advanced_guides/protocol.md). Validation: 1,000 of the 10,000
# training images (hashnet_lists_224.py), ranked by the same MAP@5000.
_base_ = ['hashnet_lists_224.py']

data_root = 'data/coco/'
data_preprocessor = dict(num_classes=80)
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
test_evaluator = dict(topk=5000, no_relevant='released_caffe')
val_evaluator = test_evaluator
