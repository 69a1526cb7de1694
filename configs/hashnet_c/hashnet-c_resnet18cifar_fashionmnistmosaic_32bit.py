_base_ = ['hashnet-c_resnet18cifar_fashionmnistmosaic_64bit.py']
model = dict(head=dict(num_bits=32))
