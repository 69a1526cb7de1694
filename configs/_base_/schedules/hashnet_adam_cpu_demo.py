# A short from-scratch schedule for the CPU demo: Adam (lr 1e-3, cosine
# decay), the hash layer at 10x lr as in the paper, and continuation
# compressed to 2,000 iterations (beta from 1 to about 6.2).
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3),
    paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.0)}))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, eta_min=0)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=2000)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='ContinuationHook', schedule='power', gamma=0.02, power=0.5,
         step=100)
]

# The lr above is for a total batch of 64 images; tools/train.py
# --auto-scale-lr scales it linearly to the batch actually used.
auto_scale_lr = dict(base_batch_size=64, enable=False)
