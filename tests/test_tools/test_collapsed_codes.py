"""tools/test.py scores a collapsed model with a warning in its log."""
import glob

import torch
from mmengine.runner import save_checkpoint

from ..tool_modules import load_tool


def test_identical_codes_are_scored_with_a_warning(tmp_path, model_files):
    config, checkpoint, _ = model_files
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    state['head.fch.weight'].zero_()  # z = 0: every code all +1
    state['head.fch.bias'].zero_()
    collapsed = str(tmp_path / 'collapsed.pth')
    save_checkpoint(dict(state_dict=state, meta={}), collapsed)
    metrics = load_tool('test.py').main(
        [config, collapsed, '--work-dir',
         str(tmp_path / 'test')])
    assert metrics['retrieval/P@H<=2'] == 0.25  # 4 balanced classes, all tied
    (log, ) = glob.glob(str(tmp_path / 'test' / '*' / '*.log'))
    with open(log) as f:
        text = f.read()
    assert ('WARNING - only 1 distinct code among 32 database items (fewer '
            'than max(2, classes) = 4)') in text
