# Compute estimates per config, used by suite/plan.py for the plan and `--dry-run` (not a table: files
# starting with `_` are not loaded as tables). These are ESTIMATES, not measurements; replace a line with a
# measured value (and say so in the comment) when one exists.
#
# paper: GPU-hours on V100-class GPUs (GPU count × wall hours). Anchor: MoCo-v2 R50 200 ep on ImageNet-1K = 53 h
# on 8 V100 (MoCo README) = 424 GPU-h, i.e. 2.12 GPU-h per epoch of 1.28 M images at 224 px with one trained
# forward+backward (3 units) and one momentum forward (1 unit) per image. LeOCLR costs one trained
# forward+backward and two momentum forwards: 5/4 of MoCo-v2 (our CPU records: 1.10-1.12× in train_s, REPRODUCE §3.0).
# Smaller images scale with the pixels reaching layer1 (STL-10 96 px: 0.18×; CIFAR-10 32 px with the stride-1
# stem: 0.33×), which small images on a GPU rarely achieve: read those as lower bounds.
# smoke: CPU-minutes on the 2-core reference machine (budget targets of contracts.md §1).
paper_unit = 'GPU-h (V100)'
smoke_unit = 'CPU-min'

_moco_per_epoch = 424 / 200   # GPU-h per ImageNet-1K epoch, MoCo-v2 R50
_leo = 1.25                   # LeOCLR / MoCo-v2 cost per image

paper = {
    # pretraining, ImageNet-1K
    'configs/pretrain/mocov2_r50_8xb32-coslr-100e_in1k.py': round(100 * _moco_per_epoch),
    'configs/pretrain/mocov2_r50_8xb32-coslr-200e_in1k.py': round(200 * _moco_per_epoch),   # 424: MoCo README
    'configs/pretrain/mocov2_r50_8xb32-coslr-800e_in1k.py': round(800 * _moco_per_epoch),
    'configs/pretrain/leoclr_r50_8xb32-coslr-100e_in1k.py': round(100 * _moco_per_epoch * _leo),
    'configs/pretrain/leoclr_r50_8xb32-coslr-200e_in1k.py': round(200 * _moco_per_epoch * _leo),
    'configs/pretrain/leoclr_r50_8xb32-coslr-800e_in1k.py': round(800 * _moco_per_epoch * _leo),
    # pretraining, small datasets (105 k STL-10 images at 96 px; 50 k CIFAR-10 images at 32 px, stride-1 stem)
    'configs/pretrain/mocov2_r50_8xb32-coslr-800e_stl10.py': round(800 * _moco_per_epoch * 105 / 1281 * 0.18),
    'configs/pretrain/leoclr_r50_8xb32-coslr-800e_stl10.py': round(800 * _moco_per_epoch * 105 / 1281 * 0.18 * _leo),
    'configs/pretrain/mocov2_r50-cifar_8xb64-coslr-800e_cifar10.py': round(800 * _moco_per_epoch * 50 / 1281 * 0.33),
    'configs/pretrain/leoclr_r50-cifar_8xb64-coslr-800e_cifar10.py':
        round(800 * _moco_per_epoch * 50 / 1281 * 0.33 * _leo),
    # linear evaluation: one frozen forward per image per epoch (1 of 4 units) plus loading, which dominates
    'configs/linear/linear_r50_8xb32-steplr-100e_in1k.py': 60,
    'configs/linear/linear_r50_stl10.py': 2,
    'configs/linear/linear_r50-cifar_cifar10.py': 2,
    # semi-supervised fine-tuning, 20 epochs on the subset + validation on 50 k images
    'configs/semisup/finetune_r50_1pct_in1k.py': 2,
    'configs/semisup/finetune_r50_10pct_in1k.py': 8,
    # detection / segmentation (8-GPU wall time × 8)
    'configs/detection/faster-rcnn_r50-c4_24k_voc0712.py': 27,     # ~0.5 s/it × 24k it on 8 GPUs
    'configs/detection/mask-rcnn_r50-c4_1x_coco.py': 120,          # ~0.6 s/it × 90k it on 8 GPUs
    'configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py': 9,  # ~0.4 s/it × 20k it on 4 GPUs
}
# transfer: linear probe ≈ 1 GPU-h, fine-tuning ≈ 4 GPU-h per dataset (one hyper-parameter setting; Food-101 and
# CIFAR are the large ones). A grid search over lr / wd multiplies these.
for _d in ['cifar10', 'cifar100', 'flowers102', 'pets', 'cars', 'aircraft', 'dtd', 'caltech101', 'food101']:
    paper[f'configs/transfer/linear_r50_{_d}.py'] = 1
    paper[f'configs/transfer/finetune_r50_{_d}.py'] = 4

# smoke: measured on a fresh clone on the slower 2-core machine (stop 15), process start-up included; the
# pretraining, semi-supervised, detection and segmentation values scaled down with issue 19's budget cut (stop 25)
smoke = {
    'configs/pretrain/smoke/mocov2_r18_1xb64-100it_scenes64.py': 1.7,
    'configs/pretrain/smoke/leoclr_r18_1xb64-100it_scenes64.py': 1.9,
    'configs/knn/smoke/knn_r18_scenes64.py': 0.35,
    'configs/linear/smoke/linear_r18_scenes64.py': 0.6,
    'configs/semisup/smoke/finetune_r18_10pct_scenes64.py': 0.35,
    'configs/transfer/smoke/linear_r18_scenes_transfer64.py': 0.3,
    'configs/detection/smoke/faster-rcnn_r18-fpn_scenes128.py': 0.75,
    'configs/segmentation/smoke/fcn_r18-d8_scenes128.py': 0.65,
}

# cifar10 (CPU-minutes, 2 cores): measured in the CPU sweep (results/cifar10/sweep/, 2026-11-27, the sweep alone on
# the machine): batch 64, standard stem, MoCo-v2 232 img/s and LeOCLR 210 img/s with the batched views, plus the
# full-bank kNN monitor every epoch (60,000 images forward ≈ 45 s).
cifar10 = {
    'configs/pretrain/cifar10/mocov2_r18_1xb64-coslr-6e_cifar10.py': round(6 * (50000 / 232 / 60 + 0.75)),
    'configs/pretrain/cifar10/leoclr_r18_1xb64-coslr-6e_cifar10.py': round(6 * (50000 / 210 / 60 + 0.75)),
    'configs/knn/cifar10/knn_r18_cifar10.py': 2,
    'configs/knn/cifar10/knn_r18_cifar10_bnraw.py': 2,
    'configs/linear/cifar10/probe_r18_cifar10.py': 5,
}
# cifar10-gpu (GPU-minutes): the equal-epoch study, 20 epochs at the H200 speeds measured 2026-11-27 (MoCo-v2
# ≈ 5.8k, LeOCLR ≈ 3.7k images/s: 172 / 270 s) plus ≈ 30 s start-up and two kNN passes; suite.gpu_calls plans the
# device calls by these; the retired 2-minute runs took 4 each
cifar10_gpu_unit = 'GPU-min'
cifar10_gpu = {
    'configs/pretrain/cifar10/mocov2_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py': 3.6,
    'configs/pretrain/cifar10/leoclr_r18-cifar_1xb512-warmup-coslr-20e_cifar10.py': 5.2,
    'configs/pretrain/cifar10/mocov2_r18-cifar_1xb512-2min_cifar10.py': 4,
    'configs/pretrain/cifar10/leoclr_r18-cifar_1xb512-2min_cifar10.py': 4,
    'configs/knn/cifar10/knn_r18-cifar_cifar10.py': 0.5,
    'configs/knn/cifar10/knn_r18-cifar_cifar10_bnraw.py': 0.5,
    'configs/linear/cifar10/probe_r18-cifar_cifar10.py': 2,
}
