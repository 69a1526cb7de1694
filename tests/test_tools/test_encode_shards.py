"""tools/encode.py --shards: the shards hold what one codes file holds; an
interrupted run resumes to the same codes; a corrupt shard is encoded
again; 2 processes (torchrun) give what 1 gives; --dir takes every image
extension and names what it skips."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from hashnet_mm.search import CodesFile, Manifest
from hashnet_mm.search.shards import (MANIFEST, ShardPlanError, read_shard,
                                      shard_name)
from ..torchrun import run_two_processes
from .test_encode_search import listed_paths
from .test_train_test import REPO

pytestmark = pytest.mark.slow

DIE_AFTER_SHARDS = """
import os, sys
sys.path.insert(0, {repo!r})
import hashnet_mm.encoding.shard_writer as writer
from tests.tool_modules import load_tool
real, written = writer.write_shard, []
def write_then_die(*args, **kwargs):
    written.append(real(*args, **kwargs))
    if len(written) == {count}:
        os._exit(3)  # as a killed process: no cleanup, no manifest
    return written[-1]
writer.write_shard = write_then_die
load_tool('encode.py').main(sys.argv[1:])
"""


def encode(*args):
    """tools/encode.py in a new interpreter; its stdout + stderr."""
    result = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools', 'encode.py'), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result.stdout + result.stderr


def encode_and_die(after, *args):
    """tools/encode.py killed right after it wrote ``after`` shards."""
    result = subprocess.run([
        sys.executable, '-c',
        DIE_AFTER_SHARDS.format(repo=REPO, count=after), *args
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 3, result.stdout[-3000:] + \
        result.stderr[-3000:]


def assert_same_codes(first: CodesFile, second: CodesFile):
    np.testing.assert_array_equal(first.codes, second.codes)
    np.testing.assert_array_equal(first.ids, second.ids)
    assert first.paths == second.paths
    assert first.image_root == second.image_root
    if first.labels is None:
        assert second.labels is None
    else:
        np.testing.assert_array_equal(first.labels, second.labels)


@pytest.fixture
def one_file(tmp_path, model_files):  # noqa: F811
    """The database encoded into one codes file (the reference)."""
    config, checkpoint, root = model_files
    out = str(tmp_path / 'one.npz')
    encode(config, checkpoint, '--list', osp.join(root, 'database.txt'),
           '--out', out, '--work-dir', str(tmp_path / 'work'))
    return CodesFile.load(out)


def test_shards_hold_what_one_codes_file_holds(tmp_path, model_files,
                                               one_file):  # noqa: F811
    config, checkpoint, root = model_files
    folder = str(tmp_path / 'shards')
    printed = encode(config, checkpoint, '--list',
                     osp.join(root, 'database.txt'), '--shards', folder,
                     '--shard-size', '5', '--work-dir', str(tmp_path / 'work'))
    assert f'{folder}: 7 shards (7 encoded by this run) of 32 images, ' \
        '16-bit codes, labels of 4 classes' in printed
    manifest = Manifest.load(folder)
    assert (manifest.num_items, manifest.num_bits, manifest.shard_size,
            manifest.num_classes) == (32, 16, 5, 4)
    assert [(e.first_id, e.count)
            for e in manifest.shards] == [(0, 5), (5, 5), (10, 5), (15, 5),
                                          (20, 5), (25, 5), (30, 2)]
    assert_same_codes(manifest.read_all(), one_file)
    # Paths relative to the recorded image root: the list's folder.
    assert one_file.image_root == root
    assert [osp.join(root, p) for p in one_file.paths] == \
        listed_paths(root, 'database')
    # A shard is a codes file, for every tool that reads one.
    shard = CodesFile.load(osp.join(folder, shard_name(6)))
    np.testing.assert_array_equal(shard.ids, [30, 31])

    # A complete folder: a rerun encodes nothing.
    printed = encode(config, checkpoint, '--list',
                     osp.join(root, 'database.txt'), '--shards', folder,
                     '--shard-size', '5', '--work-dir', str(tmp_path / 'work'))
    assert '7 shards (0 encoded by this run)' in printed


def test_an_interrupted_run_resumes_and_redoes_a_corrupt_shard(
        tmp_path, model_files, one_file):  # noqa: F811
    config, checkpoint, root = model_files
    folder = tmp_path / 'shards'
    args = (config, checkpoint, '--list', osp.join(root,
                                                   'database.txt'), '--shards',
            str(folder), '--shard-size', '5', '--work-dir',
            str(tmp_path / 'work'))
    encode_and_die(3, *args)
    assert sorted(os.listdir(folder)) == [shard_name(i) for i in range(3)]
    with pytest.raises(
            FileNotFoundError,
            match='the encoding into this folder has not '
            'finished'):
        Manifest.load(str(folder))
    # Shard 1 is damaged (a disk error): the rerun encodes it again.
    damaged = folder / shard_name(1)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    printed = encode(*args)
    assert f'{shard_name(1)}: ' in printed and 'encoding it again' in printed
    assert '7 shards (5 encoded by this run) of 32 images' in printed
    assert_same_codes(Manifest.load(str(folder)).read_all(), one_file)


def test_a_shard_of_another_encoding_is_an_error(
        tmp_path, model_files):  # noqa: F811,E501
    config, checkpoint, root = model_files
    folder = str(tmp_path / 'shards')
    args = (config, checkpoint, '--list', osp.join(root, 'database.txt'),
            '--shards', folder, '--work-dir', str(tmp_path / 'work'))
    encode_and_die(1, *args, '--shard-size', '5')
    result = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'encode.py'), *args, '--shard-size', '6'
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert 'ShardPlanError' in result.stderr
    assert f'{shard_name(0)} belongs to another encoding: shard_size 5 ' \
        'here, 6 now' in result.stderr
    with pytest.raises(ShardPlanError):
        read_shard(folder, 0, 0, 5, dict(shard_size=6))


def test_a_manifest_refuses_a_shard_rewritten_after_it(
        tmp_path, model_files):  # noqa: F811,E501
    config, checkpoint, root = model_files
    folder = str(tmp_path / 'shards')
    encode(config, checkpoint, '--list', osp.join(root, 'database.txt'),
           '--shards', folder, '--shard-size', '16', '--work-dir',
           str(tmp_path / 'work'))
    manifest = Manifest.load(folder)
    shard, meta = CodesFile.load_with_meta(osp.join(folder, shard_name(1)))
    shard.codes[0] ^= 1
    shard.save(osp.join(folder, shard_name(1)), shard=meta['shard'])
    manifest.read_shard(0)
    with pytest.raises(ValueError, match='not the one in the manifest'):
        manifest.read_shard(1)


def test_two_processes_finish_what_one_began(tmp_path, model_files,
                                             one_file):  # noqa: F811
    """A 1-process run dies after 2 shards; torchrun with 2 CPU processes
    completes it (rank 1 holds shards 1, 3, 5, rank 0 the others): the
    codes are those of one process, each image once (31 images: no
    sampler padding)."""
    config, checkpoint, root = model_files
    database = listed_paths(root, 'database')[:31]
    list_file = tmp_path / 'odd.txt'
    list_file.write_text(''.join(
        osp.relpath(p, root) + '\n' for p in database))
    folder = tmp_path / 'shards'
    args = ('--list', list_file, '--data-root', root, '--shards', folder,
            '--shard-size', '4', '--batch-size', '3', '--work-dir',
            tmp_path / 'work')
    encode_and_die(2, config, checkpoint, *map(str, args))
    run_two_processes(
        osp.join('..', 'tools', 'encode.py'),
        config,
        checkpoint,
        *args,
        '--launcher',
        'pytorch',
        cwd=tmp_path)
    manifest = Manifest.load(str(folder))
    assert len(manifest.shards) == 8 and manifest.num_items == 31
    encoded = manifest.read_all()
    np.testing.assert_array_equal(encoded.ids, np.arange(31))
    np.testing.assert_array_equal(encoded.codes, one_file.codes[:31])
    assert encoded.paths == one_file.paths[:31]
    assert sorted(
        os.listdir(folder)) == sorted([shard_name(i)
                                       for i in range(8)] + [MANIFEST])


def write_image(path, extension, seed):
    pixels = np.random.default_rng(seed).integers(
        0, 255, (24, 24, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if extension.lower() == '.gif':
        image = image.convert('P')
    image.save(path)


EXTENSIONS = ('.jpeg', '.PNG', '.gif', '.webp', '.tif', '.bmp', '.JPG')


def test_a_folder_of_every_image_extension_is_encoded_whole(
        tmp_path, model_files):  # noqa: F811
    """Every extension of hashnet_mm.images, in any case, is an image; the
    other files are counted and named on stderr."""
    config, checkpoint, _ = model_files
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    names = [
        f'sub/image{i}{ext}' if i % 2 else f'image{i}{ext}'
        for i, ext in enumerate(EXTENSIONS)
    ]
    for seed, name in enumerate(names):
        write_image(folder / name, osp.splitext(name)[1], seed)
    (folder / 'notes.txt').write_text('not an image')
    (folder / 'sub' / 'data.csv').write_text('1,2')
    out = str(tmp_path / 'photos.npz')
    printed = encode(config, checkpoint, '--dir', str(folder), '--out', out,
                     '--work-dir', str(tmp_path / 'work'))
    assert f'{folder}: 2 files are not images' in printed
    assert 'notes.txt, sub/data.csv' in printed
    encoded = CodesFile.load(out)
    assert encoded.image_root == str(folder)
    assert encoded.paths == sorted(
        names, key=lambda n: osp.join(str(folder), n))
    assert len(encoded.codes) == 7


def fake_samples(ids, root):
    """Predictions as the evaluator hands them to the metric."""
    import torch
    return [
        dict(
            sample_idx=i,
            img_path=osp.join(root, f'd/{i:03d}.png'),
            hash_code=torch.tensor([1., -1., 1.][i % 3:] + [-1.] * (i % 3) +
                                   [1.] * 5)) for i in ids
    ]


@pytest.mark.parametrize('batch', [1, 3, 7, 12])
def test_each_shard_is_written_when_its_last_sample_arrives(tmp_path, batch):
    """Shards of 5 of 12 ids, batches of any size across their bounds: each
    shard is written by the batch that completes it, with what one codes
    file holds for its ids."""
    from hashnet_mm.encoding import DumpHashCodes, DumpHashCodeShards
    root = str(tmp_path / 'images')
    metric = DumpHashCodeShards(
        str(tmp_path / 'shards'), 5, 12, {'x': 1}, image_root=root)
    os.makedirs(metric.folder)
    done_after = []
    for first in range(0, 12, batch):
        metric.process(
            None, fake_samples(range(first, min(first + batch, 12)), root))
        done_after.append(len(metric.written))
    ends = [min(first + batch, 12) for first in range(0, 12, batch)]
    assert done_after == [
        sum(end >= stop for stop in (5, 10, 12)) for end in ends
    ]
    assert not metric.results
    whole = DumpHashCodes(str(tmp_path / 'one.npz'), image_root=root)
    whole.process(None, fake_samples(range(12), root))
    reference = whole._codes_file(whole.results, 0)
    assert reference.paths[0] == 'd/000.png'
    for index, (first, stop) in enumerate([(0, 5), (5, 10), (10, 12)]):
        shard = read_shard(metric.folder, index, first, stop - first,
                           {'x': 1})[0]
        np.testing.assert_array_equal(shard.codes, reference.codes[first:stop])
        np.testing.assert_array_equal(shard.ids, np.arange(first, stop))
        assert shard.paths == reference.paths[first:stop]


def test_samples_of_the_next_shard_before_this_one_is_complete_are_refused(
        tmp_path):
    from hashnet_mm.encoding import DumpHashCodeShards
    root = str(tmp_path)
    metric = DumpHashCodeShards(
        str(tmp_path / 'shards'), 5, 12, {'x': 1}, image_root=root)
    metric.process(None, fake_samples([0, 1], root))
    with pytest.raises(RuntimeError, match='arrived before'):
        metric.process(None, fake_samples([2, 6], root))


@pytest.mark.parametrize('path', [
    'a/b.png', 'b.png', 'a/../b.png', 'a/./b.png', 'a//b.png', '../x/b.png',
    '../images2/b.png', 'a/b.png/', '.'
])
def test_stored_paths_are_relpaths_of_the_image_root(tmp_path, path):
    from hashnet_mm.encoding import DumpHashCodes
    root = str(tmp_path / 'images')
    metric = DumpHashCodes('x.npz', image_root=root)
    full = root + '/' + path
    assert metric._relative(full) == osp.relpath(full, root)
    assert metric._relative('/elsewhere/b.png') == osp.relpath(
        '/elsewhere/b.png', root)


@pytest.mark.parametrize('test_cfg, expected', [
    (None, dict(type='EncodeLoop')),
    (dict(), dict(type='EncodeLoop')),
    (dict(fp16=True), dict(type='EncodeLoop', fp16=True)),
    (dict(type='TestLoop', fp16=True), dict(type='EncodeLoop', fp16=True)),
    (dict(type='MyLoop', x=1), dict(type='MyLoop', x=1)),
])
def test_encoding_runs_in_the_encode_loop_unless_the_config_names_its_own(
        test_cfg, expected):
    from ..tool_modules import load_tool
    assert load_tool('encode.py').encode_loop_config(test_cfg) == expected


def test_the_encode_loop_runs_batches_in_inference_mode():
    import torch

    from hashnet_mm.encoding import EncodeLoop
    seen = []

    class Model:

        def test_step(self, batch):
            seen.append(torch.is_inference_mode_enabled())
            return batch

    class Runner:
        model = Model()

        def call_hook(self, *args, **kwargs):
            pass

    class Evaluator:

        def process(self, data_samples, data_batch):
            seen.append(list(data_samples))

    loop = EncodeLoop.__new__(EncodeLoop)
    loop._runner, loop.evaluator, loop.fp16 = Runner(), Evaluator(), False
    loop.test_loss = {}
    loop.run_iter(0, [1, 2])
    assert seen == [True, [1, 2]]
