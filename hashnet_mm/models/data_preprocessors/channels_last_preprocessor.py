"""ClsDataPreprocessor for GPU-speed training: async copy, NHWC batches."""
import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ChannelsLastDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ClsDataPreprocessor with two speed settings.

    - ``non_blocking``: the host-to-device copy of the batch does not wait
      for the device (it overlaps the previous step's kernels when the
      loader pins memory, ``pin_memory=True``); mmpretrain's class always
      copies blocking.
    - ``channels_last``: the normalised batch is returned in
      ``torch.channels_last`` memory format, so cuDNN runs its NHWC
      convolution kernels (the tensor cores' layout under bf16).

    The values are those of ClsDataPreprocessor; only the memory layout and
    the copy's synchronisation differ.

    Args:
        channels_last (bool): NHWC batches.
        non_blocking (bool): asynchronous host-to-device copy.
        **kwargs: ClsDataPreprocessor's arguments.
    """

    def __init__(self,
                 channels_last: bool = True,
                 non_blocking: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels_last = channels_last
        self._non_blocking = non_blocking

    def forward(self, data: dict, training: bool = False) -> dict:
        """ClsDataPreprocessor's batch, channels_last if asked."""
        data = super().forward(data, training)
        if self.channels_last and data['inputs'].dim() == 4:
            data['inputs'] = data['inputs'].contiguous(
                memory_format=torch.channels_last)
        return data
