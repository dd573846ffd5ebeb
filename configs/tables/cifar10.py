# CIFAR-10 (real images): LeOCLR vs MoCo-v2 where pretraining measurably learns (contracts.md §1, v4); profiles
# `cifar10` (CPU, standard stem) and `cifar10-gpu` (small-image stem, the equal-epoch study of issue 21). The
# suite's own table: no paper rows (the paper's CIFAR-10 numbers belong to small_datasets, paper profile).
table = 'cifar10'
title = 'CIFAR-10 (JPEG q75 copy): kNN and linear probe of ResNet-18 pretrained on its training images'
metrics = ['knn_top1', 'top1']
stage = 'mixed'
note = ('Pretraining on the 50,000 training images of the JPEG q75 copy of CIFAR-10 (shared/data/README.md: '
        'the re-encoding may cost a point or so against the PNG originals: an estimate, not measured here), MoCo\'s '
        'CIFAR-10 demo recipe (K 4096, '
        'm 0.99, τ 0.1, wd 5e-4, crop scale 0.08-1, no blur) with the profile\'s scale. kNN: k=200, T=0.1, the '
        'whole training set as bank, the 10,000 test images as queries (InstDisc). Linear: L2-regularised '
        'logistic regression (L-BFGS) on frozen features, regularisation chosen on 10 % of train held out, '
        'refitted on train + val. Random init: a seeded random ResNet-18, its BN statistics re-estimated on the '
        'training split (random-*) or left as initialised (random-bnraw-knn). Chance level: 10 % top-1. The CPU '
        'setting (batch 64) was chosen by the sweep on held-out val (results/cifar10/sweep/) after both methods '
        'collapsed early at batch 256 on CPU and LeOCLR did not recover there. GPU rows: both methods the same 20 '
        'epochs (issue 21; the earlier 2-minute cap, 9 LeOCLR vs 14 MoCo-v2 epochs, is a retired setting).')

# The cifar10-gpu study, fixed before its first run (issue 21): every method the same epochs, these seeds, and the
# metric its verdict is read on (only once every seed of both methods is in). scripts/cifar10_gpu.sh plans by it.
study = dict(cifar10_gpu=dict(epochs=20, seeds=[0, 1, 2], primary='knn_top1'))

# The bar for the CPU profile (#12): both methods ≥ 5 kNN points above the better of the two random inits.
# The report says reached / not reached beside the table (Δ random in the table is against `random-knn` alone). The
# sweep holds its points to the same bar on the val split (configs/sweeps/cifar10.py, goal_margin).
goal = dict(metric='knn_top1', margin=5.0, rows=['leoclr-knn', 'mocov2-knn'], over=['random-knn', 'random-bnraw-knn'])

_pretrain = dict(cifar10='configs/pretrain/cifar10/{}_r18_1xb64-coslr-6e_cifar10.py',
                 cifar10_gpu='configs/pretrain/cifar10/{}_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py')
_stem = dict(cifar10='r18', cifar10_gpu='r18-cifar')
_down = dict(knn='configs/knn/cifar10/knn_{}_cifar10.py', bnraw='configs/knn/cifar10/knn_{}_cifar10_bnraw.py',
             linear='configs/linear/cifar10/probe_{}_cifar10.py')


_epochs = dict(cifar10=6, cifar10_gpu=20)


def _runs(method, protocol):
    runs = {profile: dict(pretrain=None if method == 'random' else _pretrain[profile].format(method),
                          downstream=_down[protocol].format(_stem[profile]))
            for profile in ('cifar10', 'cifar10_gpu')}
    if method != 'random':
        for profile, run in runs.items():
            run['pretrain_epochs'] = _epochs[profile]
    return runs


def _row(method, protocol):
    stage, metric = ('linear', 'top1') if protocol == 'linear' else ('knn', 'knn_top1')
    key = f'{method}-bnraw-knn' if protocol == 'bnraw' else f'{method}-{protocol}'
    return dict(row=key, method=method, stage=stage, metrics=[metric], arch='r18',
                pretrain_dataset=None if method == 'random' else 'cifar10', pretrain_epochs=0 if method == 'random'
                else None, eval_dataset='cifar10', protocol='knn-k200' if stage == 'knn' else 'logistic-probe',
                **_runs(method, protocol))


rows = [_row(m, p) for p in ('knn', 'linear') for m in ('leoclr', 'mocov2', 'random')] + [_row('random', 'bnraw')]
