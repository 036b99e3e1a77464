"""MedMNIST v3 3D sets (organ, nodule, adrenal, fracture, vessel, synapse) from the official files.

The official `.npz` files (Zenodo record 10519652) are MD5-verified on every load; a missing file
is looked for where `medmnist` keeps its downloads (`~/.medmnist`), then downloaded from the
official URL, or, offline, reported with everything needed to fetch it by hand (see
`medmnist_files`). Files are read through `tf.io.gfile`, so the data folder may be a gs:// URL.
`load_medmnist3d_arrays` is the one reading code path (the TFDS builder reuses it); `medmnist3d`
wraps it in a `tf.data` pipeline.
"""

import warnings

import numpy as np
import tensorflow as tf

from das_keras.checks import check_choice, check_positive_int
from das_keras.data import transforms
from das_keras.data.balance import balanced_class_weights
from das_keras.data.medmnist_files import (
    MEDMNIST_ROOT,
    ChecksumError,
    download_official,
    find_medmnist3d_file,
    medmnist3d_search_folders,
    not_found,
    verify_md5,
)

URL_PATTERN = "https://zenodo.org/records/10519652/files/{filename}?download=1"
SIZES = (28, 64)
SPLITS = ("train", "val", "test")

# Copied from MedMNIST/MedMNIST medmnist/info.py @ 3bb56be6 (v3, Zenodo record 10519652): the
# package must not depend on `medmnist` (it drags torch in). One table per fact, gathered into
# `MEDMNIST3D` below; tests replace the sums there to load generated files through the same code.
_LABEL_NAMES = {
    "organ": (
        "liver",
        "kidney-right",
        "kidney-left",
        "femur-right",
        "femur-left",
        "bladder",
        "heart",
        "lung-right",
        "lung-left",
        "spleen",
        "pancreas",
    ),
    "nodule": ("benign", "malignant"),
    "adrenal": ("normal", "hyperplasia"),
    "fracture": ("buckle rib fracture", "nondisplaced rib fracture", "displaced rib fracture"),
    "vessel": ("vessel", "aneurysm"),
    "synapse": ("inhibitory synapse", "excitatory synapse"),
}
_SPLIT_SIZES = {  # official (train, val, test) sizes
    "organ": (971, 161, 610),
    "nodule": (1158, 165, 310),
    "adrenal": (1188, 98, 298),
    "fracture": (1027, 103, 240),
    "vessel": (1335, 191, 382),
    "synapse": (1230, 177, 352),
}
_MD5 = {  # MD5 of the official files of size 28 and 64
    "organ": ("a0c5a1ff56af4f155c46d46fbb45a2fe", "58a2205adf14a9d0a189cb06dc78bf10"),
    "nodule": ("8755a7e9e05a4d9ce80a24c3e7a256f3", "c47c5b7d457bf6332200d2ea6d64ecd8"),
    "adrenal": ("bbd3c5a5576322bc4cdfea780653b1ce", "17721accfe9fb005146a47d33bc54b2f"),
    "fracture": ("6aa7b0143a6b42da40027a9dda61302f", "f01d7e6316aedf4210da0da5b7437b42"),
    "vessel": ("b41fd4f7e7e2feedddb201585ecafa1b", "6bb274a8846e1097066dcd64e2c4520f"),
    "synapse": ("1235b78a3cd6280881dd7850a78eadb6", "43bd14ebf3af9d3dd072446fedc14d5e"),
}
# set -> {"label_names": tuple, "n_samples": {split: int}, "md5": {size: str}}
MEDMNIST3D = {
    name: {
        "label_names": labels,
        "n_samples": dict(zip(SPLITS, _SPLIT_SIZES[name], strict=True)),
        "md5": dict(zip(SIZES, _MD5[name], strict=True)),
    }
    for name, labels in _LABEL_NAMES.items()
}

# OrganMNIST3D has left/right classes; mirror flips and 180-degree turns swap their meaning.
_CHIRAL_SETS = ("organ",)


def medmnist3d_info(name, size=28):
    """Facts about one MedMNIST3D set: labels, split sizes, official file, URL and MD5.

    Args:
        name: "organ", "nodule", "adrenal", "fracture", "vessel" or "synapse"; the official
            names ("vesselmnist3d", "VesselMNIST3D") are accepted too.
        size: 28 or 64 (voxels per side).

    Returns:
        dict with "name" (short name), "label_names" (tuple), "num_classes", "n_samples"
        ({"train", "val", "test"} -> int, official split sizes), "filename", "url", "md5", "size".

    Example:
        >>> info = medmnist3d_info("vesselmnist3d")
        >>> info["filename"], info["num_classes"], info["n_samples"]["train"]
        ('vesselmnist3d.npz', 2, 1335)
    """
    key = canonical_name(name)
    size = _check_size(size)
    entry = MEDMNIST3D[key]
    filename = f"{key}mnist3d.npz" if size == 28 else f"{key}mnist3d_{size}.npz"
    return {
        "name": key,
        "size": size,
        "label_names": tuple(entry["label_names"]),
        "num_classes": len(entry["label_names"]),
        "n_samples": dict(entry["n_samples"]),
        "filename": filename,
        "url": URL_PATTERN.format(filename=filename),
        "md5": entry["md5"][size],
    }


def canonical_name(name):
    """The short set name ("vessel") for any accepted spelling ("VesselMNIST3D", "vesselmnist3d").

    Args:
        name: str.

    Returns:
        str, a key of `MEDMNIST3D`.

    Example:
        >>> canonical_name("OrganMNIST3D")
        'organ'
    """
    if isinstance(name, str):
        key = name.strip().lower()
        key = key.removesuffix("mnist3d")
        if key in MEDMNIST3D:
            return key
    raise ValueError(
        f"`name` must be one of {tuple(MEDMNIST3D)} (or the official name, e.g. "
        f"'vesselmnist3d'); received name={name!r}."
    )


def medmnist3d_path(name, size=28, data_dir=None, download=True):
    """Path of the verified official file, downloading it first when it is missing.

    Looks for the file in `medmnist3d_search_folders(data_dir)`, in order: the data folder
    (argument, else `$DAS_KERAS_DATA`, else `~/.das_keras/datasets`), its `medmnist3d/`
    subfolder, then `~/.medmnist` (medmnist's own download folder). Only then is it downloaded,
    into the data folder. The MD5 is checked on every call; the result is remembered per
    (path, mtime, size), so only the first call hashes.

    Args:
        name: set name, see `medmnist3d_info`.
        size: 28 or 64.
        data_dir: data folder (local, or a `tf.io.gfile` URL such as gs://bucket/data), or
            None for the default.
        download: fetch a missing file from the official URL with `keras.utils.get_file`
            (into a local data folder only).

    Returns:
        `pathlib.Path` of the verified file (str when it is a URL).

    Raises:
        DatasetNotFoundError: the file is absent and `download` is False or the download failed.
        ChecksumError: the file's MD5 is not the official one.

    Example:
        >>> path = medmnist3d_path("vessel", data_dir="~/data")  # doctest: +SKIP
    """
    info = medmnist3d_info(name, size)
    folders = medmnist3d_search_folders(data_dir)
    path = find_medmnist3d_file(info["filename"], folders)
    if path is None:
        if not download:
            raise not_found(info, folders, "download=False")
        path = download_official(info, folders)
    verify_md5(path, info["md5"], info["url"])
    return path


def load_medmnist3d_arrays(name, split, size=28, data_dir=None, download=True):
    """The raw images and labels of one split, from the verified official file.

    Args:
        name: set name, see `medmnist3d_info`.
        split: "train", "val" or "test".
        size: 28 or 64.
        data_dir: data folder, or None for the default (see `medmnist3d_path`).
        download: fetch the file when it is missing.

    Returns:
        (images, labels): images uint8 NumPy array, labels int32 NumPy array.

    Shapes:
        images (N, D, H, W) with D = H = W = size; labels (N,).

    Example:
        >>> x, y = load_medmnist3d_arrays("vessel", "val")  # doctest: +SKIP
        >>> x.shape, y.shape  # doctest: +SKIP
        ((191, 28, 28, 28), (191,))
    """
    split = check_choice(split, "split", SPLITS)
    path = medmnist3d_path(name, size, data_dir, download)
    # through tf.io.gfile, so gs:// and other TensorFlow file systems work
    with tf.io.gfile.GFile(str(path), "rb") as handle, np.load(handle) as archive:
        missing = [k for k in (f"{split}_images", f"{split}_labels") if k not in archive.files]
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing}; found {archive.files}.")
        images = archive[f"{split}_images"]
        labels = archive[f"{split}_labels"]
    if images.ndim != 4 or len(labels) != len(images):
        raise ValueError(
            f"{path}: expected {split}_images of shape (N, D, H, W) and N labels; "
            f"got images {images.shape} and labels {labels.shape}."
        )
    return images.astype("uint8", copy=False), labels.reshape(len(labels)).astype("int32")


def medmnist3d(
    name,
    split,
    *,
    size=28,
    data_dir=None,
    batch_size=None,
    shuffle=None,
    seed=None,
    augment=False,
    cache=True,
    prefetch=True,
    axis=0,
    download=True,
):
    """One split of a MedMNIST3D set as a `tf.data.Dataset` of (volume, label).

    Pipeline: verified arrays -> move `axis` to the front -> (cache) -> (shuffle) -> scale to
    [0, 1] -> (augment) -> (batch) -> (prefetch).

    Args:
        name: "organ", "nodule", "adrenal", "fracture", "vessel" or "synapse" (or official name).
        split: "train", "val" or "test".
        size: 28 or 64.
        data_dir: data folder; default `$DAS_KERAS_DATA`, else `~/.das_keras/datasets` (see
            `medmnist3d_path` for every folder searched).
        batch_size: batch the data set when given (int >= 1).
        shuffle: reshuffle every epoch; default True for "train" only.
        seed: int seed for shuffling and augmentation (None: not reproducible).
        augment: random flips along each axis and 90-degree turns in the (H, W) plane
            (`transforms.random_flip_rotate`). For "organ" (left/right classes) this warns.
        cache: keep the (uint8, transposed) volumes in memory after the first epoch.
        prefetch: overlap input and training with `prefetch(AUTOTUNE)`.
        axis: volume axis read as the slice sequence T (0: depth, 1: height, 2: width).
        download: fetch the official file when it is missing.

    Returns:
        `tf.data.Dataset` of (volume, label), with the official label names as its
        `class_names` attribute (a list, as Keras's `image_dataset_from_directory`).

    Shapes:
        volume float32 (T, H, W, 1) in [0, 1] (T = H = W = size), label int32 ();
        with `batch_size` B: (B, T, H, W, 1) and (B,).

    Example:
        >>> ds = medmnist3d("vessel", "train", batch_size=32, augment=True)  # doctest: +SKIP
        >>> x, y = next(iter(ds)); x.shape  # doctest: +SKIP
        TensorShape([32, 28, 28, 28, 1])
    """
    key = canonical_name(name)
    axis = transforms.check_axis(axis)
    check_positive_int(batch_size, "batch_size", allow_none=True)
    check_positive_int(seed, "seed", minimum=0, allow_none=True)
    images, labels = load_medmnist3d_arrays(key, split, size, data_dir, download)
    if augment and key in _CHIRAL_SETS:
        warnings.warn(
            f"augment=True on {key}mnist3d: its classes include left/right organs, and mirror "
            "flips or 180-degree turns swap them. Check that the transforms suit your task.",
            stacklevel=2,
        )
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.map(lambda x, y: (transforms.move_axis_to_time(x, axis)[..., None], y))
    if cache:
        ds = ds.cache()
    if shuffle if shuffle is not None else split == "train":
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda x, y: (transforms.to_unit_float(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        ds = _augment(ds, seed)
    if batch_size:
        ds = ds.batch(batch_size)
    ds = ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds
    ds.class_names = list(MEDMNIST3D[key]["label_names"])
    return ds


def class_weights(name, size=28, data_dir=None, download=True):
    """Balanced class weights of a set's train split (kept for one release: use
    `das_keras.data.class_weights`, the catalogue's, which covers every data set).

    Example:
        >>> class_weights("vessel")  # doctest: +SKIP
        {0: 0.563..., 1: 4.45}
    """
    _, labels = load_medmnist3d_arrays(name, "train", size, data_dir, download)
    return balanced_class_weights(labels)


def _augment(ds, seed):
    # one independent (2,) stateless seed per element; a new stream each epoch, reproducible
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip((ds, seeds))
    return ds.map(
        lambda xy, s: (transforms.random_flip_rotate(xy[0], s), xy[1]),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def _check_size(size):
    if isinstance(size, bool):  # True == 1: not a size, whatever `in` says
        raise ValueError(f"`size` must be one of {SIZES}; received size={size!r}.")
    return int(check_choice(size, "size", SIZES))


__all__ = [
    "ChecksumError",
    "MEDMNIST3D",
    "MEDMNIST_ROOT",
    "canonical_name",
    "class_weights",
    "find_medmnist3d_file",
    "load_medmnist3d_arrays",
    "medmnist3d",
    "medmnist3d_info",
    "medmnist3d_path",
    "medmnist3d_search_folders",
    "verify_md5",
]
