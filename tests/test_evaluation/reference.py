"""A slow, obvious per-query implementation of MAP@R for the tests."""
import numpy as np


def reference_average_precisions(query_codes, database_codes, query_labels,
                                 database_labels, topk):
    """AP@R per query, None where no relevant item is in the top R.

    Distance = number of differing bits; ties keep database order (stable
    sort); relevant = at least one shared label.
    """
    query_codes, database_codes = np.asarray(query_codes), np.asarray(
        database_codes)
    query_labels, database_labels = np.asarray(query_labels), np.asarray(
        database_labels)
    n = len(database_codes)
    r = n if topk == -1 or topk > n else topk
    aps = []
    for code, labels in zip(query_codes, query_labels):
        distances = [int((code != other).sum()) for other in database_codes]
        order = sorted(range(n), key=lambda i: distances[i])[:r]
        hits, precision_sum = 0, 0.0
        for rank, i in enumerate(order, 1):
            if (labels.astype(bool) & database_labels[i].astype(bool)).any():
                hits += 1
                precision_sum += hits / rank
        aps.append(precision_sum / hits if hits else None)
    return aps


def reference_map(query_codes, database_codes, query_labels, database_labels,
                  topk, no_relevant='skip'):
    aps = reference_average_precisions(query_codes, database_codes,
                                       query_labels, database_labels, topk)
    if no_relevant == 'zero':
        return float(np.mean([ap or 0.0 for ap in aps]))
    defined = [ap for ap in aps if ap is not None]
    return float(np.mean(defined)) if defined else 0.0
