# Issue 23, item 4(a) in part: the GPU regime (small-image stem, batch 512, bf16) on a CPU, LeOCLR only (MoCo-v2
# learned there), 40 steps each (a CPU step of this regime takes seconds, not milliseconds).
#   python -m suite.sweep configs/sweeps/cifar10_gpu_regime.py
# Points: as the H200 run was (InfoNCE under bf16 autocast, no warm-up); the logits in float32 (the precision fix);
# the logits in float32 and the 40-step warm-up (the whole fix). Table: results/cifar10/diagnosis/gpu-regime/.
sweep = 'cifar10_gpu_regime'
kind = 'diagnosis'
out = 'diagnosis/gpu-regime'
profile = 'cifar10'
queue_size = 4096
bases = dict(mocov2='configs/pretrain/cifar10/diagnosis/mocov2_r18-cifar_1xb512-40it_cifar10-val.py',
             leoclr='configs/pretrain/cifar10/diagnosis/leoclr_r18-cifar_1xb512-40it_cifar10-val.py')
points = [
    dict(name='as-run', options={'model.infonce_precision': 'autocast'}, amp='bf16', methods=['leoclr'],
         changes='bf16 autocast, InfoNCE under autocast, no warm-up', why='the H200 run as it was'),
    dict(name='fp32-logits', options={}, amp='bf16', methods=['leoclr'],
         changes='bf16 autocast, InfoNCE in fp32', why='precision alone'),
    dict(name='fix', options={'param_scheduler.0.start_factor': 0.01, 'param_scheduler.0.end': 40}, amp='bf16',
         methods=['leoclr'], changes='InfoNCE in fp32 + warm-up over 40 steps', why='the whole fix'),
]
