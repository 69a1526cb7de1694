"""Convert MS-COCO 2014 instance annotations to HashNet list files.

Images: train2014 + val2014, those with no category pruned (122,218 left),
80 labels. Two splits (``--protocol``), both with 5,000 random queries and
10,000 random training images (the same draws for a seed):

- ``released`` (default): the authors' released lists (caffe/data/coco and
  pytorch/data/coco of thuml/HashNet): a 112,218-image database that holds
  the 5,000 queries, and 10,000 training images outside it (122,218 unique
  images in all). These lists came with the Caffe code that produced the
  paper's Table 1, so this split is the one its numbers are comparable to.
- ``paper``: the paper's text (Sec. 4.1): the queries left out of a
  117,218-image database, the training images drawn from it.

Layout expected under --data-root (the default paths):
    annotations/instances_train2014.json   train2014/COCO_train2014_*.jpg
    annotations/instances_val2014.json     val2014/COCO_val2014_*.jpg

Validation is no extra list: the dataset configs hold 1,000 of train.txt's
10,000 images out as validation queries (``HashListDataset`` ``subset`` /
``val_queries``), ranked against the other 9,000, which are trained on.
"""
import argparse
import json
import os.path as osp

import numpy as np

from hashnet_mm.datasets.list_files import (check_images_exist,
                                            describe_splits, write_splits)
from hashnet_mm.datasets.retrieval_splits import random_split
from hashnet_mm.datasets.validation_split import describe_validation


def require(entry, fields, where):
    """Raise naming ``where`` if ``entry`` lacks any of ``fields``."""
    if not isinstance(entry, dict):
        raise ValueError(f'{where}: expected an object, got {entry!r}')
    for field in fields:
        if field not in entry:
            raise ValueError(f'{where}: missing field {field!r}')


def load_instances(ann_file, image_dir):
    """Categories ``{id: name}`` and ``[(image path, category ids)]`` of one
    instances JSON, image paths ``image_dir/file_name``."""
    try:
        with open(ann_file) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{ann_file}: not valid JSON ({e})') from e
    require(data, ('images', 'annotations', 'categories'), ann_file)
    categories = {}
    for i, cat in enumerate(data['categories']):
        require(cat, ('id', 'name'), f'{ann_file}: categories[{i}]')
        categories[cat['id']] = cat['name']
    images, names = {}, {}
    for i, image in enumerate(data['images']):
        where = f'{ann_file}: images[{i}]'
        require(image, ('id', 'file_name'), where)
        for key, seen in (('id', images), ('file_name', names)):
            if image[key] in seen:
                raise ValueError(f'{where}: duplicate {key} {image[key]!r} '
                                 f'(also images[{seen[image[key]]}])')
        images[image['id']], names[image['file_name']] = i, i
    labels = [set() for _ in images]
    for i, ann in enumerate(data['annotations']):
        where = f'{ann_file}: annotations[{i}]'
        require(ann, ('image_id', 'category_id'), where)
        if ann['image_id'] not in images:
            raise ValueError(f'{where}: unknown image_id {ann["image_id"]!r}')
        if ann['category_id'] not in categories:
            raise ValueError(f'{where}: unknown category_id '
                             f'{ann["category_id"]!r}')
        labels[images[ann['image_id']]].add(ann['category_id'])
    paths = [f'{image_dir}/{image["file_name"]}' for image in data['images']]
    return categories, list(zip(paths, labels))


def convert(data_root, ann_files, image_dirs, label_order='id'):
    """Image paths, (N, C) multi-hot labels, category names and the
    annotation file of each image, pruning images with no category."""
    categories, entries, sources = None, [], []
    for ann_file, image_dir in zip(ann_files, image_dirs):
        path = osp.join(data_root, ann_file)
        cats, items = load_instances(path, image_dir)
        if categories is not None and cats != categories:
            raise ValueError(f'{path}: categories differ from those of '
                             f'{sources[0]}')
        categories = cats
        entries += items
        sources += [path] * len(items)
    key = (lambda c: c) if label_order == 'id' else (lambda c: categories[c])
    ids = sorted(categories, key=key)
    column = {cat: j for j, cat in enumerate(ids)}
    kept = [i for i, (_, cats) in enumerate(entries) if cats]
    labels = np.zeros((len(kept), len(ids)), dtype=np.int64)
    for row, i in enumerate(kept):
        labels[row, [column[c] for c in entries[i][1]]] = 1
    return ([entries[i][0] for i in kept], labels,
            [categories[c] for c in ids], [sources[i] for i in kept])


PROTOCOLS = ('released', 'paper')


def coco_split(num_images, num_query, num_train, seed=0, protocol='released'):
    """Query / train / database indices (sorted) of one protocol (module
    docstring); the queries and training images are the same draws for
    both."""
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    splits = random_split(num_images, num_query, num_train, seed)
    if protocol == 'released':
        splits['database'] = np.setdiff1d(
            np.arange(num_images), splits['train'])
    return splits


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--data-root', default='data/coco')
    parser.add_argument(
        '--ann-files',
        nargs='+',
        default=[
            'annotations/instances_train2014.json',
            'annotations/instances_val2014.json'
        ])
    parser.add_argument(
        '--image-dirs',
        nargs='+',
        default=['train2014', 'val2014'],
        help='image folder of each annotation file')
    parser.add_argument('--out', help='where the lists go (--data-root)')
    parser.add_argument('--num-query', type=int, default=5000)
    parser.add_argument('--num-train', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--protocol',
        choices=PROTOCOLS,
        default='released',
        help='released: database holds the queries, training images '
        'outside it (the released lists behind Table 1; default); paper: '
        'queries outside the database, training images inside (Sec. 4.1)')
    parser.add_argument(
        '--label-order',
        choices=['id', 'name'],
        default='id',
        help='label columns by category id, or by name as in the released '
        'HashNet lists')
    parser.add_argument(
        '--no-check-images',
        action='store_true',
        help='do not check that every image file exists')
    args = parser.parse_args(argv)
    if len(args.ann_files) != len(args.image_dirs):
        parser.error('give one --image-dirs entry per --ann-files entry')
    return args


def main(argv=None):
    args = parse_args(argv)
    paths, labels, names, sources = convert(args.data_root, args.ann_files,
                                            args.image_dirs, args.label_order)
    if not args.no_check_images:
        check_images_exist(args.data_root, paths, sources)
    splits = coco_split(
        len(paths), args.num_query, args.num_train, args.seed, args.protocol)
    out = args.out or args.data_root
    write_splits(out, paths, labels, splits)
    print(f'MS-COCO: {len(paths)} images with a category, {len(names)} '
          f'labels, {args.protocol} protocol; written to {out}: '
          f'{describe_splits(splits)}')
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
