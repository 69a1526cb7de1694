from .hamming_retrieval_metric import HammingRetrievalMetric

__all__ = ['HammingRetrievalMetric']
