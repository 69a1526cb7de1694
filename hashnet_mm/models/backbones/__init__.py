from .efficientnet_lite0 import EfficientNetLite0

__all__ = ['EfficientNetLite0']
