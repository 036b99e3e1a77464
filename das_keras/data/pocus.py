"""POCUS lung-ultrasound clips (covid / pneumonia / regular) in the source repository's layout."""

import warnings
from pathlib import Path

from das_keras.data.clip_pipeline import split_dataset
from das_keras.data.clip_table import video_folder_clips
from das_keras.data.paths import DatasetNotFoundError, data_root

POCUS_CLASSES = ("covid", "pneumonia", "regular")
POCUS_PREFIXES = {"Cov": "covid", "Pneu": "pneumonia", "pneu": "pneumonia", "Reg": "regular"}
# viral pneumonia (too few clips) and the clip whose label the authors left open
POCUS_EXCLUDE = ("Vir*", "label_uncertain")
POCUS_URL = "https://github.com/jannisborn/covid19_ultrasound"
POCUS_GROUP_COLUMN = "Patient ID / Name"
POCUS_KEY_COLUMN = "Filename"


def pocus_clips(
    root=None, split=None, *, exclude=POCUS_EXCLUDE, split_fractions=(0.7, 0.15, 0.15), seed=0
):
    """The POCUS lung-ultrasound clips as a table, grouped by patient.

    Layout (as in the source repository's `data/` folder): `root/pocus_videos/{convex,linear}/`
    with the clips and `root/dataset_metadata.csv`; `root` may also be the `pocus_videos`
    folder itself. Classes come from the file-name prefix (Cov -> covid, Pneu/pneu ->
    pneumonia, Reg -> regular); Vir* clips and `label_uncertain/` are excluded by default.
    Patients come from the CSV column "Patient ID / Name" (matched on "Filename", the file
    name without extension); clips without one form their own group.

    Args:
        root: data folder; default `<data folder>/pocus` (see `paths.data_root`).
        split: None (all clips) or "train" / "val" / "test" (patient-grouped, see
            `assign_splits`).
        exclude: glob patterns of clips to leave out.
        split_fractions: (train, val, test) fractions.
        seed: split seed.

    Returns:
        list of `Clip`; labels index `POCUS_CLASSES`.

    Example:
        >>> rows = pocus_clips("covid19_ultrasound/data")  # doctest: +SKIP
        >>> len(rows)  # doctest: +SKIP
        125
    """
    videos, metadata = _pocus_folders(root)
    if metadata is None:
        warnings.warn(
            f"No dataset_metadata.csv beside {videos}: every clip is its own group, so clips "
            "of one patient may land in different splits.",
            stacklevel=2,
        )
    return video_folder_clips(
        videos,
        label_from=POCUS_PREFIXES,
        class_names=POCUS_CLASSES,
        exclude=exclude,
        metadata=metadata,
        group_column=POCUS_GROUP_COLUMN if metadata else None,
        key_column=POCUS_KEY_COLUMN if metadata else None,
        split=split,
        split_fractions=split_fractions,
        seed=seed,
    )


def pocus(
    root=None,
    split="train",
    *,
    exclude=POCUS_EXCLUDE,
    split_fractions=(0.7, 0.15, 0.15),
    seed=0,
    shuffle=None,
    **clip_options,
):
    """POCUS lung-ultrasound clips (covid / pneumonia / regular) as a `tf.data.Dataset`.

    Args:
        root: data folder with `pocus_videos/` and `dataset_metadata.csv` (see `pocus_clips`).
        split: "train", "val", "test" (patient-grouped) or None (all clips).
        exclude, split_fractions, seed: see `pocus_clips` (`seed` also seeds shuffling).
        shuffle: default True for "train".
        **clip_options: how clips are decoded and served, see `clip_dataset`: num_frames
            (default 16), size ((64, 64)), grayscale (True), cache, cache_dir, on_error
            ("skip"), batch_size, prefetch, augment (random flip / brightness / contrast).

    Returns:
        `tf.data.Dataset` of (clip, label), labels indexing `POCUS_CLASSES`.
        `class_names` attribute: `POCUS_CLASSES` as a list.

    Shapes:
        clip float32 (T, H, W, C) in [0, 1], label int32 ().

    Example:
        >>> ds = pocus("covid19_ultrasound/data", "train", batch_size=8)  # doctest: +SKIP
    """
    rows = pocus_clips(root, split, exclude=exclude, split_fractions=split_fractions, seed=seed)
    empty = f"No POCUS clips in split {split!r}; check `exclude` and fractions."
    options = {"shuffle": shuffle, "seed": seed, "class_names": POCUS_CLASSES, **clip_options}
    return split_dataset(rows, split, empty, **options)


def _pocus_folders(root):
    root = data_root(None) / "pocus" if root is None else Path(root).expanduser()
    for videos in (root / "pocus_videos", root):
        if videos.is_dir() and videos.name == "pocus_videos":
            csv_path = videos.parent / "dataset_metadata.csv"
            return videos, (csv_path if csv_path.is_file() else None)
    raise DatasetNotFoundError(
        f"POCUS data not found at {root}: expected {root}/pocus_videos/{{convex,linear}}/ with "
        f"the clips and {root}/dataset_metadata.csv. Get both from the `data/` folder of "
        f"{POCUS_URL} (check each clip's license in dataset_metadata.csv)."
    )


__all__ = [
    "POCUS_CLASSES",
    "POCUS_EXCLUDE",
    "POCUS_GROUP_COLUMN",
    "POCUS_KEY_COLUMN",
    "POCUS_PREFIXES",
    "POCUS_URL",
    "pocus",
    "pocus_clips",
]
