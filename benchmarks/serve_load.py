"""Load on the search server: concurrent clients on loopback, every answer
checked against HammingIndex's own search.

    python -m benchmarks serve_load CONFIG CHECKPOINT INDEX \
        [--clients 4] [--requests 400] [--k 10] [--machine "a 2-core Xeon VM"]

Serves the model and index in this process (uvicorn on a free 127.0.0.1
port, as ``tools/serve.py`` does) and sends a fixed number of requests from
``--clients`` threads, each on its own keep-alive connection: half are
uploads of indexed items' image files (multipart, as the page sends them),
half are searches by item id (JSON). Before serving, the expected neighbours
of every query are computed with the model and ``HammingIndex.search``
directly; an answer that differs, or an error, is counted (and fails the
run). Records p50 / p90 / p99 latency and requests per second to ``--out``
(JSON, default ``benchmarks/results/serve_load.json``; a path without
``.json`` is taken as the stem) and a markdown table beside it (``.md``);
the page of record: ``docs/en/benchmarks/serving.md``.
"""
import argparse
import http.client
import itertools
import json
import os
import os.path as osp
import queue
import socket
import threading
import time
import uuid
from typing import List, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

import numpy as np

from benchmarks._record import add_out_argument, make_record, save_json
from hashnet_mm.experiments.report import machine

KIND = 'speed'


class Query(NamedTuple):
    """One request and the neighbours it must get: (id, distance) pairs."""
    body: bytes
    content_type: str
    expected: List[Tuple[int, int]]
    kind: str  # 'upload' or 'item'


def multipart(fields: dict, file_field: str, filename: str,
              data: bytes) -> Tuple[bytes, str]:
    """(body, content type) of a multipart form with one file."""
    boundary = uuid.uuid4().hex
    parts = [(f'--{boundary}\r\nContent-Disposition: form-data; '
              f'name="{name}"\r\n\r\n{value}\r\n').encode()
             for name, value in fields.items()]
    parts.append((f'--{boundary}\r\nContent-Disposition: form-data; '
                  f'name="{file_field}"; filename="{filename}"\r\n'
                  'Content-Type: application/octet-stream\r\n\r\n').encode() +
                 data + b'\r\n')
    parts.append(f'--{boundary}--\r\n'.encode())
    return b''.join(parts), f'multipart/form-data; boundary={boundary}'


def make_queries(service, count: int, k: int, seed: int = 0) -> List[Query]:
    """``count`` queries on indexed items (half uploads of their files,
    half by id), with the expected neighbours from the model and the
    index directly."""
    items = service.items
    if items.paths is None:
        raise ValueError('the index stores no image paths: no queries to '
                         'send')
    rng = np.random.default_rng(seed)
    chosen = rng.choice(items.ids, size=min(count, len(items)), replace=False)
    paths = [items.path(int(i)) for i in chosen]
    codes = service.inferencer(paths, batch_size=64, packed=True)['codes']
    queries = []
    for number, (item_id, path, code) in enumerate(zip(chosen, paths, codes)):
        item_id = int(item_id)
        if number % 2:
            found = service.index.search(code[None], k + 1).select(0)
            expected = [(int(i), int(d))
                        for i, d in zip(found.ids, found.distances)
                        if i >= 0 and i != item_id][:k]
            body = json.dumps(dict(id=item_id, k=k)).encode()
            queries.append(Query(body, 'application/json', expected, 'item'))
        else:
            found = service.index.search(code[None], k).select(0)
            expected = [(int(i), int(d))
                        for i, d in zip(found.ids, found.distances) if i >= 0]
            with open(path, 'rb') as f:
                body, content_type = multipart(
                    dict(k=k), 'image', osp.basename(path), f.read())
            queries.append(Query(body, content_type, expected, 'upload'))
    return queries


class Connection(http.client.HTTPConnection):
    """A keep-alive connection without Nagle's algorithm, as browsers and
    curl open them (http.client sends a request's headers and body in two
    writes)."""

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def run_load(base_url: str,
             queries: List[Query],
             clients: int,
             requests: int,
             timeout: float = 60.0) -> dict:
    """Send ``requests`` requests (the queries in turn) from ``clients``
    threads; latency of each, and every answer compared with its expected
    neighbours."""
    address = urlsplit(base_url)
    work: 'queue.Queue[Optional[Query]]' = queue.Queue()
    for query in itertools.islice(itertools.cycle(queries), requests):
        work.put(query)
    latencies: List[float] = []
    failures: List[str] = []
    lock = threading.Lock()

    def client():
        connection = Connection(
            address.hostname, address.port, timeout=timeout)
        try:
            while True:
                try:
                    query = work.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                try:
                    connection.request('POST', '/api/search', query.body,
                                       {'Content-Type': query.content_type})
                    response = connection.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    with lock:
                        failures.append(f'{query.kind}: {error!r}')
                    continue
                elapsed = time.perf_counter() - start
                problem = None
                if response.status != 200:
                    problem = f'HTTP {response.status}: {payload[:200]!r}'
                else:
                    answer = json.loads(payload)
                    got = [(r['id'], r['distance']) for r in answer['results']]
                    if got != query.expected:
                        problem = f'{got} != expected {query.expected}'
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        failures.append(f'{query.kind}: {problem}')
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return dict(
        clients=clients,
        requests=requests,
        answered=len(latencies),
        failures=len(failures),
        failure_examples=failures[:5],
        wall_s=round(wall, 3),
        requests_per_s=round(len(latencies) / wall, 2) if wall else None,
        latency_ms={
            f'p{q}': round(float(np.percentile(ms, q)), 2)
            for q in (50, 90, 99)
        } if len(ms) else {},
        mean_ms=round(float(ms.mean()), 2) if len(ms) else None)


def write_results(context: dict, out: str) -> None:
    """``out``.json (the record: ``context`` with its ``runs``) and
    ``out``.md (a page of it)."""
    save_json(out + '.json', context)
    records = context['runs']
    lines = [
        '# Search server under load',
        '',
        f"Measured on {context['machine']} ({context['cpu']}), "
        f"torch threads {context['torch_threads']}, load average "
        f"{context['load_average']} at the start (other processes share the "
        f"cores), {context['date'][:10]}:",
        '',
        f"    {context['command']}",
        '',
        f"Model: `{context['config']}` ({context['num_bits']}-bit codes); "
        f"index: {context['index_size']:,} items ({context['index_kind']}); "
        f"top {context['k']} per query. Each client is a thread with a "
        'keep-alive connection to `tools/serve.py`\'s app on 127.0.0.1; half '
        'the requests upload an indexed image (multipart), half search by '
        'item id (JSON). Latency is from sending the request to reading the '
        'whole answer; every answer is compared with `HammingIndex.search` '
        'for the same code.',
        '',
        '| clients | requests | failures | requests/s | p50 ms | p90 ms | '
        'p99 ms |',
        '|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in records:
        lat = r['latency_ms']
        lines.append(f"| {r['clients']} | {r['requests']} | {r['failures']} "
                     f"| {r['requests_per_s']} | {lat.get('p50')} | "
                     f"{lat.get('p90')} | {lat.get('p99')} |")
    lines += [
        '',
        'The model\'s forward runs under a lock (one image at a time): more '
        'clients gain only the overlap of HTTP, JSON and the index search '
        'with it, and their latency grows with the queue. Other processes '
        'shared the cores (the load average above), so figures vary between '
        'runs by tens of percent.',
        '',
    ]
    with open(out + '.md', 'w') as f:
        f.write('\n'.join(lines))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('index')
    parser.add_argument('--clients', type=int, nargs='+', default=[1, 4, 8])
    parser.add_argument(
        '--requests', type=int, default=400, help='requests per client count')
    parser.add_argument(
        '--queries',
        type=int,
        default=200,
        help='distinct queries (indexed items)')
    parser.add_argument('--k', type=int, default=10)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--machine',
        default='a 2-core Xeon VM',
        help='how the results name the hardware')
    add_out_argument(
        parser,
        'serve_load',
        what='the JSON record; the '
        'markdown page goes beside it (.md)')
    args = parser.parse_args(argv)
    args.out = osp.splitext(args.out)[0] if args.out.endswith('.json') \
        else args.out
    return args


def main(argv=None):
    args = parse_args(argv)
    import torch

    from hashnet_mm.serving import SearchService, create_app
    from hashnet_mm.serving.server import background_server

    service = SearchService.from_files(args.config, args.checkpoint,
                                       args.index, args.device)
    queries = make_queries(service, args.queries, args.k)
    load_average = round(os.getloadavg()[0], 1)
    records = []
    with background_server(create_app(service)) as url:
        run_load(url, queries[:4], 1, 8)  # warm up
        for clients in args.clients:
            record = run_load(url, queries, clients, args.requests)
            print(json.dumps(record))
            records.append(record)
    health = service.health()
    context = make_record(
        'serve_load',
        dict(
            machine=args.machine,
            cpu=machine(),
            torch_threads=torch.get_num_threads(),
            load_average=load_average,
            config=args.config,
            num_bits=health['num_bits'],
            index_size=health['index_size'],
            index_kind=health['index_kind'],
            k=args.k,
            runs=records), argv)
    write_results(context, args.out)
    print(f'{args.out}.md, {args.out}.json')
    if any(r['failures'] for r in records):
        raise SystemExit('some answers were wrong or failed: see '
                         f'{args.out}.json')


if __name__ == '__main__':
    main()
