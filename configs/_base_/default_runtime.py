# Runtime shared by every mmengine run of the suite (pretraining; classification_runtime.py builds on it).
default_scope = None
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # checkpoints pickle to plain types, so resume works under torch.load(weights_only=True)
    plain_checkpoint=dict(type='PlainCheckpointHook'),
    curves=dict(type='CurvesHook', interval=10),
)
log_processor = dict(window_size=10, by_epoch=True)
visualizer = dict(type='Visualizer',
                  vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
