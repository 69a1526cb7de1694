# HashNet, ResNet-50, MS-COCO, 64 bits, trained with the released PyTorch
# code's augmentation: 256x256 resize, RandomResizedCrop(224), flip
# (configs/_base_/datasets/hashnet_lists_224.py; the default there is the
# Caffe prototxts' random crop + mirror). Selection as the released code's:
# the model after the 10,000 iterations (validated once, at the end, on the
# 1,000 queries held out of train.txt; the test queries are only reported).
_base_ = ['hashnet_resnet50_1xb64_coco_64bit.py']

train_dataloader = dict(
    dataset=dict(pipeline={{_base_.released_pytorch_train_pipeline}}))
