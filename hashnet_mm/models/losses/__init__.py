from .weighted_pairwise_loss import WeightedPairwiseLoss

__all__ = ['WeightedPairwiseLoss']
