# ImageNet-1K linear evaluation: which runs feed which row (contracts.md §3). Read by suite/tables.py
# (plan, --only, --dry-run) and suite/report.py; the paper's numbers are in results/reference/in1k_linear.csv.
# A row is one run per profile: `paper=dict(...)` (and, in the suite's own tables, `smoke=` / `tiny=` /
# `cifar10=` / `cifar10_gpu=`) gives the pretraining config (None: no pretraining; then `checkpoint` is a file,
# or nothing for random init) and the downstream config for that profile; a profile the row does not name does
# not run it. The paper tables run in the paper profile only (contracts.md §1). Extra keys in a profile dict (arch, pretrain_dataset, ...) override the row's descriptors.
table = 'in1k_linear'
title = 'ImageNet-1K linear evaluation (frozen ResNet-50)'
metrics = ['top1', 'top5']
stage = 'linear'
note = ('MoCo linear protocol: frozen backbone, 100 epochs, SGD lr 30, steps at 60/80, batch 256. Pretrained '
        'backbones keep their own BN statistics; random init has its BN statistics re-estimated on the training '
        'split (forward passes, no gradient) before it is frozen. The paper states only the gain, LeOCLR +5.1 '
        'top-1 over MoCo-v2 (budget of that comparison pending; compared here at 800 epochs); the LeOCLR 800-ep '
        'reference 76.2 is derived (71.1 + 5.1), not a paper value. `top1` (and `top5`) is the best of the 100 '
        'per-epoch validations, as MoCo reports it (main_lincls best_acc1); each record also holds `top1_last`, '
        'the last epoch\'s.')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-{}e_in1k.py'
_lin = 'configs/linear/linear_r50_8xb32-steplr-100e_in1k.py'
_desc = dict(arch='r50', pretrain_dataset='in1k', eval_dataset='in1k', protocol='linear')

rows = [
    dict(row='leoclr-r50-100e', method='leoclr', pretrain_epochs=100, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 100), downstream=_lin)),
    dict(row='leoclr-r50-200e', method='leoclr', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 200), downstream=_lin)),
    dict(row='leoclr-r50-800e', method='leoclr', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 800), downstream=_lin)),
    dict(row='mocov2-r50-100e', method='mocov2', pretrain_epochs=100, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 100), downstream=_lin)),
    dict(row='mocov2-r50-200e', method='mocov2', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 200), downstream=_lin)),
    dict(row='mocov2-r50-800e', method='mocov2', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 800), downstream=_lin)),
    # The paper's headline is this gap; a derived row has no run of its own: ours = LeOCLR − MoCo-v2, paired by seed.
    dict(row='gap-leoclr-mocov2-r50-800e', method='leoclr', pretrain_epochs=800, metrics=['top1'],
         **dict(_desc, protocol='linear-gap'), gap=('leoclr-r50-800e', 'mocov2-r50-800e')),
    dict(row='supervised-r50', method='supervised', pretrain_epochs=None, **_desc,
         paper=dict(pretrain=None, checkpoint='{data_root}/checkpoints/resnet50_supervised.pth', downstream=_lin)),
    dict(row='random-r50', method='random', pretrain_epochs=0, **dict(_desc, pretrain_dataset=None),
         paper=dict(pretrain=None, downstream=_lin)),
]
