# The feature track's schedule: Adam (lr 1e-3, cosine decay) for 1,000
# iterations of 64 features, the hash layer at 10x lr, continuation fitted
# to the budget (beta 1 -> 6.4), validation every 200 iterations (the best
# validation mAP's checkpoint is kept by the runtime's CheckpointHook).
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3),
    paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.0)}))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, eta_min=0)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000, val_interval=200)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='ContinuationHook', schedule='budget', final_beta=6.4)
]

auto_scale_lr = dict(base_batch_size=64, enable=False)
