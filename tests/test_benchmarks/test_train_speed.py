"""benchmarks.train_speed runs end to end on CPU (a smoke test: the
numbers it prints are not checked; speed claims live in
docs/en/benchmarks/speed.md)."""
import json

import pytest
from PIL import Image

from benchmarks import decode_speed, train_speed

SMALL = [
    '--device', 'cpu', '--batch-size', '2', '--workers', '0', '--iters', '2',
    '--warmup', '0', '--image-size', '64x48', '--num-images', '4',
    '--cfg-options', 'model.backbone.depth=18', 'model.head.in_channels=512'
]


@pytest.mark.slow
def test_runs_two_iterations_with_a_small_backbone(tmp_path):
    out = tmp_path / 'speed.json'
    results = train_speed.main(SMALL +
                               ['--decode', 'pillow', '--json',
                                str(out)])
    assert json.loads(out.read_text()) == results
    assert results['batch_size'] == 2 and results['decode'] == 'pillow'
    assert results['channels_last'] and results['iters'] == 2
    for key in ('synthetic_img_s', 'real_img_s', 'ratio', 'loss_ms'):
        assert results[key] > 0


def test_writes_jpegs_and_multi_hot_list(tmp_path):
    mean_bytes = train_speed.write_jpeg_dataset(str(tmp_path), 3, (40, 30), 5)
    lines = (tmp_path / 'train.txt').read_text().splitlines()
    assert len(lines) == 3 and mean_bytes > 0
    for line in lines:
        name, *labels = line.split()
        assert Image.open(tmp_path / name).size == (40, 30)
        assert len(labels) == 5 and 1 <= sum(map(int, labels)) <= 3


@pytest.mark.parametrize(
    'bad', [['--amp'], ['--image-size', '640'], ['--iters', '0']])
def test_bad_arguments(bad):
    with pytest.raises(SystemExit):
        train_speed.parse_args(['--device', 'cpu'] + bad)


def test_decode_speed_runs(capsys, tmp_path):
    times = decode_speed.main([
        '--num-images', '2', '--image-size', '64x48', '--repeats', '1',
        '--out',
        str(tmp_path / 'decode.json')
    ])
    assert len(times) == 8 and all(ms > 0 for ms in times.values())
    assert '| config train pipeline, imdecode_backend=cv2 |' in \
        capsys.readouterr().out
