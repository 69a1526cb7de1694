from .continuation_hook import ContinuationHook
from .main_process_logger_hook import MainProcessLoggerHook

__all__ = ['ContinuationHook', 'MainProcessLoggerHook']
