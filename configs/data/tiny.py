# Generated datasets of the tiny profile (CI's end-to-end run, contracts.md §1): a few dozen scenes per set, in
# folders of their own so that they never collide with the smoke profile's under the same --data-root.
scenes = [
    # 48 train + 12 val each: the class schedule is balanced per block of 12 ids, so every class is in val
    dict(name='scenes-tiny32', seed=0, size=60, image_size=32),
    dict(name='scenes-tiny64', seed=0, size=60, image_size=64),             # detection, segmentation
    dict(name='scenes_transfer-tiny32', seed=1, size=60, image_size=32, variant='transfer'),
]
# the smoke profile's crop-overlap diagnostic, on the tiny scenes
diagnostics = [dict(type='crop_overlap', dataset='scenes-tiny64', split='train')]
