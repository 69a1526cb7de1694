from .continuation_hook import ContinuationHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .main_process_logger_hook import MainProcessLoggerHook

__all__ = [
    'ContinuationHook', 'FiniteLossHook', 'MainProcessLoggerHook',
    'NonFiniteLossError'
]
