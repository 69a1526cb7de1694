_base_ = ['hashnet-c_resnet50_coco_64bit.py']
model = dict(head=dict(num_bits=16))
