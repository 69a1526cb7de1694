# The full Fashion-MNIST (tools/dataset_converters/fashion_mnist.py): 1,000
# query / 5,000 train / 64,000 database, under data/fashion_mnist/, MAP over
# the whole database. Pipelines and validation (500 of the 5,000 training
# images) as the demo's.
_base_ = ['fashion_mnist_demo.py']

data_root = 'data/fashion_mnist/'
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
