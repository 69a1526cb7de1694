from .code_regression_loss import CodeRegressionLoss
from .csq_loss import CSQLoss
from .dhn_loss import DHNLoss
from .dpn_loss import DPNLoss
from .dpsh_loss import DPSHLoss
from .dsh_loss import DSHLoss
from .greedyhash_loss import GreedyHashLoss
from .orthohash_loss import OrthoHashLoss
from .triplet_ranking_loss import TripletRankingLoss
from .weighted_pairwise_loss import WeightedPairwiseLoss

__all__ = [
    'WeightedPairwiseLoss', 'DHNLoss', 'DPSHLoss', 'TripletRankingLoss',
    'CodeRegressionLoss', 'CSQLoss', 'DPNLoss', 'OrthoHashLoss',
    'GreedyHashLoss', 'DSHLoss'
]
