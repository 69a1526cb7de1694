# DNNH (Lai et al., CVPR 2015): divide-and-encode module with the
# piece-wise thresholded sigmoid, triplet ranking loss (margin 1) over the
# batch's triplets; no continuation.
method_head = dict(
    type='DivideEncodeHashHead',
    epsilon=0.1,
    loss=dict(_delete_=True, type='TripletRankingLoss', margin=1.0))
method_hooks = []
