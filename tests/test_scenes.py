"""Tests for the deterministic synthetic scenes generator (pretrain/datasets/scenes.py, which writes the scenes
pretrain/datasets/scenes_render.py draws)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from pretrain.datasets import scenes, scenes_render
from pretrain.datasets.scenes import CLASSES, ParamsMismatchError, generate

SIZE = 200
PX = 48


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scenes") / "ds"
    generate(root, seed=3, size=SIZE, image_size=PX, workers=2)
    return root


@pytest.fixture(scope="module")
def cocos(ds):
    return {s: COCO(str(ds / "annotations" / f"instances_{s}.json")) for s in ("train", "val")}


def test_classes_constant():
    assert isinstance(CLASSES, tuple) and len(CLASSES) >= 10
    assert len(set(CLASSES)) == len(CLASSES)
    assert list(CLASSES) == sorted(CLASSES)  # ImageFolder index == CLASSES index == category id - 1
    assert set(scenes_render.TEXTURES) == set(CLASSES)
    assert len(set(scenes_render.TEXTURES.values())) == len(CLASSES)  # every class has its own texture


def test_layout_and_meta(ds):
    meta = json.loads((ds / "meta.json").read_text())
    assert meta["classes"] == list(CLASSES)
    assert meta["category_ids"] == {n: i + 1 for i, n in enumerate(CLASSES)}
    assert (meta["seed"], meta["size"], meta["image_size"], meta["variant"]) == (3, SIZE, PX, "default")
    assert meta["splits"]["train"]["num_images"] == SIZE - round(0.2 * SIZE)
    assert meta["splits"]["val"]["num_images"] == round(0.2 * SIZE)
    assert (ds / "README.md").is_file()
    # ImageFolder-compatible: every class dir exists in train and holds images, nothing else at top
    for name in CLASSES:
        assert (ds / "train" / name).is_dir()
        assert any((ds / "train" / name).glob("*.png"))
    for split in ("train", "val"):
        assert {p.name for p in (ds / split).iterdir()} == set(CLASSES)
        counts = Counter(p.parent.name for p in (ds / split).rglob("*.png"))
        assert dict(counts) == {k: v for k, v in meta["splits"][split]["per_class"].items() if v}
    # no leftover temporary directories next to the dataset
    assert [p.name for p in ds.parent.iterdir()] == ["ds"]


def test_val_is_last_fraction(cocos):
    train_ids = sorted(cocos["train"].getImgIds())
    val_ids = sorted(cocos["val"].getImgIds())
    assert train_ids == list(range(1, SIZE - 40 + 1))
    assert val_ids == list(range(SIZE - 40 + 1, SIZE + 1))


def test_images_are_rgb_and_masks_are_L(ds):
    for p in list((ds / "train").rglob("*.png"))[:20]:
        im = Image.open(p)
        assert im.mode == "RGB" and im.size == (PX, PX)
        sem = Image.open(ds / "semantic" / p.relative_to(ds))
        assert sem.mode == "L" and sem.size == (PX, PX)
    imgs = sorted(p.relative_to(ds) for p in ds.glob("[tv][ra]*/*/*.png"))
    sems = sorted(p.relative_to(ds / "semantic") for p in (ds / "semantic").rglob("*.png"))
    assert imgs == sems and len(imgs) == SIZE


def test_coco_annotations_match_masks(ds, cocos):
    n_ann = 0
    for split, coco in cocos.items():
        assert [c["id"] for c in coco.loadCats(coco.getCatIds())] == list(range(1, len(CLASSES) + 1))
        for img in coco.loadImgs(coco.getImgIds()):
            assert img["file_name"].startswith(f"{split}/")
            assert (ds / img["file_name"]).is_file()
            assert (img["width"], img["height"]) == (PX, PX)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img["id"]))
            assert anns, "every image has at least its labelled object"
            union = np.zeros((PX, PX), np.int64)
            for a in anns:
                n_ann += 1
                assert a["iscrowd"] == 0 and 1 <= a["category_id"] <= len(CLASSES)
                m = coco.annToMask(a).astype(bool)
                ys, xs = np.nonzero(m)
                x0, y0 = xs.min(), ys.min()
                assert a["bbox"] == [x0, y0, xs.max() - x0 + 1, ys.max() - y0 + 1]
                assert a["area"] == m.sum() >= 0.01 * PX * PX
                assert list(mask_utils.toBbox(a["segmentation"])) == a["bbox"]
                union += m
            assert union.max() == 1, "visible masks must not overlap"
    assert n_ann > SIZE


def test_semantic_matches_instances(ds, cocos):
    n_ignore = 0
    for coco in cocos.values():
        for img in coco.loadImgs(coco.getImgIds()):
            sem = np.asarray(Image.open(ds / "semantic" / img["file_name"]))
            expect = np.zeros((PX, PX), np.uint8)
            for a in coco.loadAnns(coco.getAnnIds(imgIds=img["id"])):
                expect[coco.annToMask(a).astype(bool)] = a["category_id"]
            keep = sem != 255
            np.testing.assert_array_equal(sem[keep], expect[keep])
            assert set(np.unique(sem)) <= set(range(len(CLASSES) + 1)) | {255}
            n_ignore += int((~keep).sum())
            # the ignore band is thin: most object pixels keep their class
            assert (sem[expect > 0] != 255).mean() > 0.5
    assert n_ignore > 0


def test_ignore_band_is_one_pixel():
    owner = np.zeros((12, 12), np.uint8)
    owner[2:8, 2:8] = 1
    owner[5:10, 5:10] = 2
    band = scenes_render._ignore_band(owner)
    # object 1: only its own outline (pixels next to background or under object 2's edge are not it)
    assert band[2, 2:8].all() and band[2:8, 2].all()
    assert not band[3:5, 3:7].any() and not band[3:7, 3:5].any()
    # object 2 occludes 1: the band sits on object 2's side only
    assert band[5, 5:10].all() and band[5:10, 5].all() and not band[6:9, 6:9].any()
    assert not band[4, 6] and not band[6, 4]  # object-1 pixels next to the occluder stay labelled
    assert not band[owner == 0].any()


def test_label_is_largest_object(ds, cocos):
    for coco in cocos.values():
        for img in coco.loadImgs(coco.getImgIds()):
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img["id"]))
            largest = max(anns, key=lambda a: a["area"])
            assert CLASSES[largest["category_id"] - 1] == img["file_name"].split("/")[1]


def test_class_balance(ds):
    counts = Counter(p.parent.name for p in ds.glob("[tv][ra]*/*/*.png"))
    mean = SIZE / len(CLASSES)
    assert set(counts) == set(CLASSES)
    for name in CLASSES:
        assert 0.5 * mean <= counts[name] <= 1.5 * mean, (name, counts[name])


def test_object_area_fractions(cocos):
    fr = np.array([a["area"] / (PX * PX) for c in cocos.values() for a in c.dataset["annotations"]])
    assert np.mean((fr >= 0.05) & (fr <= 0.40)) >= 0.85
    assert fr.max() <= 0.5
    n_per_image = Counter(a["image_id"] for c in cocos.values() for a in c.dataset["annotations"])
    assert set(n_per_image.values()) == {1, 2, 3}


def test_byte_identical_across_worker_counts(ds, tmp_path):
    again = tmp_path / "again"
    generate(again, seed=3, size=SIZE, image_size=PX, workers=1)
    assert _digests(again) == _digests(ds)


def test_different_seed_and_variant_differ(tmp_path):
    def make(name, seed, variant="default"):
        generate(tmp_path / name, seed=seed, size=40, image_size=32, variant=variant, workers=2)
        return _digests(tmp_path / name)

    a, b, t = make("a", 0), make("b", 1), make("t", 0, "transfer")
    for other in (b, t):
        img_a = {v for k, v in a.items() if k.endswith(".png") and not k.startswith("semantic")}
        img_o = {v for k, v in other.items() if k.endswith(".png") and not k.startswith("semantic")}
        assert not img_a & img_o
        assert a["annotations/instances_train.json"] != other["annotations/instances_train.json"]
    meta_t = json.loads((tmp_path / "t" / "meta.json").read_text())
    assert meta_t["variant"] == "transfer" and meta_t["category_ids"] == {n: i + 1 for i, n in enumerate(CLASSES)}


def test_transfer_is_a_shifted_domain():
    d = np.stack([scenes_render.render_scene(0, i, 48, "default")["image"] for i in range(24)]).astype(float)
    t = np.stack([scenes_render.render_scene(0, i, 48, "transfer")["image"] for i in range(24)]).astype(float)
    assert abs(d.mean() - t.mean()) > 10 or abs(d.std() - t.std()) > 10


def test_render_scene_is_pure():
    a = scenes_render.render_scene(5, 17, 40, "default")
    b = scenes_render.render_scene(5, 17, 40, "default")
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["semantic"], b["semantic"])
    assert a["label"] == b["label"]


def test_rerun_same_params_skips_and_different_params_raise(ds, capsys):
    before = {p: p.stat().st_mtime_ns for p in ds.rglob("*") if p.is_file()}
    meta = generate(ds, seed=3, size=SIZE, image_size=PX, workers=2)
    assert "skipped" in capsys.readouterr().out
    assert meta["seed"] == 3
    assert {p: p.stat().st_mtime_ns for p in ds.rglob("*") if p.is_file()} == before
    with pytest.raises(ParamsMismatchError) as err:
        generate(ds, seed=4, size=SIZE, image_size=PX, workers=2)
    assert str(ds) in str(err.value) and "seed" in str(err.value) and "image_size" not in str(err.value)
    with pytest.raises(ParamsMismatchError, match="image_size"):
        generate(ds, seed=3, size=SIZE, image_size=PX + 16, workers=2)
    with pytest.raises(ParamsMismatchError, match="variant"):
        generate(ds, seed=3, size=SIZE, image_size=PX, variant="transfer", workers=2)
    assert {p: p.stat().st_mtime_ns for p in ds.rglob("*") if p.is_file()} == before


def test_refuses_nonempty_dir_without_meta(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file.txt").write_text("x")
    with pytest.raises(FileExistsError, match="junk"):
        generate(tmp_path / "junk", seed=0, size=8, image_size=32, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk"]


def test_failed_run_leaves_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(scenes, "_work", boom)
    with pytest.raises(RuntimeError):
        generate(tmp_path / "out", seed=0, size=8, image_size=32, workers=1)
    assert list(tmp_path.iterdir()) == []


def test_cli(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["--out", str(out), "--seed", "2", "--size", "24", "--image-size", "32", "--workers", "2"]
    assert scenes.main(args) == 0
    assert "img/s" in capsys.readouterr().out
    assert json.loads((out / "meta.json").read_text())["size"] == 24
    assert scenes.main(args) == 0
    assert "skipped" in capsys.readouterr().out
    assert scenes.main(args[:3] + ["3"] + args[4:]) == 2
    assert "seed" in capsys.readouterr().err
