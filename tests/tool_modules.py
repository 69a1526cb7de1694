"""Import a script under tools/ (not a package) or benchmarks/ as a module
from its file, without running it as a script."""
import importlib.util
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(relative_path, folder='tools'):
    """The module of ``<folder>/<relative_path>``, e.g.
    ``load_tool('dataset_converters/coco.py').main([...])``."""
    path = osp.join(REPO, folder, relative_path)
    name = folder + '_' + osp.splitext(relative_path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
