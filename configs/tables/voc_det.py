# PASCAL VOC object detection (Faster R-CNN R50-C4, MoCo protocol): which runs feed which row (contracts.md §3).
# Format: see in1k_linear.py. Paper numbers: results/reference/voc_det.csv (MoCo-v2 and supervised: MoCo's README).
table = 'voc_det'
title = 'PASCAL VOC07+12 detection, Faster R-CNN R50-C4 (24k iterations)'
metrics = ['AP50', 'AP', 'AP75']
stage = 'detection'
note = ('MoCo protocol: trainval07+12 → test07, 24k iterations, batch 16, lr 0.02, SyncBN, extra BN on res5; '
        'AP = VOC07 11-point AP averaged over IoU 0.50:0.05:0.95, AP50 and AP75 = the same at 0.50 and 0.75 '
        '(detectron2\'s PascalVOCDetectionEvaluator, as MoCo reports; not COCO\'s 101-point AP). Difficult '
        'boxes are training targets and ignored in evaluation, norm layers have no weight decay and BN '
        'statistics are re-estimated on 200 training batches before evaluation (precise BN), as in detectron2. '
        'Reference numbers come from '
        'detectron2 (MoCo README, mean of 5 trials, std ≈ 0.2/0.2/0.4); ours run in MMDetection 3.x, and '
        'engines are known to differ by about 1 AP with the same backbone. Detection setup of the LeOCLR '
        'paper is pending. Random init trains the whole detector from scratch (24k iterations).')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-{}e_in1k.py'
_det = 'configs/detection/faster-rcnn_r50-c4_24k_voc0712.py'
_desc = dict(arch='r50', eval_dataset='voc0712', protocol='faster-rcnn-r50-c4-24k')

rows = [
    dict(row='leoclr-r50-200e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 200), downstream=_det)),
    dict(row='leoclr-r50-800e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('leoclr', 800), downstream=_det)),
    dict(row='mocov2-r50-200e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=200, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 200), downstream=_det)),
    dict(row='mocov2-r50-800e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('mocov2', 800), downstream=_det)),
    dict(row='supervised-r50', method='supervised', pretrain_dataset='in1k', pretrain_epochs=None, **_desc,
         paper=dict(pretrain=None, checkpoint='{data_root}/checkpoints/resnet50_supervised.pth', downstream=_det)),
    dict(row='random-r50', method='random', pretrain_dataset=None, pretrain_epochs=0, **_desc,
         paper=dict(pretrain=None, downstream=_det)),
]
