"""Score codes of a query and a database set with HammingRetrievalMetric,
exactly as ``tools/test.py`` scores a trained network."""
import torch

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric


def retrieval_map(query_codes: torch.Tensor,
                  query_labels: torch.Tensor,
                  database_codes: torch.Tensor,
                  database_labels: torch.Tensor,
                  topk: int = -1,
                  no_relevant: str = 'released_pytorch') -> float:
    """MAP@topk of ranking the database by Hamming distance to each query
    (``HammingRetrievalMetric.score``: ties by database order, relevance =
    a shared label).

    Codes are (n, K) in {-1, +1}, labels (n, C) multi-hot 0/1.
    """
    metric = HammingRetrievalMetric(topk=topk, no_relevant=no_relevant)
    scores = metric.score(*(torch.as_tensor(t).cpu()
                            for t in (query_codes, query_labels,
                                      database_codes, database_labels)))
    return scores[f'mAP@{"all" if topk == -1 else topk}']
