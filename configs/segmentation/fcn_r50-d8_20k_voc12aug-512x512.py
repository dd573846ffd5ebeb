# Suite extension (the LeOCLR paper reports no segmentation): FCN R50-d8 on PASCAL VOC 2012 + SBD aug
# (10,582 train images) -> VOC12 val, 512x512 crops, 20k iterations: mmseg 1.2.2's
# fcn_r50-d8_4xb4-20k_voc12aug-512x512 schedule, as mmselfsup benchmarks MoCo v2 (reported mIoU 67.55 there).
#
#   python -m downstream.segmentation configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py --checkpoint CKPT \
#       --cfg-options train_dataloader.batch_size=16          # one GPU (see "batch" below)
#   torchrun --nproc_per_node 4 -m downstream.segmentation CONFIG --checkpoint CKPT --launcher pytorch   # 4 x 4
#
# Changes to the mmseg config, all to load a torchvision-style checkpoint faithfully:
#  - backbone type 'ResNet' (7x7 stem, torchvision keys) instead of 'ResNetV1c' (3-conv deep stem `stem.*` that
#    our checkpoints do not have: the stem would stay random, with only a warning);
#  - model.pretrained=None (mmseg's base loads open-mmlab://resnet50_v1c; with it set, mmseg's ResNet also
#    refuses an init_cfg); the runner fills backbone.init_cfg with the verified checkpoint.
# Kept from mmseg: d8 (dilations 1,1,2,4, strides 1,2,1,1, contract_dilation), SyncBN everywhere, norm_eval=False,
# FCNHead + auxiliary FCNHead (0.4), SGD lr 0.01 momentum 0.9 wd 5e-4, poly 0.9 to 1e-4, crop 512, batch 16.
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

profile = 'paper'
dataset_name = 'voc12aug'
data_root = 'data/VOCdevkit/VOC2012'
norm_cfg = dict(type='SyncBN', requires_grad=True)  # reverts to BN on one process: put all 16 crops there

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
        init_cfg=None))  # filled by the runner

protocol_batch = 16  # [choice] mmseg's 4 x 4; another is refused (--allow-batch-mismatch)
train_dataloader = dict(batch_size=4)  # per GPU: 4 x 4 = 16; one GPU: 16
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=2, save_last=True))
randomness = dict(seed=0, deterministic=False)
# Precise BN (downstream/precise_bn.py; detectron2's TEST.PRECISE_BN, on in MoCo's detection configs) is off here:
# mmselfsup's segmentation benchmark has none. Switch it on with
#   custom_imports = dict(imports=['downstream.precise_bn'], allow_failed_imports=False)
#   custom_hooks = [dict(type='PreciseBNHook', num_iters=200)]
