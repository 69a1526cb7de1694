# MS-COCO in HashNet's protocol (tools/dataset_converters/coco.py): lists
# train.txt / query.txt / database.txt and the images under data/coco/,
# 80 multi-hot labels, MAP@5000.
_base_ = ['hashnet_lists_224.py']

data_root = 'data/coco/'
data_preprocessor = dict(num_classes=80)
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
val_dataloader = test_dataloader
test_evaluator = dict(topk=5000)
val_evaluator = test_evaluator
