"""Convert NUS-WIDE (image list + concept label files) to HashNet lists.

Protocol (HashNet paper, Sec. 4.1): 5,000 random queries, the rest as the
database, 10,000 training images sampled from the database. ``--concepts
81`` keeps every concept (the paper's NUS-WIDE); ``--concepts 21`` the 21
most frequent ones (the common NUS-WIDE-21), labels in the concept list's
order.

Images with none of the kept concepts (``--unlabelled``): with all concepts
they are kept by default, as in the authors' released nuswide_81 lists
(2,185 of the 10,000 training and 1,131 of the 5,000 query images there have
no label; such a query has no relevant item, and such a database image is
relevant to no query, so with R = 5000 this changes the MAP); with fewer
concepts they are dropped by default, as the NUS-WIDE-21 protocol does
(195,834 images).

Layout expected under --data-root (NUS-WIDE's own archives; the defaults):
    ImageList/Imagelist.txt      one image a line, e.g. actor\\0001_212449.jpg
    ConceptsList/Concepts81.txt  one concept name a line
    Groundtruth/AllLabels/Labels_<concept>.txt  one 0/1 a line, per image
    Flickr/<concept>/<file>.jpg  the images

Validation is no extra list: the dataset configs hold 1,000 of train.txt's
10,000 images out as validation queries (``HashListDataset`` ``subset`` /
``val_queries``, stratified by each image's rarest concept), ranked against
the other 9,000, which are trained on.
"""
import argparse
import os.path as osp

import numpy as np

from hashnet_mm.datasets.list_files import (check_images_exist,
                                            describe_splits, missing_images,
                                            numbered_lines, write_splits)
from hashnet_mm.datasets.retrieval_splits import random_split
from hashnet_mm.datasets.validation_split import describe_validation


def read_image_list(path, image_dir):
    """``image_dir/<folder>/<file>`` for each line (Windows separators are
    accepted; only the last two path components are kept)."""
    paths = []
    for no, line in numbered_lines(path, unique=lambda line: line):
        parts = line.replace('\\', '/').split('/')
        if len(parts) < 2:
            raise ValueError(f'{path}:{no}: expected folder\\file, got '
                             f'{line!r}')
        paths.append('/'.join([image_dir] + parts[-2:]))
    return paths


def read_concepts(path):
    return [name for _, name in numbered_lines(path, unique=lambda n: n)]


def read_label_column(path, num_images):
    """One concept's 0/1 labels, one line per image."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file {path} not found')
    lines = numbered_lines(path)
    if len(lines) != num_images:
        raise ValueError(f'{path}: {len(lines)} labels, but the image list '
                         f'has {num_images} images')
    for no, value in lines:
        if value not in ('0', '1'):
            raise ValueError(f'{path}:{no}: label must be 0 or 1, got '
                             f'{value!r}')
    return np.array([value == '1' for _, value in lines], dtype=np.int64)


def convert(data_root,
            image_list,
            concept_list,
            label_dir,
            image_dir,
            num_concepts,
            drop_unlabelled=False):
    """Image paths and (N, C) labels over the ``num_concepts`` most frequent
    concepts (all of them if that is the list's length), and the kept
    concept names; ``drop_unlabelled`` leaves out the images with none of
    those concepts."""
    paths = read_image_list(osp.join(data_root, image_list), image_dir)
    names = read_concepts(osp.join(data_root, concept_list))
    if not 0 < num_concepts <= len(names):
        raise ValueError(f'cannot keep {num_concepts} of the {len(names)} '
                         'concepts')
    labels = np.stack([
        read_label_column(
            osp.join(data_root, label_dir, f'Labels_{name}.txt'), len(paths))
        for name in names
    ],
                      axis=1)
    frequent = np.argsort(-labels.sum(axis=0), kind='stable')[:num_concepts]
    columns = np.sort(frequent)
    labels = labels[:, columns]
    kept = np.flatnonzero(labels.any(axis=1)) if drop_unlabelled \
        else np.arange(len(paths))
    return ([paths[i]
             for i in kept], labels[kept], [names[c] for c in columns])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--data-root', default='data/nus_wide')
    parser.add_argument('--image-list', default='ImageList/Imagelist.txt')
    parser.add_argument(
        '--concept-list', default='ConceptsList/Concepts81.txt')
    parser.add_argument('--label-dir', default='Groundtruth/AllLabels')
    parser.add_argument('--image-dir', default='Flickr')
    parser.add_argument(
        '--concepts',
        type=int,
        default=81,
        help='keep the N most frequent concepts (81 or 21)')
    parser.add_argument(
        '--unlabelled',
        choices=['keep', 'drop'],
        help='images with none of the kept concepts: keep (the default with '
        'all concepts, as the released nuswide_81 lists) or drop (the '
        'default with fewer, as NUS-WIDE-21)')
    parser.add_argument(
        '--out', help='where the lists go (DATA_ROOT/nuswide_N)')
    parser.add_argument('--num-query', type=int, default=5000)
    parser.add_argument('--num-train', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--drop-missing-images',
        action='store_true',
        help='leave out (and count) images not on disk instead of stopping; '
        'many NUS-WIDE copies lack some Flickr images')
    parser.add_argument(
        '--no-check-images',
        action='store_true',
        help='do not check that every image file exists')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    all_concepts = len(
        read_concepts(osp.join(args.data_root, args.concept_list)))
    unlabelled = args.unlabelled or ('keep' if args.concepts == all_concepts
                                     else 'drop')
    paths, labels, names = convert(
        args.data_root,
        args.image_list,
        args.concept_list,
        args.label_dir,
        args.image_dir,
        args.concepts,
        drop_unlabelled=unlabelled == 'drop')
    dropped = 0
    if args.drop_missing_images:
        missing = set(missing_images(args.data_root, paths))
        keep = [i for i in range(len(paths)) if i not in missing]
        paths, labels, dropped = [paths[i] for i in keep], labels[keep], \
            len(missing)
    elif not args.no_check_images:
        check_images_exist(args.data_root, paths,
                           [args.image_list] * len(paths))
    splits = random_split(
        len(paths), args.num_query, args.num_train, args.seed)
    out = args.out or osp.join(args.data_root, f'nuswide_{args.concepts}')
    write_splits(out, paths, labels, splits)
    num_unlabelled = int((~labels.any(axis=1)).sum())
    print(f'NUS-WIDE: {len(paths)} images ' +
          (f'over {len(names)} concepts ({num_unlabelled} with none of '
           'them, kept)' if unlabelled ==
           'keep' else f'with one of {len(names)} concepts') +
          (f' ({dropped} missing images left out)' if dropped else '') +
          f'; written to {out}: {describe_splits(splits)}')
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
