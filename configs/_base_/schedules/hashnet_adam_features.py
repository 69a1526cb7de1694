# The feature track's schedule: Adam (lr 1e-3, cosine decay) for 300
# iterations of 64 features (about 4 passes over 4,500 training features),
# the hash layer at 10x lr, continuation fitted to the budget (beta 1 ->
# 1.6), validation every 100 iterations: the comparison
# (tools/compare.py) tests the checkpoint of the best validation mAP.
# final_beta 1.6 is the validation choice among 1.6, 3.2, 6.4 and 12.8 on
# both feature datasets (docs/en/benchmarks/hashnet_settings.md).
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3),
    paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.0)}))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, eta_min=0)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=100)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='ContinuationHook', schedule='budget', final_beta=1.6)
]

auto_scale_lr = dict(base_batch_size=64, enable=False)
