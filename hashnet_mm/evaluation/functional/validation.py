"""Checks shared by the retrieval measures: bad input raises, never scores."""
import torch


def check_retrieval_inputs(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor) -> None:
    """Raise ValueError unless codes are +-1 of one width and labels match."""
    for name, codes in (('query', query_codes), ('database', database_codes)):
        if codes.dim() != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
            raise ValueError(f'{name} codes must be a non-empty (n, K) '
                             f'matrix, got shape {tuple(codes.shape)}')
        if not ((codes == 1) | (codes == -1)).all():
            raise ValueError(f'{name} codes must contain only -1 and +1')
    if query_codes.shape[1] != database_codes.shape[1]:
        raise ValueError(
            f'query codes have {query_codes.shape[1]} bits but database codes '
            f'have {database_codes.shape[1]}')
    for name, labels, codes in (('query', query_labels, query_codes),
                                ('database', database_labels, database_codes)):
        if labels.dim() != 2 or labels.shape[0] != codes.shape[0]:
            raise ValueError(
                f'{name} labels must be ({codes.shape[0]}, C) multi-hot, got '
                f'shape {tuple(labels.shape)}')
    if query_labels.shape[1] != database_labels.shape[1]:
        raise ValueError(
            f'query labels have {query_labels.shape[1]} classes but database '
            f'labels have {database_labels.shape[1]}')
