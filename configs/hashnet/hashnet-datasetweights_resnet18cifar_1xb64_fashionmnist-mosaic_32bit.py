# HashNet with eq. 2's weights counted over the whole training set S (as the
# paper defines them) instead of per batch: DatasetPairWeightsHook computes
# |S1| / |S| from the training labels once before training (S: train.txt less
# the 500 validation queries). Selection: the model after the 2,000 iterations
# (validated once, at the end, on those queries).
_base_ = ['hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py']

model = dict(head=dict(num_bits=32, loss=dict(weight_source='dataset')))
custom_hooks = _base_.custom_hooks + [dict(type='DatasetPairWeightsHook')]
