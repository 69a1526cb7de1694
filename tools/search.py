"""Search an index with query images: their nearest items by Hamming distance.

    python tools/search.py CONFIG CHECKPOINT INDEX --query a.jpg b.jpg \
        [--topk 10 | --radius 2] [--out results.json] [--contact-sheet s.png]

Encodes the queries with the model (the config's test pipeline) and prints,
or writes as JSON, each query's ranked neighbours: id, Hamming distance and
path. ``--contact-sheet`` draws the queries and their results (paper fig. 5).
"""
import argparse
import json
import os.path as osp

from mmengine.config import Config, DictAction

from hashnet_mm.apis import HashInferencer
from hashnet_mm.search import HammingIndex, draw_contact_sheet
from hashnet_mm.search.storage import atomic_write


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Search a Hamming index with query images')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('index', help='index file (hashnet_mm.search)')
    parser.add_argument(
        '--query', nargs='+', required=True, help='query images')
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        '--topk', type=int, default=10, help='neighbours per query')
    scope.add_argument(
        '--radius', type=int,
        help='every item within this Hamming distance, instead of --topk')
    parser.add_argument('--out', help='write the results here (JSON)')
    parser.add_argument(
        '--contact-sheet', help='draw queries and results to this PNG')
    parser.add_argument(
        '--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries')
    return parser.parse_args(argv)


def as_json(queries, results):
    """Each query's neighbours as JSON-able dicts, nearest first."""
    report = []
    for query, result in zip(queries, results):
        result = result.found()
        paths = [None] * len(result.ids) if result.paths is None \
            else result.paths
        report.append(dict(query=query, neighbours=[
            dict(rank=rank, id=int(i), distance=int(d), path=path)
            for rank, (i, d, path) in enumerate(
                zip(result.ids, result.distances, paths), 1)
        ]))
    return report


def main(argv=None):
    args = parse_args(argv)
    missing = [path for path in args.query if not osp.isfile(path)]
    if missing:
        raise FileNotFoundError(f'query images not found: {missing}')
    index = HammingIndex.load(args.index)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = HashInferencer(cfg, args.checkpoint, args.device)
    if inferencer.num_bits != index.num_bits:
        raise ValueError(
            f'the model makes {inferencer.num_bits}-bit codes but {args.index} '
            f'holds {index.num_bits}-bit codes: was it built with another '
            'checkpoint?')
    codes = inferencer(args.query, batch_size=args.batch_size,
                       packed=True)['codes']
    if args.radius is not None:
        results = index.search_radius(codes, args.radius)
    else:
        found = index.search(codes, args.topk)
        results = [found.select(row) for row in range(len(codes))]
    text = json.dumps(as_json(args.query, results), indent=1)
    if args.out:
        with atomic_write(args.out) as f:
            f.write(text.encode())
    else:
        print(text)
    if args.contact_sheet:
        draw_contact_sheet(args.query, results, args.contact_sheet)


if __name__ == '__main__':
    main()
