_base_ = ['hashnet-w_resnet18cifar_fashionmnistmosaic_64bit.py']
model = dict(head=dict(num_bits=16))
