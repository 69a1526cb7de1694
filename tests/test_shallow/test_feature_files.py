"""Feature files: round trip, and every inconsistency named."""
import numpy as np
import pytest

from hashnet_mm.shallow.feature_files import load_features, save_features


def write(tmp_path, n=5, d=3, c=4):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(n, d)).astype(np.float32)
    labels = np.eye(c, dtype=np.uint8)[rng.integers(c, size=n)]
    ids = [f'images/{i:03d}.png' for i in range(n)]
    save_features(str(tmp_path), 'query', features, ids, labels)
    return features, ids, labels


def test_round_trip(tmp_path):
    features, ids, labels = write(tmp_path)
    loaded = load_features(str(tmp_path), 'query')
    assert np.array_equal(loaded['features'], features)
    assert loaded['ids'] == ids
    assert np.array_equal(loaded['labels'], labels)


def test_missing_file(tmp_path):
    write(tmp_path)
    (tmp_path / 'query_labels.npy').unlink()
    with pytest.raises(FileNotFoundError, match='query_labels.npy'):
        load_features(str(tmp_path), 'query')


@pytest.mark.parametrize('damage,match', [
    (lambda p: np.save(p / 'query.npy', np.ones(
        (4, 3))), 'query_ids.txt has 5 rows but .*query.npy has 4'),
    (lambda p:
     (p / 'query_ids.txt').write_text('a\nb\n'), 'query_ids.txt has 2 rows'),
    (lambda p: np.save(p / 'query_labels.npy', np.ones(
        (6, 4))), 'query_labels.npy has 6 rows'),
    (lambda p: np.save(p / 'query.npy', np.r_[np.ones(
        (4, 3)), [[0, np.nan, 0]]]), 'query.npy: row 4 has a NaN'),
    (lambda p: np.save(p / 'query.npy', np.ones(5)), r'\(n, d\)'),
    (lambda p: np.save(p / 'query_labels.npy', np.full((5, 4), 2)), '0/1'),
    (lambda p:
     (p / 'query_ids.txt').write_text('a\na\nb\nc\nd\n'), 'not unique'),
])
def test_inconsistent_files_raise(tmp_path, damage, match):
    write(tmp_path)
    damage(tmp_path)
    with pytest.raises(ValueError, match=match):
        load_features(str(tmp_path), 'query')
