"""`python -m suite.prepare` on tiny fakes of each raw format (no network): layouts, counts, held-out
validation lists, links, manifests, refusals."""
import dataclasses
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from suite import prepare as P
from suite import prepare_readers as R
from downstream.datasets import DatasetNotFound, STL10Dataset, scan_image_folder


# ----------------------------------------------------------------------------------------------- fakes
def jpg(path, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), (value % 256, 0, 0)).save(path, format="JPEG")
    return path


def lines(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{r}\n" for r in rows))


def structs(**columns):
    """A MATLAB struct array (what loadmat gives back as records) from equal-length columns."""
    n = len(next(iter(columns.values())))
    array = np.empty(n, dtype=[(k, object) for k in columns])
    for k, values in columns.items():
        array[k] = values
    return array


def expect(monkeypatch, name, classes, **counts):
    """The tiny fakes' counts stand in for contracts.md §5.1's."""
    monkeypatch.setitem(P.DATASETS, name, dataclasses.replace(P.DATASETS[name], expected=counts, classes=classes))


def read_list(path):
    return path.read_text().split()


@pytest.fixture
def flowers_raw(tmp_path):
    raw = tmp_path / "raw" / "flowers-102"
    for i in range(1, 10):
        jpg(raw / "jpg" / f"image_{i:05d}.jpg", i)
    savemat(raw / "imagelabels.mat", {"labels": np.array([[1, 1, 1, 2, 2, 2, 3, 3, 3]])})
    savemat(raw / "setid.mat", {"trnid": np.array([[1, 4, 7]]), "valid": np.array([[2, 5, 8]]),
                                "tstid": np.array([[3, 6, 9]])})
    return tmp_path / "raw"


# ----------------------------------------------------------------------------------------------- rebuilt datasets
def test_flowers_official_splits_hardlinked_with_manifest_and_lists(tmp_path, flowers_raw, monkeypatch):
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    manifest = P.prepare("flowers102", flowers_raw, tmp_path / "root", argv=["flowers102"])
    out = tmp_path / "root" / "flowers102"
    assert os.path.samefile(out / "train" / "001" / "image_00001.jpg", flowers_raw / "flowers-102/jpg/image_00001.jpg")
    assert not (out / "train" / "001" / "image_00001.jpg").is_symlink()
    assert read_list(out / "test.txt") == ["001/image_00003.jpg", "002/image_00006.jpg", "003/image_00009.jpg"]
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["counts"] == {"train": 3, "val": 3, "test": 3} and manifest["classes"] == 3
    assert manifest["link"] == ["hardlink"] and manifest["source"] == str((flowers_raw / "flowers-102").resolve())
    assert manifest["val_split"] is None and manifest["date"]
    classes, samples = scan_image_folder(out, "val")      # what the runners read
    assert classes == ["001", "002", "003"] and len(samples) == 3
    assert [p.name for p in tmp_path.joinpath("root").iterdir()] == ["flowers102"]   # no temp dir left


@pytest.mark.parametrize("link", ["symlink", "copy"])
def test_link_modes(tmp_path, flowers_raw, monkeypatch, link):
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    manifest = P.prepare("flowers102", flowers_raw, tmp_path / "root", link=link)
    image = tmp_path / "root/flowers102/train/001/image_00001.jpg"
    assert image.is_symlink() == (link == "symlink") and manifest["link"] == [link]
    assert os.path.isabs(os.readlink(image)) if link == "symlink" else image.read_bytes()


def test_count_mismatch_names_split_and_numbers_and_writes_nothing(tmp_path, flowers_raw, monkeypatch):
    expect(monkeypatch, "flowers102", 3, train=4, val=3, test=3)
    with pytest.raises(P.CountMismatch, match=r"split 'train' has 3 images, expected 4"):
        P.prepare("flowers102", flowers_raw, tmp_path / "root")
    assert not (tmp_path / "root" / "flowers102").exists()
    with pytest.warns(UserWarning, match="expected 4"):
        manifest = P.prepare("flowers102", flowers_raw, tmp_path / "root", count_check=False)
    assert manifest["count_check"] is False and manifest["count_problems"] == ["split 'train' has 3 images, expected 4"]


def test_the_real_table_is_contracts_section_5_1():
    assert P.DATASETS["imagenet"].expected == {"train": 1_281_167, "val": 50_000}
    assert P.DATASETS["caltech101"].expected == {"train": 3_030, "test": 5_647}
    assert P.DATASETS["voc12aug"].expected == {"train+aug": 10_582, "val": 1_449}
    assert sum(P.DATASETS["stl10"].expected.values()) == 113_000


def test_finished_folder_is_never_overwritten_without_force(tmp_path, flowers_raw, monkeypatch):
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    P.prepare("flowers102", flowers_raw, tmp_path / "root")
    with pytest.raises(FileExistsError, match="prepared .*--force"):
        P.prepare("flowers102", flowers_raw, tmp_path / "root")
    P.prepare("flowers102", flowers_raw, tmp_path / "root", force=True)
    names = sorted(p.name for p in (tmp_path / "root").iterdir())
    assert names[0] == "flowers102" and names[1].startswith("flowers102.old-") and len(names) == 2


def test_interrupted_run_leaves_no_folder(tmp_path, flowers_raw, monkeypatch):
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    calls = []

    def flaky(source, dest, link):
        calls.append(dest)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return "copy"
    monkeypatch.setattr(P, "place", flaky)
    with pytest.raises(KeyboardInterrupt):
        P.prepare("flowers102", flowers_raw, tmp_path / "root")
    assert list((tmp_path / "root").iterdir()) == []


def test_missing_image_and_missing_raw_are_named(tmp_path, flowers_raw, monkeypatch):
    (flowers_raw / "flowers-102/jpg/image_00005.jpg").unlink()
    with pytest.raises(DatasetNotFound, match=r"image_00005\.jpg.*expected under --src.*setid\.mat"):
        P.prepare("flowers102", flowers_raw, tmp_path / "root")
    with pytest.raises(DatasetNotFound, match=r"food-101/meta/train\.txt.*meta/\{train,test\}\.txt"):
        P.prepare("food101", tmp_path / "nothing", tmp_path / "root")


def test_pets_val_held_out_of_trainval_seeded(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "oxford-iiit-pet"
    trainval = [f"{breed}_{i}" for breed in ("Abyssinian", "american_bulldog") for i in range(1, 11)]
    test = [f"{breed}_{i}" for breed in ("Abyssinian", "american_bulldog") for i in range(11, 14)]
    for i, image_id in enumerate(trainval + test):
        jpg(raw / "images" / f"{image_id}.jpg", i)
    lines(raw / "annotations" / "trainval.txt", ["#Image CLASS-ID SPECIES BREED ID"] + [f"{i} 1 1 1" for i in trainval])
    lines(raw / "annotations" / "test.txt", [f"{i} 1 1 1" for i in test])
    expect(monkeypatch, "pets", 2, trainval=20, test=6)
    manifest = P.prepare("pets", tmp_path / "raw", tmp_path / "root")
    out = tmp_path / "root" / "pets"
    assert manifest["counts"] == {"train": 18, "val": 2, "test": 6}
    assert manifest["source_counts"] == {"trainval": 20, "test": 6}
    assert manifest["val_split"] == {"held_out_of": "trainval", "percent_per_class": 10, "seed": 0}
    val = read_list(out / "val.txt")
    assert sorted(v.split("/")[0] for v in val) == ["Abyssinian", "american_bulldog"]
    assert not set(val) & set(read_list(out / "train.txt"))
    P.prepare("pets", tmp_path / "raw", tmp_path / "root", force=True)      # the draw is seeded
    assert read_list(out / "val.txt") == val


def test_cars_torchvision_layout_and_slash_in_class_names(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "stanford_cars"
    names = np.array(["Ram C/V Cargo Van Minivan 2012", "Audi TT RS Coupe 2012"], dtype=object)
    (raw / "devkit").mkdir(parents=True)
    savemat(raw / "devkit" / "cars_meta.mat", {"class_names": names})
    for split, classes in (("train", [1, 1, 2, 2, 2]), ("test", [1, 2])):
        fnames = [f"{i:05d}.jpg" for i in range(1, len(classes) + 1)]
        for i, f in enumerate(fnames):
            jpg(raw / f"cars_{split}" / f, i)
        annos = raw / ("devkit/cars_train_annos.mat" if split == "train" else "cars_test_annos_withlabels.mat")
        savemat(annos, {"annotations": structs(fname=fnames, **{"class": classes})})
    expect(monkeypatch, "cars", 2, train=5, test=2)
    manifest = P.prepare("cars", tmp_path / "raw", tmp_path / "root")
    out = tmp_path / "root" / "cars"
    assert sorted(os.listdir(out / "test")) == ["Audi TT RS Coupe 2012", "Ram C-V Cargo Van Minivan 2012"]
    assert manifest["counts"] == {"train": 3, "val": 2, "test": 2}


def test_cars_all_in_one_annotations(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "cars"
    paths = [f"car_ims/{i:06d}.jpg" for i in range(1, 7)]
    for i, p in enumerate(paths):
        jpg(raw / p, i)
    savemat(raw / "cars_annos.mat", {"class_names": np.array(["A", "B"], dtype=object),
                                     "annotations": structs(relative_im_path=paths, **{"class": [1, 2, 1, 2, 1, 2],
                                                                                       "test": [0, 0, 0, 0, 1, 1]})})
    expect(monkeypatch, "cars", 2, train=4, test=2)
    assert P.prepare("cars", tmp_path / "raw", tmp_path / "root")["counts"] == {"train": 2, "val": 2, "test": 2}


def test_aircraft_variants(tmp_path, monkeypatch):
    data = tmp_path / "raw" / "fgvc-aircraft-2013b" / "data"
    rows = {"train": ["1000001 F/A-18", "1000002 Cessna 172"], "val": ["1000003 F/A-18", "1000004 Cessna 172"],
            "test": ["1000005 F/A-18", "1000006 Cessna 172"]}
    for split, split_rows in rows.items():
        lines(data / f"images_variant_{split}.txt", split_rows)
        for row in split_rows:
            jpg(data / "images" / f"{row.split()[0]}.jpg")
    expect(monkeypatch, "aircraft", 2, train=2, val=2, test=2)
    P.prepare("aircraft", tmp_path / "raw", tmp_path / "root")
    val = (tmp_path / "root/aircraft/val.txt").read_text().splitlines()
    assert val == ["Cessna 172/1000004.jpg", "F-A-18/1000003.jpg"]


def test_dtd_split_one_from_torchvision_folder(tmp_path, monkeypatch):
    data = tmp_path / "raw" / "dtd" / "dtd"       # torchvision's DTD(root) puts it at root/dtd/dtd
    for split, files in (("train", ["banded/banded_0001.jpg", "dotted/dotted_0001.jpg"]),
                         ("val", ["banded/banded_0002.jpg", "dotted/dotted_0002.jpg"]),
                         ("test", ["banded/banded_0003.jpg", "dotted/dotted_0003.jpg"])):
        lines(data / "labels" / f"{split}1.txt", files)
        lines(data / "labels" / f"{split}2.txt", files[:1])      # other splits are ignored
        for f in files:
            jpg(data / "images" / f)
    expect(monkeypatch, "dtd", 2, train=2, val=2, test=2)
    assert P.prepare("dtd", tmp_path / "raw", tmp_path / "root")["counts"] == {"train": 2, "val": 2, "test": 2}
    assert (tmp_path / "root/dtd/test/dotted/dotted_0003.jpg").is_file()


def test_caltech101_seeded_train_per_class_background_dropped(tmp_path, monkeypatch):
    categories = tmp_path / "raw" / "caltech101" / "101_ObjectCategories"
    for name in ("BACKGROUND_Google", "Faces", "ant"):
        for i in range(1, 6):
            jpg(categories / name / f"image_{i:04d}.jpg", i)
    monkeypatch.setattr(R, "CALTECH_TRAIN_PER_CLASS", 3)
    expect(monkeypatch, "caltech101", 2, train=6, test=4)
    manifest = P.prepare("caltech101", tmp_path / "raw", tmp_path / "root")
    out = tmp_path / "root" / "caltech101"
    assert manifest["counts"] == {"train": 4, "val": 2, "test": 4} and manifest["source_counts"]["train"] == 6
    assert sorted(os.listdir(out / "test")) == ["Faces", "ant"]
    picked = read_list(out / "train.txt") + read_list(out / "val.txt")
    P.prepare("caltech101", tmp_path / "raw", tmp_path / "root", force=True)
    assert read_list(out / "train.txt") + read_list(out / "val.txt") == picked


def test_food101(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "food-101"
    for split, ids in (("train", ["apple_pie/101", "apple_pie/102", "ramen/201", "ramen/202", "ramen/203"]),
                       ("test", ["apple_pie/103", "ramen/204"])):
        lines(raw / "meta" / f"{split}.txt", ids)
        for i in ids:
            jpg(raw / "images" / f"{i}.jpg")
    expect(monkeypatch, "food101", 2, train=5, test=2)
    manifest = P.prepare("food101", tmp_path / "raw", tmp_path / "root")
    assert manifest["counts"] == {"train": 3, "val": 2, "test": 2}     # at least one val image per class
    assert (tmp_path / "root/food101/val/ramen").is_dir()


def test_a_split_missing_a_class_is_refused(tmp_path, monkeypatch):
    """ImageFolder numbers each split's own class folders: a missing class would shift the others' labels."""
    raw = tmp_path / "raw" / "food-101"
    for split, ids in (("train", ["apple_pie/1", "apple_pie/2", "ramen/3", "ramen/4"]), ("test", ["ramen/5"])):
        lines(raw / "meta" / f"{split}.txt", ids)
        for i in ids:
            jpg(raw / "images" / f"{i}.jpg")
    with pytest.raises(P.CountMismatch, match=r"split 'test' has no images of 1 classes, e.g. \['apple_pie'\]"):
        P.prepare("food101", tmp_path / "raw", tmp_path / "root", count_check=False)


def test_stl10_binary_to_png_matches_the_linear_reader(tmp_path, monkeypatch):
    raw = tmp_path / "raw" / "stl10_binary"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 3), ("test", 2), ("unlabeled", 2)):
        rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8).tofile(raw / f"{split}_X.bin")
        if split != "unlabeled":
            np.array([1, 10, 1][:n], dtype=np.uint8).tofile(raw / f"{split}_y.bin")
    lines(raw / "class_names.txt", R.STL10_CLASSES)
    expect(monkeypatch, "stl10", 2, train=3, test=2, unlabeled=2)
    manifest = P.prepare("stl10", tmp_path / "raw", tmp_path / "root")
    out = tmp_path / "root" / "stl10"
    assert manifest["counts"] == {"train": 3, "test": 2, "unlabeled": 2} and manifest["link"] == ["written"]
    assert sorted(os.listdir(out / "train")) == ["airplane", "truck"] and os.listdir(out / "unlabeled") == ["0"]
    reference = STL10Dataset(raw, "train")
    png = np.asarray(Image.open(out / "train" / "truck" / "train_000001.png"))
    assert png.shape == (96, 96, 3) and np.array_equal(png, np.asarray(reference.image(1)))


# ImageNet: three raw forms of train/val and three ground-truth formats
def _imagenet_val_labels(raw, kind, names, wnids):
    if kind == "mapping":
        lines(raw / "val_labels.txt", [f"{n} {w}" for n, w in zip(names, wnids)])
    elif kind == "kaggle":
        lines(raw / "LOC_val_solution.csv",
              ["ImageId,PredictionString"] + [f"{n[:-5]},{w} 1 2 3 4 {w} 5 6 7 8" for n, w in zip(names, wnids)])
    else:
        devkit = raw / "ILSVRC2012_devkit_t12" / "data"
        order = sorted(set(wnids))
        lines(devkit / "ILSVRC2012_validation_ground_truth.txt", [order.index(w) + 1 for w in wnids])
        savemat(devkit / "meta.mat", {"synsets": structs(ILSVRC2012_ID=[1, 2, 3], WNID=[*order, "n99999999"],
                                                         num_children=[0, 0, 5])})


def _tar(path, members):
    with tarfile.open(path, "w") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("form,labels", [("folders", "mapping"), ("kaggle", "kaggle"), ("tars", "devkit")])
def test_imagenet(tmp_path, monkeypatch, form, labels):
    wnids = ["n01440764", "n01443537"]
    val_names = [f"ILSVRC2012_val_{k:08d}.JPEG" for k in range(1, 4)]
    val_wnids = [wnids[0], wnids[1], wnids[0]]
    src = tmp_path / "raw"
    raw = src / "ILSVRC" / "Data" / "CLS-LOC" if form == "kaggle" else src
    image = jpg(tmp_path / "one.jpg").read_bytes()
    if form == "tars":
        class_tars = []
        for w in wnids:
            _tar(tmp_path / f"{w}.tar", [(f"{w}_{i}.JPEG", image) for i in range(2)])
            class_tars.append((f"{w}.tar", (tmp_path / f"{w}.tar").read_bytes()))
        raw.mkdir(parents=True)
        _tar(raw / "ILSVRC2012_img_train.tar", class_tars)
        _tar(raw / "ILSVRC2012_img_val.tar", [(n, image) for n in val_names])
    else:
        for w in wnids:
            for i in range(2):
                jpg(raw / "train" / w / f"{w}_{i}.JPEG")
        for n in val_names:
            jpg(raw / "val" / n)
    _imagenet_val_labels(src, labels, val_names, val_wnids)
    expect(monkeypatch, "imagenet", 2, train=4, val=3)
    manifest = P.prepare("imagenet", src, tmp_path / "root")
    out = tmp_path / "root" / "imagenet"
    assert manifest["counts"] == {"train": 4, "val": 3}
    assert sorted(read_list(out / "val.txt")) == [f"{wnids[0]}/{val_names[0]}", f"{wnids[0]}/{val_names[2]}",
                                                  f"{wnids[1]}/{val_names[1]}"]
    assert (out / "train" / wnids[1] / f"{wnids[1]}_1.JPEG").read_bytes()[:2] == b"\xff\xd8"
    assert manifest["link"] == (["written"] if form == "tars" else ["hardlink"])


def test_imagenet_flat_val_without_labels_is_named(tmp_path):
    jpg(tmp_path / "raw" / "train" / "n01440764" / "a.JPEG")
    jpg(tmp_path / "raw" / "val" / "ILSVRC2012_val_00000001.JPEG")
    with pytest.raises(DatasetNotFound, match="LOC_val_solution.csv.*ILSVRC2012_validation_ground_truth.txt"):
        P.prepare("imagenet", tmp_path / "raw", tmp_path / "root")


# ----------------------------------------------------------------------------------------------- read in place
def _cifar10(folder, n_train=5, n_test=2):
    folder.mkdir(parents=True)
    for name, n in [(f"data_batch_{i}", n_train) for i in range(1, 6)] + [("test_batch", n_test)]:
        batch = {b"data": np.zeros((n, 3072), dtype=np.uint8), b"labels": [i % 3 for i in range(n)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"a", b"b", b"c"] + [b"x"] * 7}))


def test_cifar_pickles_counted_in_place_and_linked_into_root(tmp_path, monkeypatch):
    _cifar10(tmp_path / "raw" / "cifar-10-batches-py")
    expect(monkeypatch, "cifar10", 3, train=25, test=2)
    result = P.prepare("cifar10", tmp_path / "raw", tmp_path / "root")
    assert result["counts"] == {"train": 25, "test": 2}
    link = tmp_path / "root" / "cifar-10-batches-py"
    assert link.is_symlink() and link.resolve() == (tmp_path / "raw" / "cifar-10-batches-py").resolve()
    assert P.prepare("cifar10", None, tmp_path / "root")["counts"] == {"train": 25, "test": 2}   # in ROOT: as is
    expect(monkeypatch, "cifar10", 3, train=50, test=2)
    with pytest.raises(P.CountMismatch, match="'train' has 25 images, expected 50"):
        P.prepare("cifar10", None, tmp_path / "root")


def test_cifar_jpeg_copy(tmp_path, monkeypatch):
    for split, n in (("train", 3), ("test", 1)):
        for c in ("cat", "dog"):
            for i in range(n):
                jpg(tmp_path / "raw" / "cifar10" / split / c / f"{i}.png")
    expect(monkeypatch, "cifar10", 2, train=6, test=2)
    assert P.prepare("cifar10", tmp_path / "raw", tmp_path / "root")["layout"] == str(tmp_path / "root" / "cifar10")


def _voc(devkit):
    for year, sets in (("VOC2007", {"Main/trainval": ["000001"], "Main/test": ["000002", "000003"]}),
                       ("VOC2012", {"Main/trainval": ["2008_000001"], "Segmentation/train": ["2008_000001"],
                                    "Segmentation/aug": ["2008_000002"], "Segmentation/val": ["2008_000003"]})):
        for list_name, ids in sets.items():
            lines(devkit / year / "ImageSets" / f"{list_name}.txt", ids)
            for i in ids:
                jpg(devkit / year / "JPEGImages" / f"{i}.jpg")
                lines(devkit / year / "Annotations" / f"{i}.xml", ["<annotation/>"])
                masks = "SegmentationClassAug" if "aug" in list_name else "SegmentationClass"
                jpg(devkit / year / masks / f"{i}.png")


def test_voc_detection_and_aug_segmentation(tmp_path, monkeypatch):
    _voc(tmp_path / "raw" / "VOCdevkit")
    expect(monkeypatch, "voc0712", 20, **{"VOC2007 trainval": 1, "VOC2007 test": 2, "VOC2012 trainval": 1})
    expect(monkeypatch, "voc12aug", 21, **{"train+aug": 2, "val": 1})
    assert P.prepare("voc0712", tmp_path / "raw", tmp_path / "root")["counts"]["VOC2007 test"] == 2
    assert P.prepare("voc12aug", tmp_path / "raw", tmp_path / "root")["counts"] == {"train+aug": 2, "val": 1}
    assert (tmp_path / "root" / "VOCdevkit").is_symlink()
    (tmp_path / "raw/VOCdevkit/VOC2007/JPEGImages/000003.jpg").unlink()
    with pytest.raises(DatasetNotFound, match=r"VOC2007/ImageSets/Main/test.txt: 1 listed.*000003\.jpg"):
        P.prepare("voc0712", tmp_path / "raw", tmp_path / "root")


def test_coco(tmp_path, monkeypatch):
    coco = tmp_path / "raw" / "coco"
    for split, n in (("train2017", 2), ("val2017", 1)):
        for i in range(n):
            jpg(coco / split / f"{i:012d}.jpg")
        lines(coco / "annotations" / f"instances_{split}.json",
              [json.dumps({"categories": [{"id": k} for k in (1, 2)]})])
    expect(monkeypatch, "coco", 2, train2017=2, val2017=1)
    assert P.prepare("coco", tmp_path / "raw", tmp_path / "root")["counts"] == {"train2017": 2, "val2017": 1}
    (coco / "annotations" / "instances_train2017.json").unlink()
    with pytest.raises(DatasetNotFound, match="instances_train2017.json"):
        P.prepare("coco", tmp_path / "raw", tmp_path / "root")


# ----------------------------------------------------------------------------------------------- download, CLI
def test_download_goes_through_torchvision(tmp_path, flowers_raw, monkeypatch):
    import torchvision.datasets as tvd
    calls = []

    class FakeFlowers102:
        def __init__(self, root, download=False, **kwargs):
            calls.append((root, download))
            os.symlink(flowers_raw / "flowers-102", os.path.join(root, "flowers-102"))
    monkeypatch.setattr(tvd, "Flowers102", FakeFlowers102)
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    P.prepare("flowers102", tmp_path / "dl", tmp_path / "root", download=True)
    assert calls == [(str(tmp_path / "dl"), True)] and (tmp_path / "root/flowers102/val.txt").is_file()
    with pytest.raises(DatasetNotFound, match="StanfordCars download is broken upstream"):
        P.prepare("cars", tmp_path / "dl", tmp_path / "root", download=True)
    with pytest.raises(DatasetNotFound, match="image-net.org"):
        P.prepare("imagenet", tmp_path / "dl", tmp_path / "root", download=True)


def test_cli(tmp_path, flowers_raw, monkeypatch, capsys):
    expect(monkeypatch, "flowers102", 3, train=3, val=3, test=3)
    args = ["flowers102", "--src", str(flowers_raw), "--out", str(tmp_path / "root")]
    assert P.main(args) == 0
    assert "flowers102" in capsys.readouterr().out
    assert json.loads((tmp_path / "root/flowers102/manifest.json").read_text())["command"].endswith(" ".join(args))
    assert P.main(args) == 2 and "--force" in capsys.readouterr().err
    assert P.main(["pets", "--src", str(tmp_path / "none"), "--out", str(tmp_path / "root")]) == 2
    assert "annotations/trainval.txt" in capsys.readouterr().err
