# Generated datasets of the smoke profile (contracts.md §5): `suite.pipeline` renders each entry with
# `python -m pretrain.datasets.scenes` under --data-root (default ./data) before any run, and skips an entry whose
# folder already holds the same parameters. Same seed ⇒ byte-identical files.
scenes = [
    # pretraining, kNN, linear, semi-supervised: 4,000 train + 1,000 val scenes at 64 px
    dict(name='scenes-64', seed=0, size=5000, image_size=64),
    # detection and segmentation: the same scene stream rendered at 128 px, 480 train + 120 val
    dict(name='scenes-128', seed=0, size=600, image_size=128),
    # transfer: another seed and the other colour/texture palette (same 12 class ids), 800 train + 200 val
    dict(name='scenes_transfer-64', seed=1, size=1000, image_size=64, variant='transfer'),
]
# The paper's premise, measured before any training (pretrain/crop_overlap.py, seconds): how often a positive pair
# of MoCo-v2 (crop, crop) and of LeOCLR (original, crop) shares no object, on the 480 training scenes at 128 px.
diagnostics = [dict(type='crop_overlap', dataset='scenes-128', split='train')]
