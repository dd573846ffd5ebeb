# Transfer, fine-tuning on aircraft [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
dataset_name = 'aircraft'
data_root = 'data/aircraft'
# FGVC Aircraft (100 variants): train = official trainval (6,667), test (3,333)
# layout: ImageFolder data/aircraft/{train,test}/<class>/<images> (see downstream/datasets.py)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
model = dict(num_classes=100)
epochs = 768    # round(20000 * 256 / 6667) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=192)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
