"""Datasets: the bundled iBean images, a class-per-folder loader for the user's images, and
procedural leaf images for quick tests.

Nothing is downloaded. ``load_ibean()`` reads the package's ``data/ibean32.npz`` (see
``data/NOTICE.md`` for provenance and the MIT licence); ``load_ibean(path=...)`` reads any npz with the
same arrays (e.g. the 64 x 64 copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from agri_dl.images import as_rgb_uint8
from core_utils import InputError

__all__ = ["ImageDataset", "load_ibean", "load_image_folder", "synth_leaves", "DATASETS", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImageDataset:
    """Images (N, H, W, 3) uint8, integer labels (N,), class names, and a train/test split mask."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    is_test: np.ndarray
    name: str
    ids: tuple[str, ...] = ()

    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[~self.is_test], self.labels[~self.is_test]

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[self.is_test], self.labels[self.is_test]


def load_ibean(path: str | Path | None = None) -> ImageDataset:
    """iBean bean-leaf disease photos with the official split (train = train + validation: 1167, test: 128).

    Classes: angular_leaf_spot, bean_rust, healthy. Bundled at 32 x 32 (2 x 2 block means of the 64 x 64
    Lanczos downscale of the 500 x 500 originals).
    """
    if path is None:
        ref = resources.files("agri_dl") / "data" / "ibean32.npz"
        with resources.as_file(ref) as p:
            return load_ibean(p)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"iBean file {path} does not exist")
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in ("images", "labels", "class_names", "split") if k not in z.files]
        if missing:
            raise InputError(f"{path.name} lacks array(s) {missing}")
        ids = tuple(z["filenames"].tolist()) if "filenames" in z.files else ()
        return ImageDataset(
            images=z["images"],
            labels=z["labels"].astype(int),
            class_names=tuple(z["class_names"].tolist()),
            is_test=z["split"] == "test",
            name="ibean",
            ids=ids,
        )


def load_image_folder(root: str | Path, *, size: int | None = 32) -> ImageDataset:
    """Class-per-folder images (``root/<class>/<image>``), resized to ``size x size`` (Pillow, Lanczos).

    Optional ``root/train`` and ``root/test`` sub-folders give the split; otherwise every image is
    training data. Grey and RGBA images are converted to RGB. Empty class folders and unreadable files
    raise :class:`InputError`.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    if not root.is_dir():
        raise InputError(f"image folder {root} does not exist")
    splits = [("train", root / "train"), ("test", root / "test")]
    if not all(p.is_dir() for _, p in splits):
        splits = [("train", root)]
    classes = sorted({c.name for _, p in splits for c in p.iterdir() if c.is_dir()})
    if len(classes) < 2:
        raise InputError(f"{root} must hold at least 2 class folders, found {classes}")
    imgs, labels, test, ids = [], [], [], []
    for split, base in splits:
        for k, cname in enumerate(classes):
            folder = base / cname
            files = (
                sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
                if folder.is_dir()
                else []
            )
            if not files and split == "train":
                raise InputError(f"class folder {folder} has no images ({', '.join(IMAGE_SUFFIXES)})")
            for f in files:
                try:
                    with Image.open(f) as im:
                        im = im.convert("RGB")
                        if size is not None:
                            im = im.resize((size, size), Image.Resampling.LANCZOS)
                        arr = np.asarray(im)
                except (UnidentifiedImageError, OSError) as exc:
                    raise InputError(f"cannot read image {f}: {exc}") from None
                imgs.append(as_rgb_uint8(arr, name=str(f)))
                labels.append(k)
                test.append(split == "test")
                ids.append(str(f.relative_to(root)))
    if len({im.shape for im in imgs}) != 1:
        raise InputError("images have different sizes; pass size=N to resize them")
    return ImageDataset(
        np.stack(imgs), np.array(labels), tuple(classes), np.array(test), root.name, tuple(ids)
    )


def synth_leaves(n: int = 300, size: int = 32, seed: int = 0, test_fraction: float = 0.25) -> ImageDataset:
    """Procedural leaf images, 3 classes designed so that colour statistics do not separate them.

    Every image is a green elliptical leaf on a brown soil background with the same number of
    brown lesion pixels; the classes differ only in the *spatial arrangement* of the lesions:
    ``scattered`` (random spots), ``edge`` (lesions along the leaf margin), ``vein`` (lesions along the
    midrib). A colour histogram is (nearly) uninformative by construction; shape/texture features and
    CNNs can separate them (the designed gap of the spec, Sec. 3).
    """
    if n < 3:
        raise InputError(f"n must be >= 3 (one image per class), got {n}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    imgs, labels = [], []
    for i in range(n):
        k = i % 3
        cx, cy = size / 2 + rng.normal(0, 1), size / 2 + rng.normal(0, 1)
        a, b = size * rng.uniform(0.38, 0.45), size * rng.uniform(0.22, 0.28)
        th = rng.uniform(0, np.pi)
        u = ((xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)) / a
        v = (-(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)) / b
        r = np.sqrt(u**2 + v**2)
        leaf = r <= 1.0
        img = np.empty((size, size, 3))
        img[:] = [110, 80, 50]
        img += rng.normal(0, 8, img.shape)
        green = np.array([60, 150, 50]) * rng.uniform(0.9, 1.1)
        img[leaf] = green + rng.normal(0, 8, (leaf.sum(), 3))
        if k == 0:
            cand = leaf & (r < 0.85)
        elif k == 1:
            cand = leaf & (r > 0.8)
        else:
            cand = leaf & (np.abs(v) < 0.18)
        idx = np.flatnonzero(cand.ravel())
        m = min(len(idx), int(0.08 * leaf.sum()))
        if k == 0:
            # spots: 4-6 small discs
            lesion = np.zeros_like(leaf)
            centers = rng.choice(idx, size=6, replace=False)
            for c in centers:
                y0, x0 = divmod(int(c), size)
                lesion |= ((yy - y0) ** 2 + (xx - x0) ** 2 <= 2.2) & leaf
        else:
            lesion = np.zeros(size * size, dtype=bool)
            lesion[rng.choice(idx, size=m, replace=False)] = True
            lesion = lesion.reshape(size, size)
        img[lesion] = np.array([120, 85, 45]) + rng.normal(0, 8, (lesion.sum(), 3))
        imgs.append(np.clip(img, 0, 255).astype(np.uint8))
        labels.append(k)
    labels = np.array(labels)
    is_test = rng.random(n) < test_fraction
    return ImageDataset(np.stack(imgs), labels, ("scattered", "edge", "vein"), is_test, "synth-leaves")


DATASETS = {
    "ibean": "iBean bean-leaf disease photos (Makerere AI Lab, MIT), 1295 images, 3 classes, official split, 32x32",
    "synth-leaves": "procedural leaves, 3 lesion-arrangement classes, colour statistics matched by design",
}
