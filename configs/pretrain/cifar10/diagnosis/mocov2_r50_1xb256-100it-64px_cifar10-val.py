# Issue 23 item 4(b): the paper's ImageNet recipe in its own regime, on a CPU: ResNet-50 (standard stem), global
# batch 256 in one process (split BN 8 × 32, MoCo's single-device stand-in for shuffle BN over 8 GPUs × 32),
# lr 0.03 per 256, wd 1e-4, K 16384, m 0.999, τ 0.2, crop scale (0.2, 1), the full aug+ with blur, no warm-up —
# on CIFAR-10 (train_minus_val) upscaled to 64 px. K is 16384 instead of 65536 (so the queue's random phase is
# 64 steps for MoCo-v2 and 32 for LeOCLR instead of 256 / 128, and 100 steps cover 1.5× it on a CPU); within
# 100 steps the paper's 200-epoch cosine is a constant lr, as here. Diagnostics every 10 steps as the other
# diagnosis bases (configs/pretrain/cifar10/diagnosis/mocov2_r18_1xb256-80it_cifar10-val.py).
_base_ = ['./mocov2_r18_1xb256-80it_cifar10-val.py']
iters = 100
size = 64

model = dict(arch='resnet50', stem='standard', proj_hidden_dim=2048, queue_size=16384, momentum=0.999,
             temperature=0.2, bn='split', bn_splits=8)
train_dataloader = dict(batch_size=256, dataset=dict(
    size=size, crop_scale=(0.2, 1.0),
    # aug+ as in configs/pretrain/_base_/mocov2_r50_in1k.py, the blur σ scaled from 224 px to 64 px
    augment=dict(blur_p=0.5, blur_sigma=(0.1 * size / 224, 2.0 * size / 224))))
optim_wrapper = dict(optimizer=dict(lr=0.03, weight_decay=1e-4))
auto_scale_lr = dict(enable=True, base_batch_size=256)
train_cfg = dict(max_iters=iters)
default_hooks = dict(checkpoint=dict(interval=iters))
