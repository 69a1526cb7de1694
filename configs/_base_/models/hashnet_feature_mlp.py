# HashNet on precomputed features: a one-hidden-layer MLP trunk (512 units;
# each input dimension standardised by batch normalisation) and the hash
# layer. Set backbone.in_channels to the feature length (the feature-track
# dataset configs name it feature_dim).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='FeatureMLP', in_channels=1280, hidden_channels=(512, )),
    head=dict(
        type='HashHead',
        num_bits=64,
        in_channels=512,
        loss=dict(type='WeightedPairwiseLoss')))
