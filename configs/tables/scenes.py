# The generated scenes: every smoke protocol in one table (contracts.md §3); smoke and tiny profiles, no paper rows.
# Format: see in1k_linear.py; here `stage = 'mixed'` and every row names its own `stage` and `metrics`.
table = 'scenes'
title = 'Generated scenes: every smoke protocol (ResNet-18, 100 pretraining iterations)'
metrics = ['knn_top1', 'top1', 'AP', 'AP50', 'AP75', 'mIoU', 'aAcc']
stage = 'mixed'
note = ('Smoke scale on generated scenes (64 px for classification, 128 px for detection/segmentation): proves the '
        'pipeline end to end, makes no scientific claim (shared/smoke-findings.md: in the first hundreds of steps '
        'contrastive features can score below random init on kNN). Random init keeps a seeded random backbone; '
        'for kNN and linear its BN statistics are re-estimated on the training split. semisup10 = fine-tuning '
        'on 10 % of the scenes labels; transfer = linear probe on scenes_transfer (other palette). Chance level: '
        '8.33 % top-1 and kNN top-1 (100 / 12 classes).')

# (row suffix, stage, smoke config, tiny config, metrics, eval dataset, protocol)
protocols = [
    ('knn', 'knn', 'knn/smoke/knn_r18_scenes64.py', 'knn/tiny/knn_r18_scenes32.py', ['knn_top1'], 'scenes', 'knn'),
    ('linear', 'linear', 'linear/smoke/linear_r18_scenes64.py', 'linear/tiny/linear_r18_scenes32.py', ['top1'],
     'scenes', 'linear'),
    ('semisup10', 'semisup', 'semisup/smoke/finetune_r18_10pct_scenes64.py',
     'semisup/tiny/finetune_r18_10pct_scenes32.py', ['top1'], 'scenes', 'semisup-finetune'),
    ('transfer-linear', 'transfer', 'transfer/smoke/linear_r18_scenes_transfer64.py',
     'transfer/tiny/linear_r18_scenes_transfer32.py', ['top1'], 'scenes_transfer', 'linear'),
    ('det', 'detection', 'detection/smoke/faster-rcnn_r18-fpn_scenes128.py',
     'detection/tiny/faster-rcnn_r18-fpn_scenes64.py', ['AP', 'AP50', 'AP75'], 'scenes', 'faster-rcnn-r18-fpn'),
    ('seg', 'segmentation', 'segmentation/smoke/fcn_r18-d8_scenes128.py', 'segmentation/tiny/fcn_r18-d8_scenes64.py',
     ['mIoU', 'aAcc'], 'scenes', 'fcn-r18-d8'),
]
# The tiny profile (CI's end-to-end run) runs the rows on a few dozen scenes for a few iterations: it proves the
# wiring from a fresh clone; its numbers mean nothing and are never committed.
_pretrain = dict(smoke='configs/pretrain/smoke/{}_r18_1xb64-100it_scenes64.py',
                 tiny='configs/pretrain/tiny/{}_r18_1xb8-4it_scenes32.py')


def _run(profile, method, config):
    run = dict(pretrain=None if method == 'random' else _pretrain[profile].format(method),
               downstream='configs/' + config)
    if profile == 'tiny' and method != 'random':
        run['pretrain_epochs'] = '4it'
    return run


rows = [
    dict(row=f'{method}-{suffix}', method=method, stage=stage, metrics=metrics, arch='r18',
         pretrain_dataset=None if method == 'random' else 'scenes',
         pretrain_epochs=0 if method == 'random' else '100it', eval_dataset=dataset, protocol=protocol,
         smoke=_run('smoke', method, smoke),
         # tiny: random init only where it has its own code path (BN re-estimation before freezing), for CI time
         tiny=_run('tiny', method, tiny) if method != 'random' or stage in ('knn', 'linear') else None)
    for suffix, stage, smoke, tiny, metrics, dataset, protocol in protocols
    for method in ('leoclr', 'mocov2', 'random')
]
