_base_ = ['cnnh_resnet50_cifar10_64bit.py']
model = dict(head=dict(num_bits=16))
