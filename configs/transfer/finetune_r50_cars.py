# Transfer, fine-tuning on cars [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
dataset_name = 'cars'
data_root = 'data/cars'
# Stanford Cars: train (8,144), test (8,041)
# layout: ImageFolder data/cars/{train,test}/<class>/<images> (see downstream/datasets.py)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
model = dict(num_classes=196)
epochs = 629    # round(20000 * 256 / 8144) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=157)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
