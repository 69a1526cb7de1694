"""--amp: AmpOptimWrapper in bfloat16 unless the config says otherwise."""
from mmengine.config import Config

from hashnet_mm.utils.cli import use_amp


def test_amp_is_bfloat16_by_default():
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=1))))
    use_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_amp_keeps_a_given_dtype():
    cfg = Config(dict(optim_wrapper=dict(dtype='float16')))
    use_amp(cfg)
    assert cfg.optim_wrapper.dtype == 'float16'
