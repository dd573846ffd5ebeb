# PASCAL VOC object detection (Faster R-CNN R50-C4, MoCo protocol): which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Paper numbers: results/reference/voc_det.csv (MoCo-v2 and supervised: MoCo's README).
table = 'voc_det'
title = 'PASCAL VOC07+12 detection, Faster R-CNN R50-C4 (24k iterations)'
metrics = ['AP50', 'AP', 'AP75']
stage = 'detection'
note = ('MoCo protocol: trainval07+12 → test07, 24k iterations, batch 16, lr 0.02, SyncBN, extra BN on res5; '
        'COCO-style AP/AP75 over IoU 0.5:0.95 and AP50 (VOC07 11-point). Reference numbers come from '
        'detectron2 (MoCo README, mean of 5 trials, std ≈ 0.2/0.2/0.4); ours run in MMDetection 3.x, and '
        'engines are known to differ by about 1 AP with the same backbone. Detection setup of the LeOCLR '
        'paper is pending. Random init trains the whole detector from scratch (24k iterations). Smoke rows: '
        'Faster R-CNN R18-FPN (not C4: the C4 head costs ~40 s per CPU iteration) on 128-px scenes.')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-{}e_in1k.py'
_det = 'configs/detection/faster-rcnn_r50-c4_24k_voc0712.py'
_smoke_pre = 'configs/pretrain/smoke/{}_r18_1xb64-200it_scenes64.py'
_smoke_det = 'configs/detection/smoke/faster-rcnn_r18-fpn_scenes128.py'
_smoke_desc = dict(arch='r18', pretrain_dataset='scenes', pretrain_epochs='200it', eval_dataset='scenes',
                   protocol='faster-rcnn-r18-fpn')
_desc = dict(arch='r50', eval_dataset='voc0712', protocol='faster-rcnn-r50-c4-24k')

rows = [
    dict(row='leoclr-r50-200e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 200), downstream=_det), smoke=None),
    dict(row='leoclr-r50-800e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 800), downstream=_det),
         smoke=dict(pretrain=_smoke_pre.format('leoclr'), downstream=_smoke_det, **_smoke_desc)),
    dict(row='mocov2-r50-200e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 200), downstream=_det), smoke=None),
    dict(row='mocov2-r50-800e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 800), downstream=_det),
         smoke=dict(pretrain=_smoke_pre.format('mocov2'), downstream=_smoke_det, **_smoke_desc)),
    dict(row='supervised-r50', method='supervised', pretrain_dataset='in1k', pretrain_epochs=None, **_desc,
         paper=dict(pretrain=None, checkpoint='{data_root}/checkpoints/resnet50_supervised.pth', downstream=_det),
         smoke=None),
    dict(row='random-r50', method='random', pretrain_dataset=None, pretrain_epochs=0, **_desc,
         paper=dict(pretrain=None, downstream=_det),
         smoke=dict(pretrain=None, downstream=_smoke_det,
                    **dict(_smoke_desc, pretrain_dataset=None, pretrain_epochs=0))),
]
