"""Tiny indexes search faster on one OpenMP thread than on a busy CPU's two
(FAISS's threads then mostly wait for each other)."""
import faiss
import pytest


@pytest.fixture(autouse=True)
def one_faiss_thread():
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(threads)
