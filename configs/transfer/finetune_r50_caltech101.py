# Transfer, fine-tuning on caltech101 [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
dataset_name = 'caltech101'
data_root = 'data/caltech101'
# Caltech-101 (101 classes + background): train = 30 random images per class (3,060), test = the rest [choice]
# layout: ImageFolder data/caltech101/{train,test}/<class>/<images> (see downstream/datasets.py)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
model = dict(num_classes=102)
epochs = 1673    # round(20000 * 256 / 3060) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=418)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
