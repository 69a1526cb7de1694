# HashNet on a narrow CIFAR-style ResNet-18 (16 base channels, 1 input
# channel) trained from scratch: small enough for a 2-core CPU.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='HashHead',
        num_bits=32,
        in_channels=128,
        loss=dict(type='WeightedPairwiseLoss')))
