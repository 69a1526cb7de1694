_base_ = ['dnnh_resnet50_imagenet100_64bit.py']
model = dict(head=dict(num_bits=32))
