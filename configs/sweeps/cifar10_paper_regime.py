# Issue 23, item 4(b): the paper's ImageNet recipe in its own regime (ResNet-50, batch 256 as split BN 8 × 32,
# lr 0.03, m 0.999, τ 0.2, K 16384, 64 px, no warm-up) on CIFAR-10 upscaled, on a CPU for 100 steps (MoCo-v2)
# and 60 (LeOCLR), ≥ 1.5× the queue's random phase (64 / 32 steps): does either
# failure of the CIFAR regimes (collapse in the queue's random phase, or no separation) appear where the paper
# profile will train? LeOCLR with and without the fix (the 40-step warm-up of the cifar10 b256 configs), MoCo-v2
# without. Records: results/cifar10/diagnosis/paper-regime/.
#   python -m suite.sweep configs/sweeps/cifar10_paper_regime.py
sweep = 'cifar10_paper_regime'
kind = 'diagnosis'
out = 'diagnosis/paper-regime'
profile = 'cifar10'
queue_size = 16384
bases = dict(mocov2='configs/pretrain/cifar10/diagnosis/mocov2_r50_1xb256-100it-64px_cifar10-val.py',
             leoclr='configs/pretrain/cifar10/diagnosis/leoclr_r50_1xb256-60it-64px_cifar10-val.py')
points = [
    dict(name='paper', options={}, changes='none (the paper recipe)',
         why='does the paper recipe collapse or fail to separate in its own regime?'),
    dict(name='warmup40', options={'param_scheduler.0.start_factor': 0.01, 'param_scheduler.0.end': 40},
         methods=['leoclr'], changes='lr warm-up over 40 steps',
         why='the fix of the cifar10 b256 configs, as a switch'),
]
