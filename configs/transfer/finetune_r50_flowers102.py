# Transfer, fine-tuning on flowers102 [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
dataset_name = 'flowers102'
data_root = 'data/flowers102'
# Oxford Flowers-102: train = official train + val (2,040), test = official test (6,149)
# layout: ImageFolder data/flowers102/{train,test}/<class>/<images> (see downstream/datasets.py)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
model = dict(num_classes=102)
epochs = 2510    # round(20000 * 256 / 2040) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=627)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
