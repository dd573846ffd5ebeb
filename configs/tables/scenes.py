# The generated scenes: every smoke protocol in one table (contracts.md §3), smoke profile only (paper=None).
# Format: see in1k_linear.py; here `stage = 'mixed'` and every row names its own `stage` and `metrics`.
# Runs are shared with the smoke rows of the paper tables (same configs ⇒ same run ids ⇒ one run feeding both).
table = 'scenes'
title = 'Generated scenes: every smoke protocol (ResNet-18, 200 pretraining iterations)'
metrics = ['knn_top1', 'top1', 'AP', 'AP50', 'AP75', 'mIoU', 'aAcc']
stage = 'mixed'
note = ('Smoke scale on generated scenes (64 px for classification, 128 px for detection/segmentation): proves the '
        'pipeline end to end, makes no scientific claim (shared/smoke-findings.md: in the first hundreds of steps '
        'contrastive features can score below random init on kNN). Random init keeps a seeded random backbone; '
        'for kNN and linear its BN statistics are re-estimated on the training split. semisup10 = fine-tuning '
        'on 10 % of the scenes labels; transfer = linear probe on scenes_transfer (other palette).')

_smoke_pre = 'configs/pretrain/smoke/{}_r18_1xb64-200it_scenes64.py'
protocols = [
    # (row suffix, stage, downstream config, metrics, eval dataset, protocol)
    ('knn', 'knn', 'configs/knn/smoke/knn_r18_scenes64.py', ['knn_top1'], 'scenes', 'knn'),
    ('linear', 'linear', 'configs/linear/smoke/linear_r18_scenes64.py', ['top1'], 'scenes', 'linear'),
    ('semisup10', 'semisup', 'configs/semisup/smoke/finetune_r18_10pct_scenes64.py', ['top1'], 'scenes',
     'semisup-finetune'),
    ('transfer-linear', 'transfer', 'configs/transfer/smoke/linear_r18_scenes_transfer64.py', ['top1'],
     'scenes_transfer', 'linear'),
    ('det', 'detection', 'configs/detection/smoke/faster-rcnn_r18-fpn_scenes128.py', ['AP', 'AP50', 'AP75'],
     'scenes', 'faster-rcnn-r18-fpn'),
    ('seg', 'segmentation', 'configs/segmentation/smoke/fcn_r18-d8_scenes128.py', ['mIoU', 'aAcc'], 'scenes',
     'fcn-r18-d8'),
]
rows = [
    dict(row=f'{method}-{suffix}', method=method, stage=stage, metrics=metrics, arch='r18',
         pretrain_dataset=None if method == 'random' else 'scenes',
         pretrain_epochs=0 if method == 'random' else '200it', eval_dataset=dataset, protocol=protocol,
         paper=None,
         smoke=dict(pretrain=None if method == 'random' else _smoke_pre.format(method), downstream=config))
    for suffix, stage, config, metrics, dataset, protocol in protocols
    for method in ('leoclr', 'mocov2', 'random')
]
