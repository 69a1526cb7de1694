"""EfficientNet-Lite0 from timm, for the EfficientNet-Lite0 configs."""
from mmpretrain.models.backbones import TIMMBackbone
from mmpretrain.registry import MODELS

from ...utils.extras import require_extra


@MODELS.register_module()
class EfficientNetLite0(TIMMBackbone):
    """mmpretrain's ``TIMMBackbone`` with timm's ``tf_efficientnet_lite0``
    (same weights and state-dict keys); without timm, the ImportError names
    the ``[timm]`` extra of hashnet_mm that installs it.

    Args:
        **kwargs: as ``TIMMBackbone`` (``model_name`` is fixed).
    """

    def __init__(self, **kwargs):
        require_extra('timm', 'timm', 'EfficientNetLite0 (TIMMBackbone)')
        super().__init__(model_name='tf_efficientnet_lite0', **kwargs)
