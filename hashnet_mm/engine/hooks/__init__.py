from .continuation_hook import ContinuationHook
from .dataset_pair_weights_hook import DatasetPairWeightsHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .main_process_logger_hook import MainProcessLoggerHook

__all__ = [
    'ContinuationHook', 'DatasetPairWeightsHook', 'FiniteLossHook',
    'MainProcessLoggerHook', 'NonFiniteLossError'
]
