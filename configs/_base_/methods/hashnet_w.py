# HashNet-W (paper Sec. 4.3): HashNet without pair weights, c_ij = 1 (plain
# maximum likelihood); continuation and everything else as HashNet.
method_head = dict(
    loss=dict(_delete_=True, type='WeightedPairwiseLoss', use_weights=False))
