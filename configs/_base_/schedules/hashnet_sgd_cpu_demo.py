# A short from-scratch schedule for the CPU demo: SGD with cosine decay,
# hash layer at the backbone's lr, continuation compressed to 2,000 iters
# (beta from 1 to about 6.4).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, eta_min=0)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=2000)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='ContinuationHook', schedule='power', gamma=0.02, power=0.5,
         step=100)
]
