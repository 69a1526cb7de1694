"""The package's own registry: the feature-hashing methods.

The deep models, datasets, hooks and metrics register in mmpretrain's
registries; the shallow methods (``hashnet_mm.shallow``) have no mmpretrain
counterpart and register here, under their class names:
``HASHERS.build(dict(type='ITQ', num_bits=32))``. The first build imports
``hashnet_mm.shallow``; ``import hashnet_mm`` does not.
"""
from mmengine.registry import Registry, build_from_cfg

__all__ = ['HASHERS']


def build_hasher_from_cfg(cfg, registry, default_args=None):
    """``build_from_cfg``, with an unknown ``type`` named beside the
    registered ones (ValueError) instead of mmengine's generic KeyError."""
    if not isinstance(cfg, dict):
        return build_from_cfg(cfg, registry, default_args)  # its TypeError
    registry.import_from_location()
    name = cfg.get('type')
    if isinstance(name, str) and name not in registry.module_dict:
        raise ValueError(f'unknown hashing method {name!r}; choose from '
                         f'{sorted(registry.module_dict)}')
    # In this package's scope whatever the default scope is (mmpretrain's
    # in a run, which has no hasher registry).
    return build_from_cfg({
        '_scope_': registry.scope,
        **cfg
    }, registry, default_args)


# Feature-based hashing methods: fit on features, encode them to codes.
HASHERS = Registry(
    'hasher',
    build_func=build_hasher_from_cfg,
    locations=['hashnet_mm.shallow'])
