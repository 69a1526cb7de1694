from .channels_last_preprocessor import ChannelsLastDataPreprocessor
from .feature_preprocessor import FeatureDataPreprocessor

__all__ = ['ChannelsLastDataPreprocessor', 'FeatureDataPreprocessor']
