"""The catalogue of data sets a run can name: one `DatasetSpec` per data set, in a registry.

A spec says what a model needs to know about its data set (class names, input shape, licence)
and how to read it (each split as a batched `tf.data.Dataset`, the training labels for class
weights). `load_splits(name, ...)` looks the spec up and returns the three splits as
`DataSplits`. Adding a data set is one `register_dataset(DatasetSpec(...))` call: nothing
outside `das_keras.data` names the data sets one by one. The MedMNIST3D facts (sets, label
names) are read from `medmnist3d.MEDMNIST3D`, their single source.

Example:
    >>> from das_keras.data import catalog
    >>> catalog.get_dataset("vessel").class_names
    ('vessel', 'aneurysm')
    >>> catalog.get_dataset("medmnist3d:vessel").input_shape(catalog.LoadOptions(size=64))
    (64, 64, 64, 1)
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from das_keras.data.balance import balanced_class_weights
from das_keras.data.busv import BUSV_CLASSES, BUSV_URL, busv, busv_videos
from das_keras.data.medmnist3d import (
    MEDMNIST3D,
    load_medmnist3d_arrays,
    medmnist3d,
    medmnist3d_info,
)
from das_keras.data.pocus import POCUS_CLASSES, POCUS_URL, pocus, pocus_clips
from das_keras.data.synthetic import CLASS_NAMES as SYNTHETIC_CLASSES
from das_keras.data.synthetic import synthetic

SPLITS = ("train", "val", "test")
MEDMNIST3D_SETS = tuple(MEDMNIST3D)
MEDMNIST3D_LICENSE = "CC BY 4.0 (MedMNIST v3)"
MEDMNIST3D_URL = "https://zenodo.org/records/10519652"


@dataclass(frozen=True)
class LoadOptions:
    """How `load_splits` was asked to read a data set; each spec uses the fields it needs.

    Fields: batch_size, seed, data_dir, size (MedMNIST3D: 28 or 64), augment (training split
    only), num_frames and frame_size (clips), download (fetch missing official files).
    """

    batch_size: int = 32
    seed: int = 0
    data_dir: object = None
    size: int = 28
    augment: bool = False
    num_frames: int = 32
    frame_size: int = 64
    download: bool = True


@dataclass(frozen=True)
class DatasetSpec:
    """One data set of the catalogue.

    Attributes:
        name: the name a run gives (`das-keras train --dataset NAME`).
        class_names: tuple of str; label i is `class_names[i]`.
        license: licence of the data, as stored in a preset's metadata.
        load_split: `(split, LoadOptions) -> tf.data.Dataset` of batched (input, label).
        input_shape: `(LoadOptions) -> tuple`, one example's shape (T, H, W, C).
        train_labels: `(LoadOptions) -> sequence of int`, the training labels, or None when
            the data set is balanced by construction (no class weights).
        license_url: where the licence or the data's terms are published.
        aliases: other accepted names (compared case-insensitively).

    Example:
        >>> spec = DatasetSpec("toy", ("a", "b"), "CC0", lambda s, o: None, lambda o: (4, 8, 8, 1))
        >>> spec.num_classes
        2
    """

    name: str
    class_names: tuple
    license: str
    load_split: Callable
    input_shape: Callable
    train_labels: Callable | None = None
    license_url: str = ""
    aliases: tuple = field(default_factory=tuple)

    @property
    def num_classes(self):
        """Number of classes."""
        return len(self.class_names)


@dataclass
class DataSplits:
    """The three splits of a data set as batched `tf.data.Dataset`s, and what a model needs."""

    train: object
    val: object
    test: object
    input_shape: tuple
    num_classes: int
    class_names: list = field(default_factory=list)
    class_weight: dict | None = None


_REGISTRY = {}


def register_dataset(spec, replace=False):
    """Adds a data set to the catalogue, so that `load_splits(spec.name)` reads it.

    Args:
        spec: `DatasetSpec`.
        replace: allow replacing a data set of the same name (or alias).

    Returns:
        `spec`.

    Example:
        >>> spec = DatasetSpec("toy", ("a", "b"), "CC0", lambda s, o: None, lambda o: (1, 1, 1, 1))
        >>> register_dataset(spec) is spec and unregister_dataset("toy") is spec
        True
    """
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"`spec` must be a DatasetSpec; received {type(spec).__name__}.")
    taken = [n for n in (spec.name, *spec.aliases) if _key(n) in _lookup_table()]
    if taken and not replace:
        raise ValueError(
            f"`spec` names {taken} already in the catalogue; pass replace=True to replace them."
        )
    for name in taken:
        _REGISTRY.pop(_lookup_table()[_key(name)].name, None)
    _REGISTRY[spec.name] = spec
    return spec


def unregister_dataset(name):
    """Removes a data set from the catalogue and returns its spec (see `register_dataset`)."""
    return _REGISTRY.pop(get_dataset(name).name)


def dataset_names():
    """The names of the data sets in the catalogue, in registration order (a tuple)."""
    return tuple(_REGISTRY)


def get_dataset(dataset):
    """The `DatasetSpec` of a data set, by name or alias.

    Args:
        dataset: name ("vessel"), or an alias ("medmnist3d:vessel", "VesselMNIST3D").

    Returns:
        `DatasetSpec`.

    Raises:
        ValueError: the name is not in the catalogue (the message lists the names).

    Example:
        >>> get_dataset("medmnist3d:adrenal").name
        'adrenal'
    """
    return _spec(dataset, "dataset")


def load_splits(
    dataset,
    batch_size=32,
    seed=0,
    data_dir=None,
    size=28,
    augment=False,
    num_frames=32,
    frame_size=64,
):
    """Loads train / val / test of a data set by name.

    Args:
        dataset: "synthetic"; a MedMNIST3D set ("vessel", "adrenal", ..., also written
            "medmnist3d:vessel"); "pocus" (lung-ultrasound clips, patient-grouped splits) or
            "busv" (breast-ultrasound videos; its "test" is the published val split); or any
            name added with `register_dataset`.
        batch_size: batch size of all three splits.
        seed: seed for shuffling and augmentation (data splits themselves are fixed).
        data_dir: MedMNIST3D folder, or the POCUS / BUSV root; default `$DAS_KERAS_DATA` or
            ~/.das_keras/datasets.
        size: MedMNIST3D size, 28 or 64.
        augment: augment the training split: random flips / 90-degree turns (MedMNIST3D);
            left-right flips, brightness and contrast (pocus, busv clips).
        num_frames: T for clips (POCUS, BUSV).
        frame_size: height and width of clip frames (POCUS, BUSV).

    Returns:
        `DataSplits` (class weights: balanced, from the training labels, where the spec has
        them).

    Shapes:
        each split yields (B, T, H, W, C) inputs with (T, H, W, C) = `input_shape`, labels (B,).

    Example:
        >>> splits = load_splits("synthetic", batch_size=8)  # doctest: +SKIP
        >>> splits.input_shape, splits.num_classes  # doctest: +SKIP
        ((32, 32, 32, 1), 2)
    """
    spec = get_dataset(dataset)
    options = LoadOptions(batch_size, seed, data_dir, size, augment, num_frames, frame_size)
    shape = spec.input_shape(options)  # validates the size before any file is read
    train, val, test = (spec.load_split(split, options) for split in SPLITS)
    return DataSplits(
        train,
        val,
        test,
        input_shape=shape,
        num_classes=spec.num_classes,
        class_names=list(spec.class_names),
        class_weight=_class_weight(spec, options),
    )


def class_weights(name, size=28, data_dir=None, download=True):
    """Balanced class weights of a data set's training split, for `model.fit(class_weight=...)`.

    weight[c] = N / (num_classes_present * count[c]) (scikit-learn's "balanced" rule).

    Args:
        name: a data set of the catalogue (see `get_dataset`; the parameter keeps the name it
            had when this function covered MedMNIST3D only).
        size: MedMNIST3D size, 28 or 64.
        data_dir: data folder, or None for the default.
        download: fetch a missing official file (MedMNIST3D).

    Returns:
        dict {class index (int): weight (float)} for the classes present in the train split,
        or None for a data set balanced by construction ("synthetic").

    Example:
        >>> class_weights("vessel")  # doctest: +SKIP
        {0: 0.563..., 1: 4.45}
    """
    options = LoadOptions(data_dir=data_dir, size=size, download=download)
    return _class_weight(_spec(name, "name"), options)


def dataset_license(dataset):
    """The licence text of a data set (stored in the metadata of a preset trained on it).

    Example:
        >>> dataset_license("medmnist3d:vessel")
        'CC BY 4.0 (MedMNIST v3)'
    """
    return get_dataset(dataset).license


def _class_weight(spec, options):
    if spec.train_labels is None:
        return None
    return balanced_class_weights(spec.train_labels(options))


def _spec(value, argument):
    spec = _lookup_table().get(_key(value)) if isinstance(value, str) else None
    if spec is None:
        raise ValueError(
            f"`{argument}` must be one of {dataset_names()}; received {argument}={value!r}."
        )
    return spec


def _key(name):
    return name.strip().lower() if isinstance(name, str) else name


def _lookup_table():
    return {_key(n): s for s in _REGISTRY.values() for n in (s.name, *s.aliases)}


# -- the built-in data sets ----------------------------------------------------------------


def _synthetic_split(split, options):
    return synthetic(split, batch_size=options.batch_size, seed=options.seed)


def _medmnist3d_spec(name):
    def load_split(split, options):
        return medmnist3d(
            name,
            split,
            size=options.size,
            data_dir=options.data_dir,
            batch_size=options.batch_size,
            seed=options.seed,
            augment=options.augment and split == "train",
            download=options.download,
        )

    def train_labels(options):
        return load_medmnist3d_arrays(
            name, "train", options.size, options.data_dir, options.download
        )[1]

    return DatasetSpec(
        name=name,
        class_names=tuple(MEDMNIST3D[name]["label_names"]),
        license=MEDMNIST3D_LICENSE,
        load_split=load_split,
        input_shape=lambda options: (medmnist3d_info(name, options.size)["size"],) * 3 + (1,),
        train_labels=train_labels,
        license_url=MEDMNIST3D_URL,
        aliases=(f"{name}mnist3d", f"medmnist3d:{name}", f"medmnist3d:{name}mnist3d"),
    )


def _clip_shape(options):
    return (options.num_frames, options.frame_size, options.frame_size, 1)


def _clip_options(split, options):
    return {
        "num_frames": options.num_frames,
        "size": (options.frame_size, options.frame_size),
        "batch_size": options.batch_size,
        "augment": options.augment and split == "train",
    }


def _pocus_split(split, options):
    # seed=0 for every run: it fixes the patient-grouped split, and with it the shuffling and
    # augmentation streams; the run's seed still varies the weights and the sampler noise
    return pocus(options.data_dir, split, seed=0, **_clip_options(split, options))


def _busv_split(split, options):
    return busv(options.data_dir, split, seed=options.seed, **_clip_options(split, options))


register_dataset(
    DatasetSpec(
        name="synthetic",
        class_names=tuple(SYNTHETIC_CLASSES),
        license="Apache-2.0 (generated data)",
        load_split=_synthetic_split,
        input_shape=lambda options: (32, 32, 32, 1),
    )
)
for _name in MEDMNIST3D_SETS:
    register_dataset(_medmnist3d_spec(_name))
register_dataset(
    DatasetSpec(
        name="pocus",
        class_names=POCUS_CLASSES,
        license=(
            "Non-commercial research use only: trained on POCUS clips that are mostly "
            "CC BY-NC 4.0 / CC BY-NC-SA (see the data set's dataset_metadata.csv for each "
            "clip's license)."
        ),
        load_split=_pocus_split,
        input_shape=_clip_shape,
        train_labels=lambda o: [c.label for c in pocus_clips(o.data_dir, "train", seed=0)],
        license_url=POCUS_URL,
    )
)
register_dataset(
    DatasetSpec(
        name="busv",
        class_names=BUSV_CLASSES,
        license="Non-commercial research use only (BUSV data terms; see its repository).",
        load_split=_busv_split,
        input_shape=_clip_shape,
        train_labels=lambda o: [label for _, label in busv_videos(o.data_dir, "train")],
        license_url=BUSV_URL,
    )
)
del _name

# the built-in names (`dataset_names()` also lists data sets registered later)
DATASETS = dataset_names()
DATASET_LICENSES = {name: _REGISTRY[name].license for name in DATASETS}

__all__ = [
    "DATASETS",
    "DATASET_LICENSES",
    "MEDMNIST3D_LICENSE",
    "MEDMNIST3D_SETS",
    "DataSplits",
    "DatasetSpec",
    "LoadOptions",
    "class_weights",
    "dataset_license",
    "dataset_names",
    "get_dataset",
    "load_splits",
    "register_dataset",
    "unregister_dataset",
]
