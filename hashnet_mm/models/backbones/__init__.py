from .efficientnet_lite0 import EfficientNetLite0
from .feature_mlp import FeatureMLP

__all__ = ['EfficientNetLite0', 'FeatureMLP']
