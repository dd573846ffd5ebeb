"""CIFAR-10 in memory (pretrain/datasets/cifar.py, pretrain/datasets/in_memory.py) from tiny fakes of both on-disk formats:
the python pickles torchvision downloads, and the JPEG copy's ImageFolder, packed or extracted."""
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from pretrain.datasets import cifar
from pretrain.datasets.cifar import load_cifar10

PER_BATCH = 6


def fake_arrays(split: str, n: int):
    rng = np.random.default_rng({"train": 0, "test": 1}[split])
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n)


def write_pickles(folder):
    folder.mkdir(parents=True)
    for split, names in cifar.PICKLE_FILES.items():
        images, labels = fake_arrays(split, PER_BATCH * len(names))
        for i, name in enumerate(names):
            part = slice(i * PER_BATCH, (i + 1) * PER_BATCH)
            batch = {b"data": images[part].transpose(0, 3, 1, 2).reshape(PER_BATCH, -1),
                     b"labels": [int(v) for v in labels[part]], b"batch_label": b"fake"}
            (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {b"label_names": [n.encode() for n in cifar.CIFAR10_CLASSES]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))


def write_image_folder(folder):
    for split, n in (("train", 8), ("test", 4)):
        images, labels = fake_arrays(split, n)
        for i, (image, label) in enumerate(zip(images, labels)):
            path = folder / split / cifar.CIFAR10_CLASSES[label] / f"{i:04d}.png"  # PNG: lossless, exact pixels
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(path)


def expected(split, n):
    """What the ImageFolder fakes hold, in the reader's order: by class name, then file name."""
    images, labels = fake_arrays(split, n)
    order = sorted(range(n), key=lambda i: (cifar.CIFAR10_CLASSES[labels[i]], i))
    return images[order], labels[order]


@pytest.fixture(autouse=True)
def fresh_memo():
    load_cifar10.cache_clear()
    yield
    load_cifar10.cache_clear()


def test_python_pickles_are_read_and_cached(tmp_path):
    root = tmp_path / "cifar10"
    write_pickles(root / cifar.PICKLE_FOLDER)
    with pytest.warns(UserWarning, match="split has"):  # 30 images, not 50,000
        splits = load_cifar10(root)
    images, labels = fake_arrays("train", PER_BATCH * 5)
    np.testing.assert_array_equal(splits["train"].images, images)
    np.testing.assert_array_equal(splits["train"].labels, labels)
    assert splits["test"].images.shape == (PER_BATCH, 32, 32, 3)
    assert splits["train"].classes == cifar.CIFAR10_CLASSES
    assert (root / cifar.CACHE_NAME).is_file()
    load_cifar10.cache_clear()
    cached = load_cifar10(root)
    assert "cached in" in cached["train"].source
    np.testing.assert_array_equal(cached["train"].images, images)
    assert cached["train"].sha256 == splits["train"].sha256


def test_the_unpickler_refuses_objects(tmp_path):
    root = tmp_path / "cifar10"
    write_pickles(root / cifar.PICKLE_FOLDER)
    (root / cifar.PICKLE_FOLDER / "data_batch_1").write_bytes(pickle.dumps({b"data": os.system}))
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        load_cifar10(root)


def test_tarball_beside_the_data_root_is_decoded_and_cached_in_it(tmp_path):
    staging = tmp_path / "staging" / cifar.IMAGEFOLDER_NAME
    write_image_folder(staging)
    shared = tmp_path / "shared"
    shared.mkdir()
    with tarfile.open(shared / cifar.TARBALL_NAME, "w:gz") as tar:
        tar.add(staging, arcname=cifar.IMAGEFOLDER_NAME)
    root = shared / "cifar10"  # what --data-root shared makes of the config's data/cifar10
    with pytest.warns(UserWarning, match="split has"):  # 8 images, not 50,000
        splits = load_cifar10(root)
    images, labels = expected("train", 8)
    np.testing.assert_array_equal(splits["train"].images, images)
    np.testing.assert_array_equal(splits["train"].labels, labels)
    assert (root / cifar.CACHE_NAME).is_file()


def test_extracted_image_folder_and_the_datasets(tmp_path):
    write_image_folder(tmp_path / "cifar10" / cifar.IMAGEFOLDER_NAME)
    with pytest.warns(UserWarning):
        from pretrain.datasets.in_memory import InMemoryEval, InMemoryMultiView
        bank = InMemoryEval(tmp_path / "cifar10", split="test")
    images, labels = expected("test", 4)
    batch = bank.__getitems__([0, 1, 2, 3])
    torch.testing.assert_close(batch["inputs"], torch.from_numpy(images).permute(0, 3, 1, 2))
    assert batch["data_samples"].tolist() == labels.tolist()
    train = InMemoryMultiView(tmp_path / "cifar10", views=["original", "crop", "crop"], size=32)
    assert bank.metainfo["sha256"] and train.metainfo["size"] == 8
    views = train.__getitems__([(0, 3), (5, 3)])["inputs"]
    assert len(views) == 3 and all(v.shape == (2, 3, 32, 32) and v.dtype == torch.uint8 for v in views)


def test_missing_data_says_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cifar-10-batches-py.*cifar10-jpeg\.tar\.gz"):
        load_cifar10(tmp_path / "cifar10")


def test_images_of_different_sizes_are_an_error_naming_one(tmp_path):
    folder = tmp_path / "cifar10"
    write_image_folder(folder)
    (folder / "test" / "cat").mkdir(exist_ok=True)
    Image.new("RGB", (16, 16)).save(folder / "test" / "cat" / "odd.png")
    with pytest.raises(ValueError, match="odd.png"):
        load_cifar10(folder)


def test_val_is_ten_percent_of_each_training_class_held_out_and_never_trained_on(tmp_path):
    """`val` / `train_minus_val` (the sweep selects on them): disjoint, together the training split, 10 % of each
    class (the prepared val splits' rule), the same images through every dataset that reads CIFAR-10."""
    from downstream.datasets import CifarDataset
    from pretrain.datasets.in_memory import InMemoryEval, InMemoryMultiView

    rng = np.random.default_rng(3)
    train = (rng.integers(0, 256, (200, 32, 32, 3), dtype=np.uint8), np.repeat(np.arange(10), 20))
    test = fake_arrays("test", 10)
    root = tmp_path / "cifar10"
    cifar.write_cache(root / cifar.CACHE_NAME, {"train": train, "test": test}, cifar.CIFAR10_CLASSES, "fake")
    arrays = load_cifar10(root)
    val, rest = cifar.select_split(arrays, "val"), cifar.select_split(arrays, "train_minus_val")
    assert np.bincount(val.labels).tolist() == [2] * 10 and len(rest.labels) == 180
    pixels = lambda a: {image.tobytes() for image in a.images}  # noqa: E731 (the fake's images are all distinct)
    assert not pixels(val) & pixels(rest) and pixels(val) | pixels(rest) == {i.tobytes() for i in train[0]}
    assert cifar.select_split(arrays, "val").sha256 == val.sha256 != arrays["train"].sha256  # deterministic
    with pytest.raises(ValueError, match="expected one of train, test, val, train_minus_val"):
        cifar.select_split(arrays, "validation")
    assert np.array_equal(CifarDataset(str(root), split="val").array, val.images)
    assert torch.equal(InMemoryEval(root, split="val").images, torch.from_numpy(val.images).permute(0, 3, 1, 2))
    assert len(InMemoryMultiView(root, split="train_minus_val")) == 180
