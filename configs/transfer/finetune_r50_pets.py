# Transfer, fine-tuning on pets [choice]: configs/transfer/_base_/finetune_transfer.py (Kornblith et al.
# 2019 protocol, ~20,000 steps at batch 256). The paper's transfer protocol is [pending].
_base_ = ['./_base_/finetune_transfer.py']
dataset_name = 'pets'
data_root = 'data/pets'
# Oxford-IIIT Pets: train = official trainval (3,680), test = official test (3,669)
# layout: ImageFolder data/pets/{train,test}/<class>/<images> (see downstream/datasets.py)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
model = dict(num_classes=37)
epochs = 1391    # round(20000 * 256 / 3680) -> ~20,000 steps
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=347)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs,
                        convert_to_iter_based=True)]
