# ImageNet-1K semi-supervised fine-tuning (1 % / 10 % labels): which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Paper numbers: results/reference/in1k_semisup.csv (all pending).
table = 'in1k_semisup'
title = 'ImageNet-1K semi-supervised fine-tuning, 1 % and 10 % labels (ResNet-50)'
metrics = ['top1', 'top5']
stage = 'semisup'
note = ('Whole network fine-tuned on the SimCLR 1 % / 10 % subset lists [choice]; whether and how the paper '
        'reports semi-supervised results is pending. Pretraining at 800 epochs [choice]. Random init = training '
        'from scratch on the subset. Smoke rows (10 % only): ResNet-18 from the 200-iteration scenes pretraining, '
        'fine-tuned on 10 % of the scenes labels.')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_ft = 'configs/semisup/finetune_r50_{}pct_in1k.py'
_smoke_pre = 'configs/pretrain/smoke/{}_r18_1xb64-200it_scenes64.py'
_smoke_ft = 'configs/semisup/smoke/finetune_r18_10pct_scenes64.py'
# smoke: fine-tuning on 10 % of the scenes labels
_smoke_desc = dict(arch='r18', pretrain_dataset='scenes', pretrain_epochs='200it', eval_dataset='scenes')
_desc = dict(arch='r50', protocol='semisup-finetune')

rows = [
    dict(row='leoclr-r50-800e-1pct', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_ft.format(1)), smoke=None),
    dict(row='leoclr-r50-800e-10pct', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_ft.format(10)),
         smoke=dict(pretrain=_smoke_pre.format('leoclr'), downstream=_smoke_ft, **_smoke_desc)),
    dict(row='mocov2-r50-800e-1pct', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_ft.format(1)), smoke=None),
    dict(row='mocov2-r50-800e-10pct', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_ft.format(10)),
         smoke=dict(pretrain=_smoke_pre.format('mocov2'), downstream=_smoke_ft, **_smoke_desc)),
    dict(row='random-r50-1pct', method='random', pretrain_dataset=None, pretrain_epochs=0,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=None, downstream=_ft.format(1)), smoke=None),
    dict(row='random-r50-10pct', method='random', pretrain_dataset=None, pretrain_epochs=0,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=None, downstream=_ft.format(10)),
         smoke=dict(pretrain=None, downstream=_smoke_ft,
                    **dict(_smoke_desc, pretrain_dataset=None, pretrain_epochs=0))),
]
