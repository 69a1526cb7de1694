"""Search an index with query images: their nearest items by Hamming distance.

    python tools/search.py CONFIG CHECKPOINT INDEX \
        (--query a.jpg FOLDER ... | --query-list queries.txt \
         [--data-root DIR]) [--topk 10 | --radius 2] [--json] \
        [--out results.json] [--contact-sheet s.png] [--image-root DIR] \
        [--nprobe P] [--nflip F]

INDEX is an index file or a folder of per-shard indexes
(``tools/build_index.py --per-shard``), whose results are merged exactly.
Which top-k is exact: ``flat`` always; ``hash`` by default (the radius
grows until k are found; ``--nflip F`` gives FAISS's faster approximate
top-k instead); ``ivf`` only with ``--nprobe`` equal to its ``nlist``.
Radius search is exact for every kind but ``ivf`` below ``nlist`` probes.
Ties at the k-th distance go to the smaller id.

Encodes the queries with the model (the config's test pipeline) and prints
each query's ranked neighbours as a table (rank, id, Hamming distance, path),
or as JSON with ``--json`` / ``--format json``; ``--out`` writes the JSON to
a file instead. ``--contact-sheet`` draws the queries and their results
(paper fig. 5).

``--query-list`` reads the queries from a list file in the HashNet format
(``path l_1 ... l_C`` or ``path c`` per line, or paths alone; paths relative
to the list's folder or ``--data-root``). When both a query's labels and the
index's labels (kept from a labelled list by ``tools/encode.py``) are known,
each neighbour is marked right (it shares a label with the query) or wrong:
in the table, as ``right`` in the JSON, and by a green or red frame on the
contact sheet. A ``--query`` folder means its images (``hashnet_mm.images``'
rule, recursively).

The index stores the items' paths relative to the image root recorded when
the collection was encoded; the printed paths are under that root, or under
``--image-root`` when the images have moved since.
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config, DictAction

from hashnet_mm.apis import HashInferencer
from hashnet_mm.datasets import HashListDataset
from hashnet_mm.datasets.list_files import numbered_lines
from hashnet_mm.images import find_image_files
from hashnet_mm.search import Neighbours, draw_contact_sheet
from hashnet_mm.search.build_index import KIND_HELP
from hashnet_mm.search.codes_file import missing_image_error
from hashnet_mm.search.sharded_index import load_index
from hashnet_mm.search.storage import atomic_write
from hashnet_mm.utils.cli import add_max_pixels_arg, max_pixels_setting


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Search a Hamming index with query images',
        epilog='Which top-k is exact, by index kind: ' + KIND_HELP +
        '. Radius search is exact on flat and hash indexes. Ties at the '
        'k-th distance go to the smaller id.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'index',
        help='index file, or folder of per-shard indexes '
        '(tools/build_index.py)')
    queries = parser.add_mutually_exclusive_group(required=True)
    queries.add_argument(
        '--query',
        nargs='+',
        help='query images, or folders (their images, recursively)')
    queries.add_argument(
        '--query-list',
        help='list file of query images: one path per line, alone or with '
        'labels (HashNet list format); with labels, each neighbour is '
        'marked right or wrong')
    parser.add_argument(
        '--data-root',
        help="folder the --query-list paths are relative to (default: the "
        "list's folder)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        '--topk', type=int, default=10, help='neighbours per query')
    scope.add_argument(
        '--radius',
        type=int,
        help='every item within this Hamming distance, instead of --topk')
    parser.add_argument(
        '--nprobe',
        type=int,
        help="ivf index: lists scanned per query (default: the index's); "
        'top-k is exact only when it equals nlist')
    parser.add_argument(
        '--nflip',
        type=int,
        help='hash index: approximate top-k probing buckets within this '
        'many flips of each substring (faster); default: exact top-k')
    parser.add_argument(
        '--image-root',
        help='folder the index\'s paths are relative to now (default: the '
        'image root recorded when the collection was encoded); give it when '
        'the images have moved')
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        '--format',
        choices=('table', 'json'),
        default='table',
        help='what is printed: a table per query (default) or JSON')
    output.add_argument(
        '--json',
        dest='format',
        action='store_const',
        const='json',
        help='print JSON (the same as --format json)')
    parser.add_argument(
        '--out', help='write the results here as JSON (instead of printing)')
    parser.add_argument(
        '--contact-sheet', help='draw queries and results to this PNG')
    parser.add_argument(
        '--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--batch-size', type=int, default=32)
    add_max_pixels_arg(parser, 'a query image')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    args = parser.parse_args(argv)
    if args.data_root and not args.query_list:
        parser.error('--data-root is for --query-list')
    args.max_pixels = max_pixels_setting(parser, args)
    return args


def read_query_list(
    list_file: str,
    data_root: Optional[str] = None,
    num_classes: Optional[int] = None
) -> Tuple[List[str], Optional[np.ndarray]]:
    """``(paths, labels)`` of a query list: (Q, C) bool multi-hot labels, or
    None for a list of paths alone.

    A labelled list is read as ``HashListDataset`` reads it (errors name the
    file and line), with ``num_classes`` = the index's C when it has labels,
    so that query and items are compared on the same classes.
    """
    list_file = osp.abspath(list_file)
    root = data_root or osp.dirname(list_file)
    lines = numbered_lines(list_file)
    if not lines:
        raise ValueError(f'{list_file}: no images listed')
    if len(lines[0][1].split()) == 1:  # paths alone
        paths = [osp.join(root, line) for _, line in lines]
        return paths, None
    dataset = HashListDataset(
        ann_file=list_file,
        data_root=root,
        num_classes=num_classes,
        pipeline=[])
    width = num_classes or len(dataset.metainfo['classes'])
    labels = np.zeros((len(dataset), width), dtype=bool)
    paths = []
    for row, i in zip(labels, range(len(dataset))):
        info = dataset.get_data_info(i)
        paths.append(info['img_path'])
        row[info['gt_label']] = True
    return paths, labels


def expand_queries(queries: Sequence[str]) -> List[str]:
    """``--query``: each file as it is, each folder as its images (sorted);
    a folder without images is an error naming it."""
    expanded = []
    for query in queries:
        if not osp.isdir(query):
            expanded.append(query)
            continue
        images, others = find_image_files(query)
        if not images:
            raise FileNotFoundError(f'query folder {query} holds no images' + (
                f' ({len(others)} other files)' if others else ''))
        expanded.extend(images)
    return expanded


def set_search_knobs(index, args) -> None:
    """``--nprobe`` and ``--nflip``, each for its index kind only; a hash
    index searches exactly unless ``--nflip`` is given."""
    if args.nprobe is not None:
        if index.kind != 'ivf':
            raise ValueError(f'--nprobe is for ivf indexes; {args.index} is '
                             f'a {index.kind} index')
        index.nprobe = args.nprobe
    if index.kind == 'hash':
        index.nflip = args.nflip
    elif args.nflip is not None:
        raise ValueError(f'--nflip is for hash indexes; {args.index} is a '
                         f'{index.kind} index')


def check_images_exist(results: Sequence[Neighbours],
                       image_root: Optional[str], recorded_root: Optional[str],
                       source: str) -> None:
    """FileNotFoundError naming the first result image that is missing,
    where it was looked for and what to do (before anything is drawn)."""
    for result in results:
        if result.paths is None:
            continue
        for path in result.found().paths:
            if not osp.isfile(path):
                stored = osp.relpath(path, image_root or recorded_root) \
                    if (image_root or recorded_root) else path
                raise missing_image_error(path, stored, image_root,
                                          recorded_root, source)


def as_json(queries: Sequence[str],
            results: Sequence[Neighbours],
            query_labels: Optional[np.ndarray] = None) -> List[dict]:
    """Each query's neighbours as JSON-able dicts, nearest first.

    With the labels of the queries and of the index, a query also gives its
    ``labels`` (class indices) and each neighbour whether it is ``right``
    (shares a label with the query)."""
    report = []
    for row, (query, result) in enumerate(zip(queries, results)):
        labels = None if query_labels is None else query_labels[row]
        result = result.found()
        paths = [None] * len(result.ids) if result.paths is None \
            else result.paths
        relevant = result.relevant(labels)
        entry = dict(query=query)
        if labels is not None:
            entry['labels'] = np.flatnonzero(labels).tolist()
        entry['neighbours'] = []
        for rank, (i, d, path) in enumerate(
                zip(result.ids, result.distances, paths), 1):
            neighbour = dict(rank=rank, id=int(i), distance=int(d), path=path)
            if relevant is not None:
                neighbour['right'] = bool(relevant[rank - 1])
            entry['neighbours'].append(neighbour)
        report.append(entry)
    return report


def as_table(report: List[dict], scope: str) -> str:
    """The JSON report (:func:`as_json`) as a readable table per query."""
    blocks = []
    for number, entry in enumerate(report, 1):
        neighbours = entry['neighbours']
        marked = bool(neighbours) and 'right' in neighbours[0]
        head = f"query {number}/{len(report)}: {entry['query']}"
        if 'labels' in entry:
            head += '  labels: ' + (' '.join(map(str, entry['labels']))
                                    or 'none')
        if marked:
            right = sum(n['right'] for n in neighbours)
            head += f'  right: {right}/{len(neighbours)}'
        lines = [head]
        if not neighbours:
            lines.append(f'  (no neighbours {scope})')
        else:
            columns = ['rank', 'id', 'distance'
                       ] + (['mark'] if marked else []) + ['path']
            rows = [[str(n['rank']),
                     str(n['id']),
                     str(n['distance'])] +
                    (['right' if n['right'] else 'wrong'] if marked else []) +
                    ['-' if n['path'] is None else n['path']]
                    for n in neighbours]
            widths = [
                max(len(c), *(len(r[i]) for r in rows))
                for i, c in enumerate(columns)
            ]
            numeric = {'rank', 'id', 'distance'}

            def line(cells):
                return '  ' + '  '.join(
                    cell.rjust(width) if name in numeric else cell.ljust(width)
                    for name, cell, width in zip(columns, cells,
                                                 widths)).rstrip()

            lines.append(line(columns))
            lines.extend(line(r) for r in rows)
        blocks.append('\n'.join(lines))
    return '\n\n'.join(blocks)


def main(argv=None):
    args = parse_args(argv)
    index = load_index(args.index)
    recorded_root = index.image_root
    if args.image_root:  # results' paths under where the images are now
        index.image_root = osp.abspath(args.image_root)
    set_search_knobs(index, args)
    query_labels = None
    if args.query_list:
        queries, query_labels = read_query_list(args.query_list,
                                                args.data_root,
                                                index.num_classes)
        if query_labels is not None and index.num_classes is None:
            print(
                f'note: {args.index} holds no labels (built from an '
                'unlabelled list or folder, or from a codes file written '
                'before labels were kept): neighbours are not marked right '
                'or wrong',
                file=sys.stderr)
    else:
        queries = args.query
    queries = expand_queries(queries) if args.query else queries
    missing = [path for path in queries if not osp.isfile(path)]
    if missing:
        raise FileNotFoundError(f'query images not found: {missing}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = HashInferencer(
        cfg, args.checkpoint, args.device, max_pixels=args.max_pixels)
    if inferencer.num_bits != index.num_bits:
        raise ValueError(
            f'the model makes {inferencer.num_bits}-bit codes but '
            f'{args.index} holds {index.num_bits}-bit codes: was it built '
            'with another checkpoint?')
    codes = inferencer(
        queries, batch_size=args.batch_size, packed=True)['codes']
    if args.radius is not None:
        results = index.search_radius(codes, args.radius)
        scope = f'within Hamming distance {args.radius}'
    else:
        found = index.search(codes, args.topk)
        results = [found.select(row) for row in range(len(codes))]
        scope = 'in the index'
    report = as_json(queries, results, query_labels)
    if args.out:
        with atomic_write(args.out) as f:
            f.write(json.dumps(report, indent=1).encode())
        print(f'{args.out}: the neighbours of {len(report)} queries')
    elif args.format == 'json':
        print(json.dumps(report, indent=1))
    else:
        print(as_table(report, scope))
    if args.contact_sheet:
        check_images_exist(results, args.image_root, recorded_root, args.index)
        draw_contact_sheet(
            queries,
            results,
            args.contact_sheet,
            query_labels=None if query_labels is None else list(query_labels))


if __name__ == '__main__':
    main()
