"""mmengine checkpoints load with weights_only=True, and nothing more."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import hashnet_mm  # noqa: F401  (registers the allow-list)
from hashnet_mm.utils.checkpoint import history_buffer_statistic


def test_message_hub_state_round_trips(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('seed', np.int64(3))
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'message_hub': hub.state_dict(),
                'meta': {'best': np.float64(0.75)}}, path)
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
