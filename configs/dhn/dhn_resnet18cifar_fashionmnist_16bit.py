_base_ = ['dhn_resnet18cifar_fashionmnist_64bit.py']
model = dict(head=dict(num_bits=16))
