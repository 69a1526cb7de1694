# CIFAR-10 (tools/dataset_converters/cifar10.py): 1,000 query / 5,000 train /
# 54,000 database PNGs and lists under data/cifar10/, upsampled to 224 for
# ImageNet backbones, MAP over the whole database. Validation: 500 of the
# 5,000 training images (hashnet_lists_224.py).
_base_ = ['hashnet_lists_224.py']

data_root = 'data/cifar10/'
data_preprocessor = dict(num_classes=10)
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
