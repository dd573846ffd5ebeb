# Smoke profile: LeOCLR on the generated scenes. The smoke MoCo-v2 config plus LeOCLR's method change, which is
# the same as in configs/pretrain/_base_/leoclr_r50_in1k.py (views and loss, nothing else).
_base_ = ['./mocov2_r18_1xb64-100it_scenes64.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
