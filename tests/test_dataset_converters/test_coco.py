"""tools/dataset_converters/coco.py on hand-made instances JSON files."""
import json
import os

import numpy as np
import pytest

from ..tool_modules import load_tool
from .lists import check_protocol, label_map, read_splits

coco = load_tool('dataset_converters/coco.py')

# Category ids are not contiguous, as in COCO; names not in id order.
CATEGORIES = [{
    'id': 1,
    'name': 'person'
}, {
    'id': 3,
    'name': 'car'
}, {
    'id': 7,
    'name': 'train'
}, {
    'id': 10,
    'name': 'bicycle'
}]


def make_coco(root, num_train=30, num_val=14, seed=0):
    """Two instances JSONs + empty image files; every 5th image has no
    annotation. Returns {image path: set of category names}."""
    rng = np.random.default_rng(seed)
    truth = {}
    os.makedirs(root / 'annotations')
    for split, count, offset in (('train2014', num_train, 0), ('val2014',
                                                               num_val, 1000)):
        os.makedirs(root / split)
        images, annotations = [], []
        for k in range(count):
            image_id = offset + k
            name = f'COCO_{split}_{image_id:012d}.jpg'
            (root / split / name).write_bytes(b'')
            images.append({'id': image_id, 'file_name': name, 'width': 640})
            cats = set() if k % 5 == 4 else set(
                rng.choice([c['id']
                            for c in CATEGORIES], rng.integers(1, 4)).tolist())
            for cat in sorted(cats) * 2:  # two boxes per category
                annotations.append({
                    'id': len(annotations),
                    'bbox': [0] * 4,
                    'image_id': image_id,
                    'category_id': cat
                })
            truth[f'{split}/{name}'] = cats
        data = {
            'images': images,
            'annotations': annotations,
            'categories': CATEGORIES,
            'info': {}
        }
        with open(root / 'annotations' / f'instances_{split}.json', 'w') as f:
            json.dump(data, f)
    return truth


def run(root, out, *extra):
    return coco.main([
        '--data-root',
        str(root), '--out',
        str(out), '--num-query', '5', '--num-train', '10', *extra
    ])


def test_splits_and_labels(tmp_path, capsys):
    truth = make_coco(tmp_path / 'coco')
    # The paper's split (the default is the released code's, 'released').
    run(tmp_path / 'coco', tmp_path / 'out', '--protocol', 'paper')
    splits = read_splits(tmp_path / 'out')
    kept = {path for path, cats in truth.items() if cats}
    assert len(kept) == 44 - 8
    check_protocol(
        splits, {
            'query': 5,
            'train': 10,
            'database': 31
        },
        train_in_database=True)
    rows = label_map(splits)
    assert set(rows) == kept  # images without a category are pruned
    by_id = sorted(c['id'] for c in CATEGORIES)
    for path, row in rows.items():
        assert row == [int(c in truth[path]) for c in by_id]
    assert 'query 5, train 10, database 31' in capsys.readouterr().out


def test_label_order_by_name(tmp_path):
    truth = make_coco(tmp_path / 'coco')
    run(tmp_path / 'coco', tmp_path / 'out', '--label-order', 'name')
    names = sorted(c['name'] for c in CATEGORIES)
    id_of = {c['name']: c['id'] for c in CATEGORIES}
    for path, row in label_map(read_splits(tmp_path / 'out')).items():
        assert row == [int(id_of[n] in truth[path]) for n in names]


def test_same_seed_same_split(tmp_path):
    make_coco(tmp_path / 'coco')
    for name, seed in (('a', '0'), ('b', '0'), ('c', '1')):
        run(tmp_path / 'coco', tmp_path / name, '--seed', seed)
    a, b, c = (read_splits(tmp_path / n) for n in 'abc')
    assert a['query'][0] == b['query'][0] and a['train'][0] == b['train'][0]
    assert a['query'][0] != c['query'][0]


def edit_json(path, edit):
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, 'w') as f:
        json.dump(data, f)


@pytest.mark.parametrize('edit,match', [
    (lambda d: d['annotations'][3].pop('category_id'),
     r'instances_train2014.json: annotations\[3\]: missing field '
     "'category_id'"),
    (lambda d: d['images'][2].pop('file_name'),
     r"instances_train2014.json: images\[2\]: missing field 'file_name'"),
    (lambda d: d.pop('categories'),
     r"instances_train2014.json: missing field 'categories'"),
    (lambda d: d['annotations'][0].update(image_id=999999),
     r'annotations\[0\]: unknown image_id 999999'),
    (lambda d: d['annotations'][0].update(category_id=2),
     r'annotations\[0\]: unknown category_id 2'),
    (lambda d: d['images'][5].update(file_name=d['images'][1]['file_name']),
     r"images\[5\]: duplicate file_name '.*' \(also images\[1\]\)"),
])
def test_bad_annotations_name_file_and_entry(tmp_path, edit, match):
    make_coco(tmp_path / 'coco')
    edit_json(tmp_path / 'coco/annotations/instances_train2014.json', edit)
    with pytest.raises(ValueError, match=match):
        run(tmp_path / 'coco', tmp_path / 'out')


def test_missing_image_is_named(tmp_path):
    make_coco(tmp_path / 'coco')
    (tmp_path / 'coco/val2014/COCO_val2014_000000001002.jpg').unlink()
    with pytest.raises(
            FileNotFoundError,
            match=r'1 listed images not found.*'
            r'COCO_val2014_000000001002.jpg \(listed in .*'
            r'instances_val2014.json\)'):
        run(tmp_path / 'coco', tmp_path / 'out')
    run(tmp_path / 'coco', tmp_path / 'out', '--no-check-images')


def test_invalid_json_and_too_many_queries(tmp_path):
    make_coco(tmp_path / 'coco')
    with pytest.raises(ValueError, match='need more than the 36 images'):
        run(tmp_path / 'coco', tmp_path / 'out', '--num-query', '30')
    (tmp_path / 'coco/annotations/instances_val2014.json').write_text('{')
    with pytest.raises(ValueError, match='instances_val2014.json: not valid'):
        run(tmp_path / 'coco', tmp_path / 'out')


def test_released_protocol_is_the_default(tmp_path, capsys):
    # As the released lists: the database (all but the training images)
    # holds the queries; the training images are outside it. 36 images with
    # a category: database 36 - 10 = 26, of which 5 are the queries.
    truth = make_coco(tmp_path / 'coco')
    run(tmp_path / 'coco', tmp_path / 'out')
    assert 'released protocol' in capsys.readouterr().out
    splits = read_splits(tmp_path / 'out')
    check_protocol(
        splits, {
            'query': 5,
            'train': 10,
            'database': 26
        },
        train_in_database=False,
        query_in_database=True)
    assert set(label_map(splits)) == {p for p, c in truth.items() if c}
    # The same query and training draws as the paper protocol's.
    run(tmp_path / 'coco', tmp_path / 'paper', '--protocol', 'paper')
    paper = read_splits(tmp_path / 'paper')
    for name in ('query', 'train'):
        assert splits[name][0] == paper[name][0]
    assert set(splits['database'][0]) == \
        set(paper['database'][0]) - set(paper['train'][0]) | \
        set(paper['query'][0])


def test_coco_split_on_index_ranges():
    released = coco.coco_split(20, 3, 5, seed=1)
    paper = coco.coco_split(20, 3, 5, seed=1, protocol='paper')
    everything = set(range(20))
    assert set(released['database']) == everything - set(released['train'])
    assert set(paper['database']) == everything - set(paper['query'])
    with pytest.raises(ValueError, match='protocol must be one of'):
        coco.coco_split(20, 3, 5, protocol='caffe')
