from .hash_head import HashHead

__all__ = ['HashHead']
