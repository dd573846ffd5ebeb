"""The crop-overlap diagnostic (pretrain/crop_overlap.py) on constructed images with hand-computed answers."""
import csv
import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from pretrain import crop_overlap
from pretrain.crop_overlap import ObjectAreas, no_shared_object

# regions are (top, left, height, width)
WHOLE = [0, 0, 100, 100]


def test_a_region_holds_an_object_from_a_fifth_of_its_area():
    # one 10x10 object in the top-left corner of a 100x100 image, box only
    objects = ObjectAreas(100, 100, boxes=[[0, 0, 10, 10]])
    regions = np.array([[0, 0, 20, 20],     # all of it           -> 1.00
                        [50, 50, 50, 50],   # none of it          -> 0.00
                        [8, 8, 50, 50],     # a 2x2 corner        -> 0.04
                        [0, 5, 30, 30]])    # its right half      -> 0.50
    np.testing.assert_allclose(objects.inside_fraction(regions)[:, 0], [1.0, 0.0, 0.04, 0.5])
    whole = np.array([WHOLE] * 4)
    # MoCo-v2-style pairs (region, region) and LeOCLR-style (whole image, region)
    crop_pairs = no_shared_object(objects, regions, regions[[1, 3, 0, 0]])
    assert crop_pairs.tolist() == [True, True, True, False]   # 3 of 4 pairs share nothing (hand count)
    assert no_shared_object(objects, whole, regions).tolist() == [False, True, True, False]


def test_masks_count_mask_area_not_box_area():
    # a right triangle below the diagonal of the box (0,0)-(10,10): mask area 55 of the box's 100
    mask = np.tril(np.ones((10, 10), dtype=bool))
    full = np.zeros((100, 100), dtype=bool)
    full[:10, :10] = mask
    region = np.array([[0, 5, 10, 5]])  # the box's right half: 1+2+3+4+5 = 15 mask pixels
    with_mask = ObjectAreas(100, 100, boxes=[[0, 0, 10, 10]], masks=[full])
    np.testing.assert_allclose(with_mask.inside_fraction(region), [[15 / 55]])
    np.testing.assert_allclose(ObjectAreas(100, 100, boxes=[[0, 0, 10, 10]]).inside_fraction(region), [[0.5]])
    assert with_mask.largest_fraction() == pytest.approx(55 / 10000)


def test_an_object_filling_the_image_is_shared_by_crops_holding_a_fifth_of_it():
    objects = ObjectAreas(64, 64, boxes=[[0, 0, 64, 64]])
    flags = crop_overlap.image_pairs(objects, np.random.default_rng(0), 50, crop_scale=(0.25, 1.0))
    assert not flags["mocov2"].any() and not flags["leoclr"].any()
    # crops of 8-20 % of the image hold less than a fifth of it: then even this object is not shared
    flags = crop_overlap.image_pairs(objects, np.random.default_rng(0), 200, crop_scale=(0.08, 0.15))
    assert flags["mocov2"].all() and flags["leoclr"].all()


def test_cli_writes_csv_figure_and_diagnostic_record(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (64, 48)).save(images / name)
    small = np.zeros((48, 64), dtype=np.uint8, order="F")
    small[2:6, 2:6] = 1  # 16 px: 0.5 % of the image
    rle = mask_utils.encode(small)
    rle["counts"] = rle["counts"].decode()
    coco = {"images": [{"id": i, "file_name": n, "width": 64, "height": 48} for i, n in
                       enumerate(["a.png", "b.png", "c.png"], 1)],
            "annotations": [{"id": 1, "image_id": 1, "bbox": [2, 2, 4, 4], "segmentation": rle, "iscrowd": 0},
                            {"id": 2, "image_id": 2, "bbox": [0, 0, 64, 48], "iscrowd": 0}],  # box only
            "categories": [{"id": 1, "name": "thing"}]}
    ann = tmp_path / "instances.json"
    ann.write_text(json.dumps(coco))
    out = tmp_path / "out"
    assert crop_overlap.main(["--coco", str(ann), "--images", str(images), "--out", str(out), "--pairs", "64"]) == 0
    rows = {(r["method"], r["bin"]): r for r in csv.DictReader(open(out / "crop_overlap.csv"))}
    assert rows[("mocov2", "<5%")]["images"] == "1" and rows[("mocov2", ">=20%")]["images"] == "1"
    assert float(rows[("mocov2", ">=20%")]["no_shared_object_pct"]) == 0.0  # the object fills the image
    # the tiny object: LeOCLR's original always holds it, so only the crop can miss it; MoCo-v2 needs both crops
    assert float(rows[("leoclr", "<5%")]["no_shared_object_pct"]) < float(rows[("mocov2", "<5%")]["no_shared_object_pct"])
    record = json.loads((out / "record.json").read_text())
    assert record["stage"] == "diagnostic" and record["status"] == "finished"
    assert record["images_without_objects"] == 1 and len(record["inputs"]["annotations"]["sha256"]) == 64
    assert (out / "crop_overlap.png").stat().st_size > 0
    # a finished measurement is never overwritten: the same call skips, other settings are refused, --force moves
    before = (out / "record.json").read_bytes()
    argv = ["--coco", str(ann), "--images", str(images), "--out", str(out)]
    assert crop_overlap.main(argv + ["--pairs", "64"]) == 0 and (out / "record.json").read_bytes() == before
    with pytest.raises(SystemExit, match="config_sha256 recorded"):
        crop_overlap.main(argv + ["--pairs", "8"])
    assert (out / "record.json").read_bytes() == before
    assert crop_overlap.main(argv + ["--pairs", "8", "--force"]) == 0
    assert len(list(tmp_path.glob("out.old-*"))) == 1
