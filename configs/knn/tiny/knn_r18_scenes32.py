# Tiny profile: the smoke kNN protocol on the tiny scenes (32 px, 48-image bank, 12 queries).
_base_ = ['../smoke/knn_r18_scenes64.py']
profile = 'tiny'
data_root = 'data/scenes-tiny32'
eval_pipeline = dict(kind='eval', size=32, resize=None)
test_dataloader = dict(batch_size=48, num_workers=0,
                       dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)))
test_cfg = dict(bank=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True)),
                bn_samples=48, batch_size=48, num_workers=0)
