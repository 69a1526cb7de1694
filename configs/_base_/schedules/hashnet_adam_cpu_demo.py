# A short from-scratch schedule for the CPU demo: Adam (lr 1e-3, cosine
# decay), the hash layer at 10x lr as in the paper, and continuation fitted
# to the budget: beta rises from 1 to 6.4 by the last iteration, whatever
# train_cfg.max_iters is.
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3),
    paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.0)}))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, eta_min=0)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=2000)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='ContinuationHook', schedule='budget', final_beta=6.4)
]

# The lr above is for a total batch of 64 images; tools/train.py
# --auto-scale-lr scales it linearly to the batch actually used.
auto_scale_lr = dict(base_batch_size=64, enable=False)
