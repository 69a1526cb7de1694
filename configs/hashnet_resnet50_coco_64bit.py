# HashNet, ResNet-50 on MS-COCO, 64 bits: the project's reference command.
# The config lives in the model zoo as
# hashnet/hashnet_resnet50_1xb64_coco_64bit.py; this file keeps the path.
_base_ = ['hashnet/hashnet_resnet50_1xb64_coco_64bit.py']
