from .divide_encode_head import DivideEncodeHashHead
from .hash_head import HashHead
from .linear_hash_head import LinearHashHead
from .orthohash_head import OrthoHashHead
from .target_code_head import TargetCodeHashHead

__all__ = [
    'HashHead', 'DivideEncodeHashHead', 'LinearHashHead', 'OrthoHashHead',
    'TargetCodeHashHead'
]
