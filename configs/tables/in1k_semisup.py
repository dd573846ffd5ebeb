# ImageNet-1K semi-supervised fine-tuning (1 % / 10 % labels): which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Paper numbers: results/reference/in1k_semisup.csv (all pending).
table = 'in1k_semisup'
title = 'ImageNet-1K semi-supervised fine-tuning, 1 % and 10 % labels (ResNet-50)'
metrics = ['top1', 'top5']
stage = 'semisup'
note = ('Whole network fine-tuned on the SimCLR 1 % / 10 % subset lists with a SwAV-style recipe [choice] '
        '(backbone lr 0.01, head ×10, 20 epochs, ×0.2 at 12/16, no weight decay, the same for 1 % and 10 %), not '
        'SimCLR\'s (Nesterov, lr 0.05·B/256, 60 / 30 epochs): not comparable with SimCLR\'s or BYOL\'s published '
        'semi-supervised numbers. Whether and how the paper '
        'reports semi-supervised results is pending. Pretraining at 800 epochs [choice]. Random init = training '
        'from scratch on the subset.')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_ft = 'configs/semisup/finetune_r50_{}pct_in1k.py'
_desc = dict(arch='r50', protocol='semisup-finetune')

rows = [
    dict(row='leoclr-r50-800e-1pct', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_ft.format(1))),
    dict(row='leoclr-r50-800e-10pct', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_ft.format(10))),
    dict(row='mocov2-r50-800e-1pct', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_ft.format(1))),
    dict(row='mocov2-r50-800e-10pct', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_ft.format(10))),
    dict(row='random-r50-1pct', method='random', pretrain_dataset=None, pretrain_epochs=0,
         eval_dataset='in1k_1pct', **_desc,
         paper=dict(pretrain=None, downstream=_ft.format(1))),
    dict(row='random-r50-10pct', method='random', pretrain_dataset=None, pretrain_epochs=0,
         eval_dataset='in1k_10pct', **_desc,
         paper=dict(pretrain=None, downstream=_ft.format(10))),
]
