# The released HashNet schedule: SGD (momentum 0.9, weight decay 5e-4,
# Nesterov), lr 3e-4 halved every 2,000 iterations for 10,000 iterations,
# hash layer at 10x lr, beta = (1 + 0.005 t) ** 0.5 stepped every 200 iters.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=3e-4, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.0)}))

param_scheduler = dict(
    type='StepLR', step_size=2000, gamma=0.5, by_epoch=False)

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=10000, val_interval=10000)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(
        type='ContinuationHook',
        schedule='power',
        gamma=0.005,
        power=0.5,
        step=200)
]

# The lr above is for a total batch of 64 images; tools/train.py
# --auto-scale-lr scales it linearly to the batch actually used.
auto_scale_lr = dict(base_batch_size=64, enable=False)
