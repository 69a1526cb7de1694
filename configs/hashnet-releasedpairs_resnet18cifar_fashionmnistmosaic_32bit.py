# HashNet with the released PyTorch code's pairing on the mosaics: batches of
# 72 = 36 + 36 images, only the 1,296 pairs across the two halves.
_base_ = ['hashnet_resnet18cifar_fashionmnistmosaic_32bit.py']

model = dict(head=dict(loss=dict(pairing='cross_halves')))
train_dataloader = dict(batch_size=72)
