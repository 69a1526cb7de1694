from .continuation_hook import ContinuationHook

__all__ = ['ContinuationHook']
