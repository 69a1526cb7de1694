_base_ = ['hashnet-c_resnet50_cifar10_64bit.py']
model = dict(head=dict(num_bits=32))
