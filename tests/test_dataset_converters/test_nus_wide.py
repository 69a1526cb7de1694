"""tools/dataset_converters/nus_wide.py on hand-made NUS-WIDE files."""
import os

import numpy as np
import pytest

from ..tool_modules import load_tool
from .lists import check_protocol, label_map, read_splits

nus_wide = load_tool('dataset_converters/nus_wide.py')

CONCEPTS = ['animal', 'beach', 'clouds', 'dog', 'sky']
# Concept frequencies differ so that the most frequent 3 are well defined.
PROBS = [0.3, 0.1, 0.5, 0.05, 0.6]


def make_nus(root, num=60, seed=0):
    """NUS-WIDE's image list (Windows separators), concept list, one label
    file per concept, and empty image files. Returns paths and labels."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((num, len(CONCEPTS))) < PROBS).astype(int)
    labels[:4] = 0  # images with no concept at all
    for d in ('ImageList', 'ConceptsList', 'Groundtruth/AllLabels'):
        os.makedirs(root / d)
    folders = [CONCEPTS[i % len(CONCEPTS)] for i in range(num)]
    names = [f'{i:04d}_{1000 + i}.jpg' for i in range(num)]
    (root / 'ImageList/Imagelist.txt').write_text(''.join(
        f'{folder}\\{name}\r\n' for folder, name in zip(folders, names)))
    (root / 'ConceptsList/Concepts81.txt').write_text('\n'.join(CONCEPTS))
    for c, concept in enumerate(CONCEPTS):
        (root / f'Groundtruth/AllLabels/Labels_{concept}.txt').write_text(
            ''.join(f'{v}\n' for v in labels[:, c]))
    paths = [f'Flickr/{f}/{n}' for f, n in zip(folders, names)]
    for path in paths:
        os.makedirs((root / path).parent, exist_ok=True)
        (root / path).write_bytes(b'')
    return paths, labels


def run(root, *extra):
    return nus_wide.main([
        '--data-root',
        str(root), '--num-query', '5', '--num-train', '10', '--concepts', '5',
        *extra
    ])


@pytest.mark.parametrize('num_concepts', [5, 3])
def test_splits_and_labels(tmp_path, num_concepts):
    paths, labels = make_nus(tmp_path)
    # Unlabelled images are kept by default with all concepts; this
    # test is of the pruned lists.
    run(tmp_path, '--concepts', str(num_concepts), '--unlabelled', 'drop')
    splits = read_splits(tmp_path / f'nuswide_{num_concepts}')
    # The most frequent concepts, kept in the concept list's order.
    counts = labels.sum(axis=0)
    columns = sorted(sorted(range(5), key=lambda c: -counts[c])[:num_concepts])
    assert columns == ([0, 1, 2, 3, 4] if num_concepts == 5 else [0, 2, 4])
    expected = {
        p: row[columns].tolist()
        for p, row in zip(paths, labels) if row[columns].any()
    }
    check_protocol(
        splits, {
            'query': 5,
            'train': 10,
            'database': len(expected) - 5
        },
        train_in_database=True)
    assert label_map(splits) == expected


def test_same_seed_same_split(tmp_path):
    make_nus(tmp_path)
    outs = [tmp_path / name for name in 'abc']
    for out, seed in zip(outs, '001'):
        run(tmp_path, '--out', str(out), '--seed', seed)
    a, b, c = (read_splits(out) for out in outs)
    assert a['database'][0] == b['database'][0]
    assert a['query'][0] != c['query'][0]


def test_bad_label_files_name_file_and_line(tmp_path):
    make_nus(tmp_path)
    label_file = tmp_path / 'Groundtruth/AllLabels/Labels_dog.txt'
    lines = label_file.read_text().splitlines()
    label_file.write_text('\n'.join(lines[:7] + ['2'] + lines[8:]) + '\n')
    with pytest.raises(
            ValueError,
            match=r"Labels_dog.txt:8: label must be 0 or 1, "
            r"got '2'"):
        run(tmp_path)
    label_file.write_text('\n'.join(lines[:-1]) + '\n')
    with pytest.raises(
            ValueError,
            match=r'Labels_dog.txt: 59 labels, but '
            'the image list has 60 images'):
        run(tmp_path)
    label_file.unlink()
    with pytest.raises(FileNotFoundError, match='Labels_dog.txt not found'):
        run(tmp_path)


def test_duplicate_image_and_concept(tmp_path):
    make_nus(tmp_path)
    image_list = tmp_path / 'ImageList/Imagelist.txt'
    lines = image_list.read_text().splitlines()
    image_list.write_text('\n'.join(lines + [lines[2]]) + '\n')
    with pytest.raises(
            ValueError,
            match=r'Imagelist.txt:61: .* is already '
            'listed on line 3'):
        run(tmp_path)
    image_list.write_text('\n'.join(lines) + '\n')
    concepts = tmp_path / 'ConceptsList/Concepts81.txt'
    concepts.write_text('\n'.join(CONCEPTS + ['beach']))
    with pytest.raises(
            ValueError,
            match=r'Concepts81.txt:6: beach is already '
            'listed on line 2'):
        run(tmp_path)


def test_missing_images_stop_or_are_dropped(tmp_path, capsys):
    paths, labels = make_nus(tmp_path)
    gone = [i for i in range(10, 60) if labels[i].any()][:3]
    for i in gone:
        (tmp_path / paths[i]).unlink()
    with pytest.raises(
            FileNotFoundError,
            match=r'3 listed images not found'
            rf'.*{paths[gone[0]]} \(listed in .*Imagelist.txt\)'):
        run(tmp_path)
    run(tmp_path, '--drop-missing-images', '--unlabelled', 'drop')
    assert '(3 missing images left out)' in capsys.readouterr().out
    kept = label_map(read_splits(tmp_path / 'nuswide_5'))
    assert len(kept) == int(labels.any(axis=1).sum()) - 3
    assert not {paths[i] for i in gone} & set(kept)


def test_unlabelled_images_are_kept_by_default_with_all_concepts(
        tmp_path, capsys):
    # As the released nuswide_81 lists: an image with no concept is listed
    # with an all-zero label row, in any split.
    paths, labels = make_nus(tmp_path)
    num_unlabelled = int((~labels.any(axis=1)).sum())
    assert num_unlabelled >= 4  # rows 0-3, and some drawn so
    run(tmp_path, '--seed', '3')
    assert f'({num_unlabelled} with none of them, kept)' in \
        capsys.readouterr().out
    splits = read_splits(tmp_path / 'nuswide_5')
    check_protocol(
        splits, {
            'query': 5,
            'train': 10,
            'database': 55
        },
        train_in_database=True)
    assert label_map(splits) == {
        p: row.tolist()
        for p, row in zip(paths, labels)
    }
    assert sum(not any(row) for row in label_map(splits).values()) == \
        num_unlabelled


@pytest.mark.parametrize(
    'extra,columns,kept',
    [
        ((), [0, 1, 2, 3, 4], 'all'),
        (('--unlabelled', 'drop'), [0, 1, 2, 3, 4], 'labelled'),
        (('--concepts', '3'), [0, 2, 4], 'labelled'),  # as NUS-WIDE-21
        (('--concepts', '3', '--unlabelled', 'keep'), [0, 2, 4], 'all')
    ])
def test_unlabelled_default_follows_the_concept_count(tmp_path, extra, columns,
                                                      kept):
    _, labels = make_nus(tmp_path)
    labelled = int(labels[:, columns].any(axis=1).sum())
    assert labelled < 60
    run(tmp_path, '--out', str(tmp_path / 'out'), *extra)
    assert len(label_map(read_splits(tmp_path / 'out'))) == \
        (60 if kept == 'all' else labelled)
