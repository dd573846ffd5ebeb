# Transfer learning to other classification datasets: which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Rows are generated for every (dataset, protocol, method); row keys are
# `<method>-r50[-800e]-<dataset>-<linear|finetune>`. Paper numbers: results/reference/transfer.csv (all pending).
table = 'transfer'
title = 'Transfer learning: linear and fine-tuned ResNet-50 on other datasets'
metrics = ['top1']
stage = 'transfer'
note = ('Datasets and protocol of the paper are pending; the suite runs the common set (CIFAR-10/100, '
        'Flowers-102, Pets, Cars, Aircraft, DTD, Caltech-101, Food-101) with a linear probe and full '
        'fine-tuning [choice], ImageNet-1K pretraining at 800 epochs [choice]. `top1` is overall top-1 '
        'accuracy on every dataset (Kornblith et al. report mean per-class accuracy for Pets, Flowers, Aircraft '
        'and Caltech-101; not computed here yet). '
        'Random init: BN statistics re-estimated for the linear probe; fine-tuning from random init is '
        'training from scratch. Smoke rows (the cifar10-linear rows): ResNet-18 from the scenes pretraining, '
        'linear probe on scenes_transfer (other colour/texture palette).')

datasets = ['cifar10', 'cifar100', 'flowers102', 'pets', 'cars', 'aircraft', 'dtd', 'caltech101', 'food101']
protocols = ['linear', 'finetune']
_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_down = 'configs/transfer/{}_r50_{}.py'
_sup = '{data_root}/checkpoints/resnet50_supervised.pth'
_smoke_pre = 'configs/pretrain/smoke/{}_r18_1xb64-200it_scenes64.py'
_smoke_down = 'configs/transfer/smoke/linear_r18_scenes_transfer64.py'
_smoke_desc = dict(arch='r18', pretrain_dataset='scenes', pretrain_epochs='200it', eval_dataset='scenes_transfer')


def _row(method, dataset, protocol):
    smoke = None
    if dataset == 'cifar10' and protocol == 'linear' and method != 'supervised':
        smoke = dict(pretrain=_smoke_pre.format(method) if method != 'random' else None,
                     downstream=_smoke_down, **_smoke_desc)
        if method == 'random':
            smoke.update(pretrain_dataset=None, pretrain_epochs=0)
    if method in ('leoclr', 'mocov2'):
        return dict(row=f'{method}-r50-800e-{dataset}-{protocol}', method=method, arch='r50',
                    pretrain_dataset='in1k', pretrain_epochs=800, eval_dataset=dataset, protocol=protocol,
                    paper=dict(pretrain=_pre.format(method), downstream=_down.format(protocol, dataset)),
                    smoke=smoke)
    if method == 'supervised':
        return dict(row=f'supervised-r50-{dataset}-{protocol}', method=method, arch='r50',
                    pretrain_dataset='in1k', pretrain_epochs=None, eval_dataset=dataset, protocol=protocol,
                    paper=dict(pretrain=None, checkpoint=_sup, downstream=_down.format(protocol, dataset)),
                    smoke=None)
    return dict(row=f'random-r50-{dataset}-{protocol}', method=method, arch='r50', pretrain_dataset=None,
                pretrain_epochs=0, eval_dataset=dataset, protocol=protocol,
                paper=dict(pretrain=None, downstream=_down.format(protocol, dataset)), smoke=smoke)


rows = [_row(m, d, p) for d in datasets for p in protocols for m in ('leoclr', 'mocov2', 'supervised', 'random')]
