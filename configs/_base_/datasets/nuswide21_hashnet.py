# NUS-WIDE-21: the 21 most frequent concepts
# (tools/dataset_converters/nus_wide.py --concepts 21), lists in
# data/nus_wide/nuswide_21/, MAP@5000. Validation as NUS-WIDE-81's: 1,000 of
# the 10,000 training images.
_base_ = ['nuswide81_hashnet.py']

lists = 'nuswide_21/'
data_preprocessor = dict(num_classes=21)
train_dataloader = dict(dataset=dict(ann_file=lists + 'train.txt'))
test_dataloader = dict(
    dataset=dict(
        query=dict(ann_file=lists + 'query.txt'),
        database=dict(ann_file=lists + 'database.txt')))
val_dataloader = dict(
    dataset=dict(
        query=dict(ann_file=lists + 'train.txt'),
        database=dict(ann_file=lists + 'train.txt')))
