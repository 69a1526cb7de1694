"""Optional dependencies, named by the extra that installs them."""
import importlib


def require_extra(module: str, extra: str, needed_for: str):
    """``module`` imported, or an ImportError saying which extra of
    ``hashnet_mm`` installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f'{needed_for} needs {module}, which is not installed: '
            f"pip install 'hashnet_mm[{extra}]'") from error
