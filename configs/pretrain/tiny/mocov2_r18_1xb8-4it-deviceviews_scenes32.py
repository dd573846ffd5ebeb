# Tiny profile: the tiny MoCo-v2 run with the device-views loader (pretrain/data.py): loader workers only decode
# each image to a fixed size; the views are made batch-wise on the training device (pretrain/tensor_views.py).
# Same method and scale as the PIL-loader config it inherits; CI's check that the loader trains.
_base_ = ['./mocov2_r18_1xb8-4it_scenes32.py']
decode_size = 32  # the stored size (≥ the 32 px views); ImageNet: 256 for 224 px views
model = dict(data_preprocessor=dict(type='DeviceViewsPreprocessor'))
# [choice] the counter generator (pretrain/counter_rng.py): the uniforms are made on the training device
train_dataloader = dict(collate_fn=dict(type='device_views_collate'),
                        dataset=dict(decode_size=decode_size, generator='counter'))
