# HashNet with the released PyTorch code's pairing on the mosaics: batches of
# 72 = 36 + 36 images, only the 1,296 pairs across the two halves. Selection:
# the model after the 2,000 iterations (validated once, at the end, on the 500
# queries held out of train.txt).
_base_ = ['hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py']

model = dict(head=dict(num_bits=32, loss=dict(pairing='cross_halves')))
train_dataloader = dict(batch_size=72)
