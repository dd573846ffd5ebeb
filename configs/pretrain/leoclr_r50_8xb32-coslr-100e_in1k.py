_base_ = ['./_base_/leoclr_r50_in1k.py']
epochs = 100
train_cfg = dict(max_epochs=epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
