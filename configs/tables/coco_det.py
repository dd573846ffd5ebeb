# COCO detection and instance segmentation (Mask R-CNN R50-C4 1×, MoCo protocol; suite extension): which runs feed
# which row (contracts.md §3). Paper profile only (contracts.md §1). Format: see in1k_linear.py.
# Paper numbers: results/reference/coco_det.csv (all pending).
table = 'coco_det'
title = 'COCO detection and instance segmentation, Mask R-CNN R50-C4 1× (extension)'
metrics = ['AP', 'AP50', 'AP75', 'mask_AP', 'mask_AP50', 'mask_AP75']
stage = 'detection'
note = ('Suite extension: whether the paper reports COCO is pending. Mask R-CNN R50-C4, 1× schedule, SyncBN, '
        'extra BN on res5, in MMDetection 3.x (MoCo used detectron2, 2× schedule; engines differ by about 1 AP). '
        '`AP*` are box metrics, `mask_AP*` mask metrics. No MoCo-v2 number for this protocol is known to us '
        '(the numbers quoted by mmselfsup are its own FPN runs), so the reference column stays empty. Paper '
        'profile only.')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_det = 'configs/detection/mask-rcnn_r50-c4_1x_coco.py'
_desc = dict(arch='r50', eval_dataset='coco', protocol='mask-rcnn-r50-c4-1x')

rows = [
    dict(row='leoclr-r50-800e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_det)),
    dict(row='mocov2-r50-800e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_det)),
    dict(row='supervised-r50', method='supervised', pretrain_dataset='in1k', pretrain_epochs=None, **_desc,
         paper=dict(pretrain=None, checkpoint='{data_root}/checkpoints/resnet50_supervised.pth', downstream=_det)),
    dict(row='random-r50', method='random', pretrain_dataset=None, pretrain_epochs=0, **_desc,
         paper=dict(pretrain=None, downstream=_det)),
]
