_base_ = ['hashnet_efficientnetlite0_cifar10_64bit.py']

model = dict(head=dict(num_bits=32))
