# Feature track: the CPU-sized multi-label Fashion-MNIST mosaics (1,000
# query / 5,000 train / 5,000 database, the training mosaics drawn from the
# database, 10 imbalanced labels; `fashion_mnist_mosaic.py --out
# data/fashion_mnist_mosaic_cpu --num-database 5000`) as ImageNet
# EfficientNet-Lite0 features (1280-d, 64 x 64 input), written by
# `python tools/extract_pretrained_features.py`. Validation as the demo's:
# 500 of the 5,000 training mosaics against the other 4,500.
_base_ = ['fashion_mnist_demo_efficientnetlite0_features.py']

data_root = (
    'data/features/efficientnetlite0-in1k-64px/fashion-mnist-mosaic-cpu/')
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
test_dataloader = dict(
    dataset=dict(
        query=dict(data_root=data_root), database=dict(data_root=data_root)))
