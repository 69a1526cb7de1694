_base_ = ['hashnet_efficientnetlite0_coco_64bit.py']

model = dict(head=dict(num_bits=32))
