"""Slow, obvious per-query implementations of every measure, for the tests.

Distance = number of differing bits; relevant = at least one shared label.
Every function works on numpy arrays or nested lists, one query at a time.
"""
import itertools

import numpy as np


def distances(code, database_codes):
    return [
        int((np.asarray(code) != np.asarray(other)).sum())
        for other in database_codes
    ]


def relevance(labels, database_labels):
    labels = np.asarray(labels).astype(bool)
    return [
        bool((labels & np.asarray(other).astype(bool)).any())
        for other in database_labels
    ]


def ranking(code, database_codes):
    """Database indices by distance; ties keep database order."""
    d = distances(code, database_codes)
    return sorted(range(len(d)), key=lambda i: d[i])


def average_precision(relevant_in_rank_order, topk):
    """AP of the first R of a ranked relevance list; None without hits."""
    r = len(relevant_in_rank_order) if topk == -1 else topk
    hits, precision_sum = 0, 0.0
    for rank, relevant in enumerate(relevant_in_rank_order[:r], 1):
        if relevant:
            hits += 1
            precision_sum += hits / rank
    return precision_sum / hits if hits else None


def reference_average_precisions(query_codes, database_codes, query_labels,
                                 database_labels, topk):
    """AP@R per query, None where no relevant item is in the top R."""
    aps = []
    for code, labels in zip(query_codes, query_labels):
        rel = relevance(labels, database_labels)
        order = ranking(code, database_codes)
        aps.append(average_precision([rel[i] for i in order], topk))
    return aps


def mean(values, undefined='skip'):
    """Mean over queries, None marking an undefined value."""
    if undefined == 'zero':
        return float(np.mean([0.0 if v is None else v for v in values]))
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else 0.0


def reference_map(query_codes,
                  database_codes,
                  query_labels,
                  database_labels,
                  topk,
                  no_relevant='skip'):
    return mean(
        reference_average_precisions(query_codes, database_codes, query_labels,
                                     database_labels, topk), no_relevant)


def tie_orders(distance_list):
    """Every ranking that sorts by distance: all orders within each tie."""
    groups = [[i for i, d in enumerate(distance_list) if d == value]
              for value in sorted(set(distance_list))]
    for orders in itertools.product(*map(itertools.permutations, groups)):
        yield [i for order in orders for i in order]


def brute_force_tie_aware_ap(distance_list, relevant, topk, no_relevant):
    """Mean AP@R over every order of tied items, enumerated one by one.

    'zero': AP of an order without a relevant item in its top R counts 0;
    'skip': the mean over the orders that have one (None if no order has).
    """
    aps = [
        average_precision([relevant[i] for i in order], topk)
        for order in tie_orders(distance_list)
    ]
    if no_relevant == 'zero':
        return None if all(ap is None for ap in aps) else mean(aps, 'zero')
    defined = [ap for ap in aps if ap is not None]
    return float(np.mean(defined)) if defined else None


def precision_within_radius(code, labels, database_codes, database_labels,
                            radius):
    """Precision of the items at distance <= radius; None if none."""
    d = distances(code, database_codes)
    rel = relevance(labels, database_labels)
    retrieved = [i for i in range(len(d)) if d[i] <= radius]
    if not retrieved:
        return None
    return sum(rel[i] for i in retrieved) / len(retrieved)


def recall_within_radius(code, labels, database_codes, database_labels,
                         radius):
    """Share of the relevant items at distance <= radius; None if none."""
    d = distances(code, database_codes)
    rel = relevance(labels, database_labels)
    if not any(rel):
        return None
    return sum(rel[i] for i in range(len(d)) if d[i] <= radius) / sum(rel)


def precision_recall_at_n(code, labels, database_codes, database_labels, n):
    """(P@N, R@N) of the ranking; R@N is None without relevant items."""
    rel = relevance(labels, database_labels)
    top = ranking(code, database_codes)[:n]
    hits = sum(rel[i] for i in top)
    return hits / len(top), (hits / sum(rel) if any(rel) else None)
