# PASCAL VOC12aug semantic segmentation (FCN R50-D8, 20k iterations; suite extension): which runs feed which row
# (contracts.md §3). Format: see in1k_linear.py. Paper numbers: results/reference/voc_seg.csv (none known).
table = 'voc_seg'
title = 'PASCAL VOC12aug semantic segmentation, FCN R50-D8 512×512, 20k iterations (extension)'
metrics = ['mIoU', 'aAcc']
stage = 'segmentation'
note = ('Suite extension (not seen in the paper): FCN with a torchvision-style dilated ResNet-50 (not mmseg\'s '
        'ResNetV1c deep stem, which a MoCo/LeOCLR checkpoint cannot fill), 20k iterations, batch 16, SGD lr 0.01, '
        'poly schedule, MMSegmentation 1.x. No published MoCo-v2 number for this protocol is used as a '
        'reference (mmselfsup\'s 67.55 mIoU is its own run of its own checkpoint).')

_pre = 'configs/pretrain/{}_r50_8xb32-coslr-800e_in1k.py'
_seg = 'configs/segmentation/fcn_r50-d8_20k_voc12aug-512x512.py'
_desc = dict(arch='r50', eval_dataset='voc12aug', protocol='fcn-r50-d8-20k')

rows = [
    dict(row='leoclr-r50-800e', method='leoclr', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('leoclr'), downstream=_seg)),
    dict(row='mocov2-r50-800e', method='mocov2', pretrain_dataset='in1k', pretrain_epochs=800, **_desc,
         paper=dict(pretrain=_pre.format('mocov2'), downstream=_seg)),
    dict(row='supervised-r50', method='supervised', pretrain_dataset='in1k', pretrain_epochs=None, **_desc,
         paper=dict(pretrain=None, checkpoint='{data_root}/checkpoints/resnet50_supervised.pth', downstream=_seg)),
    dict(row='random-r50', method='random', pretrain_dataset=None, pretrain_epochs=0, **_desc,
         paper=dict(pretrain=None, downstream=_seg)),
]
