# NUS-WIDE, all 81 concepts, in HashNet's protocol
# (tools/dataset_converters/nus_wide.py --concepts 81; unlabelled images
# kept, as the released lists): images under data/nus_wide/, lists in
# data/nus_wide/nuswide_81/, MAP@5000 in the Caffe evaluation's convention
# (docs/en/advanced_guides/protocol.md). Validation: 1,000 of the 10,000
# training images (hashnet_lists_224.py), ranked by the same MAP@5000.
_base_ = ['hashnet_lists_224.py']

data_root = 'data/nus_wide/'
lists = 'nuswide_81/'
data_preprocessor = dict(num_classes=81)
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
test_evaluator = dict(topk=5000, no_relevant='released_caffe')
val_evaluator = test_evaluator
