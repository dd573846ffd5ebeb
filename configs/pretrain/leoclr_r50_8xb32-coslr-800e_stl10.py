# STL-10 pretraining on the unlabeled split, 100,000 images [paper] (shared/paper/LeOCLR.md section 4; ImageFolder
# stl10/unlabeled/0/*.png, contracts.md section 5.1). Resolution and epochs [pending] in the paper: native 96 px
# and 800 epochs [choice].
_base_ = ['./_base_/leoclr_r50_in1k.py']
dataset_name = 'stl10'
data_root = 'data/stl10'
epochs = 800
# Switch: 'train+unlabeled' (105,000 images: the 5,000 labelled training images too, labels unused) is the other
# common STL-10 pretraining set; the linear probe's training images are then also seen in pretraining.
pretrain_split = 'unlabeled'
train_dataloader = dict(dataset=dict(data_root=data_root, split=pretrain_split, size=96))
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
custom_hooks = [dict(type='KNNMonitorHook', data_root=data_root, bank_split='train', query_split='test',
                     size=96, interval=10, by_epoch=True, batch_size=512, num_workers=8)]
