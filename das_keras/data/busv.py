"""BUSV breast-ultrasound videos (Lin et al., MICCAI 2022) in their published layout.

Layout (as released with CVA-Net, https://github.com/jhl-Det/CVA-Net):

    root/rawframes/{benign,malignant}/<video_id>/000000.png ...
    root/imagenet_vid_train_15frames.json    COCO-VID split file: training videos
    root/imagenet_vid_val.json               COCO-VID split file: validation videos

The published protocol has no separate test set: split "test" is the validation videos (the ones
the paper reports on). The data cannot be downloaded automatically (Baidu Pan / Google Drive).
The published errata are applied by default: one benign video duplicates a malignant one and is
dropped, two benign videos are relabelled malignant.
"""

import json
from pathlib import Path, PurePosixPath

from das_keras.data.clip_pipeline import split_dataset
from das_keras.data.paths import DatasetNotFoundError, data_root

BUSV_URL = "https://github.com/jhl-Det/CVA-Net"
BUSV_CLASSES = ("benign", "malignant")
SPLIT_FILES = {
    "train": "imagenet_vid_train_15frames.json",
    "val": "imagenet_vid_val.json",
    "test": "imagenet_vid_val.json",  # no separate test set in the published protocol
}
# published errata, by "<class folder>/<video id>"
ERRATA_DROP = ("benign/x66ef02e7f1b9a0ef",)  # duplicate of malignant/x3b88488853e8b7d1
ERRATA_RELABEL = {
    "benign/x63c9ba1377f35bf6": "malignant",
    "benign/x5a1c46ec6377e946": "malignant",
}


def busv_videos(root=None, split="train", apply_errata=True):
    """The videos of one BUSV split with their labels: (frame folder, label) pairs.

    Video names come from the split file's `videos[*].name` ("benign/x1234..."), or, when
    that is absent, from the folders of `images[*].file_name`. The class is the parent folder
    (benign = 0, malignant = 1). Every frame of the video folder is used later, not only the
    frames the split file lists (the training file lists 15 per video, for detection).

    Args:
        root: BUSV folder (see the module docstring); default `<data folder>/busv`.
        split: "train", "val" or "test" (= "val").
        apply_errata: drop the duplicate video and relabel the two mislabelled ones.

    Returns:
        list of (`pathlib.Path` video folder, int label), in split-file order.

    Raises:
        DatasetNotFoundError: the folder, a split file or a listed video folder is missing.

    Example:
        >>> busv_videos("BUSV", "val")[:1]  # doctest: +SKIP
        [(PosixPath('BUSV/rawframes/benign/x0a1b...'), 0)]
    """
    root = _check_root(root)
    if split not in SPLIT_FILES:
        raise ValueError(f"`split` must be one of {tuple(SPLIT_FILES)}; received split={split!r}.")
    names = _video_names(root / SPLIT_FILES[split])
    videos, missing = [], []
    for name in names:
        if apply_errata and name in ERRATA_DROP:
            continue
        class_name = name.split("/")[0]
        if apply_errata:
            class_name = ERRATA_RELABEL.get(name, class_name)
        folder = root / "rawframes" / name
        if not folder.is_dir():
            missing.append(name)
            continue
        videos.append((folder, BUSV_CLASSES.index(class_name)))
    if missing:
        raise DatasetNotFoundError(
            f"{len(missing)} video folder(s) listed in {SPLIT_FILES[split]} are missing under "
            f"{root / 'rawframes'}: {', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}. "
            + _how_to_get(root)
        )
    return videos


def busv(root=None, split="train", *, seed=None, shuffle=None, apply_errata=True, **clip_options):
    """One BUSV split as a `tf.data.Dataset` of (clip, label).

    Each video's frames are read with Pillow, converted to grayscale, resized and resampled to
    `num_frames` evenly spaced frames (`video_folder.decode_clip`), once per data set.

    Args:
        root: BUSV folder; default `<data folder>/busv` (see `paths.data_root`).
        split: "train", "val" or "test" ("test" = "val": the published protocol has no
            separate test set).
        seed: shuffle (and augmentation) seed.
        shuffle: reshuffle every epoch; default True for "train".
        apply_errata: apply the published errata (see `busv_videos`).
        **clip_options: how clips are decoded and served, see `clip_dataset`: num_frames
            (default 16), size ((64, 64)), cache (keep decoded clips in memory), cache_dir,
            on_error (here "raise" by default; "skip" warns and leaves unreadable videos out),
            batch_size, prefetch, augment (random flip / brightness / contrast).

    Returns:
        `tf.data.Dataset` of (clip, label), label 0 = benign, 1 = malignant.
        `class_names` attribute: `BUSV_CLASSES` as a list.

    Shapes:
        clip float32 (T, H, W, 1) in [0, 1], label int32 (); batched: leading B.

    Example:
        >>> ds = busv("BUSV", "train", num_frames=16, size=64, batch_size=8)  # doctest: +SKIP
    """
    videos = busv_videos(root, split, apply_errata)
    empty = f"The BUSV {split!r} split of {root} lists no videos."
    options = {"on_error": "raise", **clip_options, "grayscale": True}
    options.update(shuffle=shuffle, seed=seed, class_names=BUSV_CLASSES)
    return split_dataset(videos, split, empty, **options)


def _video_names(split_file):
    with open(split_file, encoding="utf-8") as handle:
        coco = json.load(handle)
    names = [v["name"] for v in coco.get("videos", []) if v.get("name")]
    if not names:  # older conversions list frames only
        names = [str(PurePosixPath(i["file_name"]).parent) for i in coco.get("images", [])]
    ordered = list(dict.fromkeys(_normalize(n, split_file) for n in names))
    if not ordered:
        raise ValueError(f"{split_file} lists no videos (no `videos` names, no `images`).")
    return ordered


def _normalize(name, split_file):
    # keep "<class>/<video id>" whatever prefix ("rawframes/", "./") a conversion added
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if len(parts) < 2 or parts[-2] not in BUSV_CLASSES:
        raise ValueError(
            f"{split_file}: video name {name!r} is not '<benign|malignant>/<video id>'."
        )
    return f"{parts[-2]}/{parts[-1]}"


def _check_root(root):
    root = data_root(None) / "busv" if root is None else Path(root).expanduser()
    needed = [root / "rawframes", *(root / f for f in sorted(set(SPLIT_FILES.values())))]
    absent = [p for p in needed if not p.exists()]
    if absent:
        raise DatasetNotFoundError(
            f"BUSV data not found: missing {', '.join(str(p) for p in absent)}. "
            + _how_to_get(root)
        )
    return root


def _how_to_get(root):
    return (
        "BUSV cannot be downloaded automatically: get it from the Baidu Pan / Google Drive links "
        f"in the README of {BUSV_URL} (Lin et al., MICCAI 2022), unpack it and lay it out as "
        f"{root}/rawframes/{{benign,malignant}}/<video_id>/000000.png ... with "
        f"{root}/{SPLIT_FILES['train']} and {root}/{SPLIT_FILES['val']}, then pass that folder "
        "as `root` (default: <data folder>/busv, data folder from DAS_KERAS_DATA or "
        "~/.das_keras/datasets)."
    )


__all__ = ["BUSV_CLASSES", "busv", "busv_videos"]
