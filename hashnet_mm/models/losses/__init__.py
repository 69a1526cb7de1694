from .code_regression_loss import CodeRegressionLoss
from .dhn_loss import DHNLoss
from .dpsh_loss import DPSHLoss
from .triplet_ranking_loss import TripletRankingLoss
from .weighted_pairwise_loss import WeightedPairwiseLoss

__all__ = [
    'WeightedPairwiseLoss', 'DHNLoss', 'DPSHLoss', 'TripletRankingLoss',
    'CodeRegressionLoss'
]
