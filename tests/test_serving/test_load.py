"""Concurrent requests get the answers a lone request gets: threads on the
service, and the load benchmark's clients on a real server on loopback."""
import json
from concurrent.futures import ThreadPoolExecutor

from hashnet_mm.serving import create_app
from hashnet_mm.serving.server import background_server
from ..tool_modules import load_tool
from .conftest import listed


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_threads_share_the_model_and_index_safely(service, served_files):
    """Uploads and item queries, top-k and radius, from 6 threads at once:
    each answer is the one the same query gets alone."""
    queries, _ = listed(served_files[3], 'query')
    calls = [(service.search_upload, read(path), None, None, 4)
             for path in queries] + \
            [(service.search_upload, read(path), None, 6)
             for path in queries] + \
            [(service.search_item, item, 5) for item in range(0, 32, 3)] + \
            [(service.search_item, item, None, 3) for item in range(1, 32, 4)]

    def key(answer):
        return [(r['id'], r['distance'], r.get('right'))
                for r in answer['results']], answer['query']['code']

    alone = [key(call[0](*call[1:])) for call in calls]
    with ThreadPoolExecutor(6) as pool:
        together = list(
            pool.map(lambda call: key(call[0](*call[1:])), calls * 3))
    assert together == alone * 3


def test_concurrent_clients_on_loopback_get_the_index_answers(service):
    """The load benchmark, small: 4 clients, 48 requests (uploads and item
    ids), every answer equal to HammingIndex.search; no timing checked."""
    serve_load = load_tool('serve_load.py', folder='benchmarks')
    queries = serve_load.make_queries(service, 12, k=5)
    assert {q.kind for q in queries} == {'upload', 'item'}
    assert all(len(q.expected) == 5 for q in queries)
    with background_server(create_app(service)) as url:
        assert url.startswith('http://127.0.0.1:')
        record = serve_load.run_load(url, queries, clients=4, requests=48)
    assert record['failures'] == 0, record['failure_examples']
    assert record['answered'] == 48


def test_the_load_benchmark_records_its_figures(served_files, tmp_path):
    config, checkpoint, index_file, _ = served_files
    serve_load = load_tool('serve_load.py', folder='benchmarks')
    out = str(tmp_path / 'serving')
    serve_load.main([
        config, checkpoint, index_file, '--clients', '1', '3', '--requests',
        '12', '--queries', '6', '--k', '4', '--machine', 'a test machine',
        '--out', out
    ])
    with open(out + '.json') as f:
        record = json.load(f)
    assert record['machine'] == 'a test machine'
    assert (record['num_bits'], record['index_size'], record['k']) == \
        (16, 32, 4)
    assert [(r['clients'], r['answered'], r['failures'])
            for r in record['runs']] == [(1, 12, 0), (3, 12, 0)]
    assert set(record['runs'][0]['latency_ms']) == {'p50', 'p90', 'p99'}
    with open(out + '.md') as f:
        table = f.read()
    assert 'Measured on a test machine' in table
    assert '--clients 1 3 --requests 12' in table
    assert '| 3 | 12 | 0 |' in table


def test_the_server_socket_lets_asyncio_turn_nagle_off():
    """asyncio sets TCP_NODELAY on accepted connections only when the
    listening socket names IPPROTO_TCP; else each response waits ~40 ms."""
    import socket

    from hashnet_mm.serving.server import loopback_socket
    sock = loopback_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == '127.0.0.1'
    finally:
        sock.close()
