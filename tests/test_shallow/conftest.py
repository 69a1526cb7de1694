"""Fixtures of the feature-hashing tests."""
import pytest
import torch

from .data import separable_split, splits


@pytest.fixture(autouse=True)
def one_thread():
    """Many small matrix operations: one thread is faster on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def separable():
    return splits(separable_split)
