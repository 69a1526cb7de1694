"""The data preprocessor of feature vectors (the feature track)."""
import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FeatureDataPreprocessor(ClsDataPreprocessor):
    """Stacks (d,) feature vectors into an (N, d) float batch; labels as
    mmpretrain's ClsDataPreprocessor (``to_onehot``, ``num_classes``).

    The image preprocessor cannot take them: its mean / std are per colour
    channel and its batching pads (C, H, W) images. Features are passed on
    unchanged (any scaling is the trunk's, :class:`FeatureMLP`).

    Args:
        **kwargs: ClsDataPreprocessor's label arguments (``num_classes``,
            ``to_onehot``); image settings (``mean``, ``std``, ``to_rgb``,
            ``pad_size_divisor``, ``batch_augments``) are an error.
    """

    def __init__(self, **kwargs):
        image_only = sorted(
            k for k in ('mean', 'std', 'to_rgb', 'pad_size_divisor',
                        'pad_value', 'batch_augments') if kwargs.get(k))
        if image_only:
            raise ValueError(f'FeatureDataPreprocessor: {image_only} apply '
                             'to images, not feature vectors')
        super().__init__(**kwargs)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1 or len(next(iter(shapes))) != 1:
                raise ValueError('FeatureDataPreprocessor: expected (d,) '
                                 'feature vectors of one length, got shapes '
                                 f'{sorted(shapes)}')
            inputs = torch.stack(list(inputs))
        elif inputs.dim() != 2:
            raise ValueError('FeatureDataPreprocessor: expected an (N, d) '
                             f'batch, got shape {tuple(inputs.shape)}')
        return super().forward(dict(data, inputs=inputs.float()), training)
