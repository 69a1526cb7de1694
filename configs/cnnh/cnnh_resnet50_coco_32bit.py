_base_ = ['cnnh_resnet50_coco_64bit.py']
model = dict(head=dict(num_bits=32))
