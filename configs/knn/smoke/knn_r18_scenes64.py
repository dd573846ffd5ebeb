# Smoke profile: weighted kNN (k=20, T=0.1) on the generated scenes (64 px), with the bank and query sizes of
# the smoke pretraining's kNN monitor (2,000 evenly spaced training images, 1,000 val images) so the numbers
# compare. Proves the pipeline, makes no scientific claim.
_base_ = ['../knn_r50_in1k.py']
profile = 'smoke'
dataset_name = 'scenes'
data_root = 'data/scenes-64'

model = dict(arch='resnet18')           # smoke: the R18 of the smoke pretraining
eval_pipeline = dict(kind='eval', size=64, resize=None)  # smoke: 64 px images used whole
test_dataloader = dict(batch_size=250, num_workers=1, pin_memory=False,  # smoke: 2 cores
                       dataset=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True),
                                    max_samples=1000))
test_cfg = dict(bank=dict(data_root=data_root, pipeline=dict(eval_pipeline, _delete_=True), max_samples=2000),
                bn_samples=1024,        # smoke: random-init BN statistics from 1,024 bank images
                batch_size=250, num_workers=1)
test_evaluator = dict(k=20, temperature=0.1)  # smoke: the pretraining monitor's k and T, so the numbers compare
