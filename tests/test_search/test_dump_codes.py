"""DumpHashCodes: mmengine metric writing a test loop's codes to a file."""
import numpy as np
import pytest
import torch

from hashnet_mm.encoding import DumpHashCodes
from hashnet_mm.search import CodesFile, unpack_codes


def predictions(codes, paths=True):
    return [
        dict(
            hash_code=torch.tensor(code, dtype=torch.float32),
            sample_idx=i,
            **(dict(img_path=f'img/{i}.png') if paths else {}))
        for i, code in enumerate(codes)
    ]


@pytest.mark.parametrize('paths', [True, False])
def test_writes_codes_in_sample_order_whatever_the_arrival(tmp_path, paths):
    codes = np.random.default_rng(0).choice([-1, 1], (23, 12))
    samples = predictions(codes, paths)
    out_file = str(tmp_path / 'codes.npz')
    metric = DumpHashCodes(out_file)
    order = np.random.default_rng(1).permutation(len(samples))
    for start in range(0, len(order), 5):
        metric.process({}, [samples[i] for i in order[start:start + 5]])
    assert metric.evaluate(len(samples)) == {
        'encode/num_items': 23,
        'encode/num_bits': 12
    }
    written = CodesFile.load(out_file)
    np.testing.assert_array_equal(unpack_codes(written.codes, 12), codes)
    np.testing.assert_array_equal(written.ids, np.arange(23))
    assert written.paths == ([f'img/{i}.png'
                              for i in range(23)] if paths else None)


def test_missing_or_repeated_samples_are_an_error(tmp_path):
    samples = predictions(np.ones((4, 8)))
    metric = DumpHashCodes(str(tmp_path / 'codes.npz'))
    metric.process({}, samples[:3] + samples[2:3])
    with pytest.raises(RuntimeError, match='every sample exactly once'):
        metric.evaluate(4)
    assert not (tmp_path / 'codes.npz').exists()


def test_mixed_code_widths_are_an_error(tmp_path):
    metric = DumpHashCodes(str(tmp_path / 'codes.npz'))
    metric.process({}, predictions(np.ones((2, 8))))
    metric.process({}, [dict(hash_code=torch.ones(7), sample_idx=2)])
    with pytest.raises(ValueError, match=r'mixed widths \[7, 8\]'):
        metric.evaluate(3)


def test_predictions_without_codes_are_an_error(tmp_path):
    with pytest.raises(KeyError, match='hash_code'):
        DumpHashCodes(str(tmp_path / 'c.npz')).process(
            {}, [dict(pred_score=torch.ones(3), sample_idx=0)])


def test_multi_hot_labels_are_kept(tmp_path):
    codes = np.random.default_rng(0).choice([-1, 1], (9, 8))
    labels = np.random.default_rng(1).random((9, 5)) < 0.4
    samples = predictions(codes)
    for sample, row in zip(samples, labels):
        sample['gt_score'] = torch.tensor(row, dtype=torch.float32)
        sample['gt_label'] = torch.tensor(np.flatnonzero(row))
    metric = DumpHashCodes(str(tmp_path / 'codes.npz'))
    metric.process({}, samples[::-1])
    assert metric.evaluate(9) == {
        'encode/num_items': 9,
        'encode/num_bits': 8,
        'encode/num_classes': 5
    }
    written = CodesFile.load(str(tmp_path / 'codes.npz'))
    assert written.labels.dtype == bool
    np.testing.assert_array_equal(written.labels, labels)


def test_class_indices_become_multi_hot_rows_of_the_dataset_classes(tmp_path):
    samples = predictions(np.ones((4, 8)))
    for sample, index in zip(samples, [2, 0, 2, 1]):
        sample['gt_label'] = torch.tensor([index])
    metric = DumpHashCodes(str(tmp_path / 'codes.npz'))
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd', 'e'))
    metric.process({}, samples)
    metric.evaluate(4)
    np.testing.assert_array_equal(
        CodesFile.load(str(tmp_path / 'codes.npz')).labels,
        np.eye(5, dtype=bool)[[2, 0, 2, 1]])


def test_labels_for_some_samples_only_are_an_error(tmp_path):
    samples = predictions(np.ones((3, 8)))
    samples[1]['gt_label'] = torch.tensor([0])
    metric = DumpHashCodes(str(tmp_path / 'codes.npz'))
    metric.process({}, samples)
    with pytest.raises(ValueError, match='mix class-index labels, no labels'):
        metric.evaluate(3)
    assert not (tmp_path / 'codes.npz').exists()
