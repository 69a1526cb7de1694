_base_ = ['hashnet_efficientnetlite0_imagenet100_64bit.py']

model = dict(head=dict(num_bits=16))
