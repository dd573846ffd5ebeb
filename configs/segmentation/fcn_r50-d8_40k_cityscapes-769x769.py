# Suite extension, optional: FCN R50-d8 on Cityscapes (fine, 2,975 train -> 500 val), 769x769 crops, 40k
# iterations, batch 8 (4 GPUs x 2): mmseg 1.2.2's fcn_r50-d8_4xb2-40k_cityscapes-769x769 schedule with the same
# backbone changes as the VOC config (torchvision-style 'ResNet', pretrained=None, init from our checkpoint).
#
#   python -m downstream.segmentation configs/segmentation/fcn_r50-d8_40k_cityscapes-769x769.py --checkpoint CKPT \
#       --cfg-options train_dataloader.batch_size=8           # one GPU
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'

profile = 'paper'
dataset_name = 'cityscapes'
data_root = 'data/cityscapes/'
norm_cfg = dict(type='SyncBN', requires_grad=True)

model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=50,
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=None))

protocol_batch = 8   # [choice] mmseg's 4 x 2; another is refused (--allow-batch-mismatch)
train_dataloader = dict(batch_size=2)  # per GPU: 4 x 2 = 8
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000, max_keep_ckpts=2, save_last=True))
randomness = dict(seed=0, deterministic=False)
