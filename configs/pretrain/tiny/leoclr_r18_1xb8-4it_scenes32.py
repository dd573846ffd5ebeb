# Tiny profile: LeOCLR. The tiny MoCo-v2 config plus LeOCLR's method change (as in the smoke and paper configs).
_base_ = ['./mocov2_r18_1xb8-4it_scenes32.py']
model = dict(type='LeOCLR', enqueue='both')
train_dataloader = dict(dataset=dict(views=['original', 'crop', 'crop'], original_mode='resize'))
