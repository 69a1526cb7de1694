"""tools/serve.py's arguments: loopback by default, limits checked."""
import pytest

from ..tool_modules import load_tool


@pytest.fixture(scope='module')
def serve_tool():
    return load_tool('serve.py')


def test_defaults_listen_on_loopback(serve_tool):
    args = serve_tool.parse_args(['cfg.py', 'model.pth', 'db.index'])
    assert (args.host, args.port) == ('127.0.0.1', 8000)
    assert args.max_upload_mb == 16 and args.max_results == 1000
    assert args.max_pixels == 8192 * 8192


@pytest.mark.parametrize('option, message', [
    (['--max-upload-mb', '0'], '--max-upload-mb must be > 0'),
    (['--max-pixels', '-1'], '--max-pixels must be >= 0'),
    (['--max-results', '0'], '--max-results must be >= 1'),
    (['--port', 'http'], "invalid int value: 'http'"),
])
def test_bad_limits_are_refused(serve_tool, capsys, option, message):
    with pytest.raises(SystemExit):
        serve_tool.parse_args(['cfg.py', 'model.pth', 'db.index', *option])
    assert message in capsys.readouterr().err
