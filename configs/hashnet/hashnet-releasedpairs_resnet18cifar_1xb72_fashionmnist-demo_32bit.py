# HashNet with the released PyTorch code's pairing: batches of 72 = 36 + 36
# images, only the 36 x 36 = 1,296 pairs across the two halves
# (docs/en/benchmarks/protocol.md). Selection as the demo's:
# the checkpoint of the best MAP on the 500 validation queries held out of
# train.txt (the released code validates nothing; it tests a snapshot).
_base_ = ['hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py']

model = dict(head=dict(loss=dict(pairing='cross_halves')))
train_dataloader = dict(batch_size=72)
