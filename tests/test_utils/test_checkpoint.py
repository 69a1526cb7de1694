"""mmengine checkpoints load with weights_only=True, and nothing more;
model weights load strictly and never with a NaN."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import hashnet_mm  # noqa: F401  (registers the allow-list)
from hashnet_mm.utils.checkpoint import (CheckpointError,
                                         history_buffer_statistic,
                                         load_model_weights, read_checkpoint)


def test_message_hub_state_round_trips(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('seed', np.int64(3))
    path = str(tmp_path / 'ckpt.pth')
    torch.save(
        {
            'message_hub': hub.state_dict(),
            'meta': {
                'best': np.float64(0.75)
            }
        }, path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.375)
    assert loaded['meta']['best'] == 0.75


def test_other_getattr_is_refused():
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_statistic(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_statistic(os, 'system')
    assert history_buffer_statistic(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean


def test_arbitrary_globals_stay_forbidden(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'f': os.system}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


# load_model_weights: strict by default, never NaN weights, readable errors.


def small_model(width=4):
    return torch.nn.Sequential(
        torch.nn.Linear(3, width), torch.nn.Linear(width, 2))


def saved(tmp_path, model, name='model.pth', **extra):
    path = str(tmp_path / name)
    torch.save(dict(state_dict=model.state_dict(), meta={}, **extra), path)
    return path


def test_matching_checkpoint_loads_exactly(tmp_path):
    source, target = small_model(), small_model()
    load_model_weights(target, saved(tmp_path, source))
    for a, b in zip(source.state_dict().values(),
                    target.state_dict().values()):
        assert torch.equal(a, b)


def test_ddp_prefix_is_stripped(tmp_path):
    source, target = small_model(), small_model()
    path = str(tmp_path / 'ddp.pth')
    torch.save(
        dict(state_dict={
            f'module.{k}': v
            for k, v in source.state_dict().items()
        }), path)
    load_model_weights(target, path)
    assert torch.equal(target[0].weight, source[0].weight)


def test_mismatch_lists_missing_unexpected_and_shapes(tmp_path):
    state = small_model(width=5).state_dict()
    state.pop('1.bias')
    state['extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(CheckpointError) as error:
        load_model_weights(small_model(), path)
    message = str(error.value)
    assert 'other.pth does not match the model' in message
    assert '1 keys missing in the checkpoint: 1.bias' in message
    assert '1 keys unexpected (not in the model): extra.weight' in message
    assert '0.weight: checkpoint (5, 3), model (4, 3)' in message
    assert '--partial-load' in message


def test_partial_load_keeps_the_rest(tmp_path):
    source = small_model(width=5)
    target = small_model()
    before = target[1].weight.clone()
    state = source.state_dict()
    state['1.weight'] = torch.ones(2, 4)  # fits the target's layer 1
    path = str(tmp_path / 'partial.pth')
    torch.save(dict(state_dict=state), path)
    load_model_weights(target, path, strict=False)
    assert torch.equal(target[1].weight, torch.ones(2, 4))
    assert not torch.equal(target[1].weight, before)
    assert target[0].weight.shape == (4, 3)  # mis-shaped: left as it was


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_weights_are_refused_even_partially(tmp_path, bad):
    source = small_model()
    with torch.no_grad():
        source[1].weight[0, 0] = bad
    path = saved(tmp_path, source)
    for strict in (True, False):
        with pytest.raises(
                CheckpointError,
                match=r'model.pth: 1 weight tensors hold NaN or '
                r'inf .*: 1.weight'):
            load_model_weights(small_model(), path, strict=strict)


def test_raw_pickle_and_truncated_files_are_named(tmp_path):
    raw = str(tmp_path / 'raw.pth')
    with open(raw, 'wb') as f:
        pickle.dump({'state_dict': {'w': torch.zeros(2)}}, f)
    with pytest.raises(
            CheckpointError,
            match=r'raw.pth: .*Unsupported operand .*pickle.dump'):
        read_checkpoint(raw)
    truncated = str(tmp_path / 'cut.pth')
    with open(saved(tmp_path, small_model()), 'rb') as f:
        data = f.read()
    with open(truncated, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='cut.pth: cannot read'):
        read_checkpoint(truncated)
    with pytest.raises(FileNotFoundError, match='nowhere.pth not found'):
        read_checkpoint(str(tmp_path / 'nowhere.pth'))
    evil = str(tmp_path / 'evil.pth')
    torch.save({'f': os.system}, evil)
    with pytest.raises(CheckpointError, match='evil.pth: refused .*system'):
        read_checkpoint(evil)
