from .continuation_hook import ContinuationHook
from .dataset_pair_weights_hook import DatasetPairWeightsHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .progress_bar_hook import ProgressBarHook
from .retrieval_logger_hook import RetrievalLoggerHook
from .validation_history_hook import ValidationHistoryHook

__all__ = [
    'ContinuationHook', 'DatasetPairWeightsHook', 'FiniteLossHook',
    'NonFiniteLossError', 'ProgressBarHook', 'RetrievalLoggerHook',
    'ValidationHistoryHook'
]
