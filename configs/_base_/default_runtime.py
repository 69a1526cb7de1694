# Runtime shared by every HashNet config (mmpretrain's default_runtime plus
# the plugin import).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['hashnet_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='RetrievalLoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Also keeps the checkpoint of the best validation MAP (the metric's
    # first key, retrieval/mAP@R), as hashing repositories usually do.
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=2,
        save_best='auto',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
