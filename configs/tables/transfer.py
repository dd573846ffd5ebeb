# Transfer learning to other classification datasets: which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Rows are generated for every (dataset, protocol, method); row keys are
# `<method>-r50[-800e]-<dataset>-<linear|finetune>`. Paper numbers: results/reference/transfer.csv (all pending).
table = 'transfer'
title = 'Transfer learning: linear and fine-tuned ResNet-50 on other datasets'
metrics = ['top1', 'mean_per_class_acc']
stage = 'transfer'
note = ('Datasets and protocol of the paper are pending; the suite runs the common set (CIFAR-10/100, '
        'Flowers-102, Pets, Cars, Aircraft, DTD, Caltech-101, Food-101) with a linear probe and full '
        'fine-tuning [choice], ImageNet-1K pretraining at 800 epochs [choice]. Linear = Kornblith et al. 2019\'s '
        'probe: L2-regularised multinomial logistic regression (L-BFGS) on frozen features (bicubic resize to 224, '
        'centre crop 224), regularisation chosen on a validation split held out of train, refitted on train + val. '
        'Fine-tuning: one point (lr 0.01, wd 1e-4) of Kornblith\'s grid [choice]. The benchmark\'s metric is '
        '`mean_per_class_acc` for Pets, Flowers-102, Aircraft and Caltech-101 and `top1` for the others; both '
        'columns are filled for every row. '
        'Random init: BN statistics re-estimated for the linear probe; fine-tuning from random init is '
        'training from scratch.')

datasets = ['cifar10', 'cifar100', 'flowers102', 'pets', 'cars', 'aircraft', 'dtd', 'caltech101', 'food101']
protocols = ['linear', 'finetune']
_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_down = 'configs/transfer/{}_r50_{}.py'
_sup = '{data_root}/checkpoints/resnet50_supervised.pth'


def _row(method, dataset, protocol):
    if method in ('leoclr', 'mocov2'):
        return dict(row=f'{method}-r50-800e-{dataset}-{protocol}', method=method, arch='r50',
                    pretrain_dataset='in1k', pretrain_epochs=800, eval_dataset=dataset, protocol=protocol,
                    paper=dict(pretrain=_pre.format(method), downstream=_down.format(protocol, dataset)))
    if method == 'supervised':
        return dict(row=f'supervised-r50-{dataset}-{protocol}', method=method, arch='r50',
                    pretrain_dataset='in1k', pretrain_epochs=None, eval_dataset=dataset, protocol=protocol,
                    paper=dict(pretrain=None, checkpoint=_sup, downstream=_down.format(protocol, dataset)))
    return dict(row=f'random-r50-{dataset}-{protocol}', method=method, arch='r50', pretrain_dataset=None,
                pretrain_epochs=0, eval_dataset=dataset, protocol=protocol,
                paper=dict(pretrain=None, downstream=_down.format(protocol, dataset)))


rows = [_row(m, d, p) for d in datasets for p in protocols for m in ('leoclr', 'mocov2', 'supervised', 'random')]
