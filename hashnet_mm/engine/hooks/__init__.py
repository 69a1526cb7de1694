from .continuation_hook import ContinuationHook
from .dataset_pair_weights_hook import DatasetPairWeightsHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .progress_bar_hook import ProgressBarHook
from .resumable_checkpoint_hook import ResumableCheckpointHook
from .retrieval_logger_hook import RetrievalLoggerHook
from .validation_history_hook import ValidationHistoryHook

__all__ = [
    'ContinuationHook', 'DatasetPairWeightsHook', 'FiniteLossHook',
    'NonFiniteLossError', 'ProgressBarHook', 'ResumableCheckpointHook',
    'RetrievalLoggerHook', 'ValidationHistoryHook'
]
