_base_ = ['hashnet-c_resnet50_nuswide_64bit.py']
model = dict(head=dict(num_bits=16))
