"""The device-views loader (pretrain/data.py): workers decode to a fixed size, the model's preprocessor makes the
views on the training device with the batched views of the CIFAR path; a config selecting it trains."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from pretrain import train
from pretrain.data import DeviceViewsPreprocessor, MultiViewImageFolder, check_loader_config, device_views_collate
from pretrain.datasets.scenes import generate
from pretrain.tensor_views import BatchedViews

DEVICE_VIEWS = "configs/pretrain/tiny/mocov2_r18_1xb8-4it-deviceviews_scenes32.py"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    generate(root / "scenes-tiny32", seed=0, size=60, image_size=32, workers=1)
    return root


def test_a_config_selecting_device_views_trains_through_pretrain_train(data_root, tmp_path):
    work_dir = tmp_path / "run"
    # one loader worker: the decoded batches cross a process boundary as in real runs
    assert train.main([DEVICE_VIEWS, "--data-root", str(data_root), "--work-dir", str(work_dir),
                       "--cfg-options", "train_dataloader.num_workers=1"]) == 0
    record = json.loads((work_dir / "record.json").read_text())
    assert record["status"] == "finished" and record["iterations"] == 4
    assert "decode_size = 32" in (work_dir / "mocov2_r18_1xb8-4it-deviceviews_scenes32.py").read_text()


def test_preprocessor_views_are_the_batched_views_of_each_samples_seed(data_root):
    dataset = MultiViewImageFolder(data_root / "scenes-tiny32", views=("original", "crop"), size=24,
                                   decode_size=32, seed=3)
    batch = device_views_collate([dataset[(i, 1)] for i in (5, 0, 7)])
    assert batch["inputs"]["images"].shape == (3, 3, 32, 32) and batch["inputs"]["images"].dtype == torch.uint8
    preprocessor = DeviceViewsPreprocessor(mean=(0, 0, 0), std=(1, 1, 1))
    views = preprocessor(batch, training=True)["inputs"]
    assert [tuple(v.shape) for v in views] == [(3, 3, 24, 24)] * 2
    # the same views from the images alone: a sample's views depend on its (seed, epoch, index) only
    direct = BatchedViews(("original", "crop"), 24)(batch["inputs"]["images"], batch["inputs"]["seeds"].tolist())
    for made, expected in zip(views, direct):
        torch.testing.assert_close(made, expected.float())
    # training on the CPU the loader workers make them (views_in_workers): the same views
    in_workers = device_views_collate([dataset[(i, 1)] for i in (5, 0, 7)], views_in_workers=True)["inputs"]
    for made, expected in zip(in_workers, direct):
        torch.testing.assert_close(made, expected)


def test_source_sizes_equal_to_the_stored_size_change_nothing():
    images = torch.randint(0, 256, (4, 3, 40, 40), dtype=torch.uint8)
    views = BatchedViews(("original", "crop", "crop"), 16, original_mode="resize_center_crop")
    plain = views(images, [1, 2, 3, 4])
    with_sizes = views(images, [1, 2, 3, 4], source_sizes=np.full((4, 2), 40))
    for crop, crop_with_sizes in zip(plain[1:], with_sizes[1:]):
        torch.testing.assert_close(crop, crop_with_sizes)
    # the centre crop: torchvision's antialiased resize without sizes, roi_align's averaging with them
    assert (plain[0].float() - with_sizes[0].float()).abs().mean() < 8


def test_crops_are_drawn_in_the_source_images_coordinates():
    """A wide source stored square: a crop covering the whole source is the whole stored image."""
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    views = BatchedViews(("crop",), 32, crop_scale=(1.0, 1.0), crop_ratio=(2.0, 2.0),
                         augment=dict(color_jitter_p=0.0, grayscale_p=0.0, blur_p=0.0, flip_p=0.0))
    (whole,) = views(images, [0, 1], source_sizes=[(50, 100), (50, 100)])
    assert (whole.int() - images.int()).abs().max() <= 1


def test_device_views_config_missing_a_piece_is_named():
    cfg = Config.fromfile(DEVICE_VIEWS)
    check_loader_config(cfg)
    cfg.train_dataloader.collate_fn = dict(type="default_collate")
    with pytest.raises(ValueError, match="device_views_collate"):
        check_loader_config(cfg)
    with pytest.raises(ValueError, match="decode_size=16 is below the view size 32"):
        MultiViewImageFolder("/nonexistent", size=32, decode_size=16)
