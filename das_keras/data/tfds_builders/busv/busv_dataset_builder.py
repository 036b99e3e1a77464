"""TFDS builder "busv": BUSV breast-ultrasound videos (Lin et al., MICCAI 2022), manual download.

The data cannot be downloaded automatically (Baidu Pan / Google Drive). The builder reads the
published layout from `manual_dir` (see `MANUAL_DOWNLOAD_INSTRUCTIONS`) with the same code as
`das_keras.data.busv`: `busv_videos` (split files, class from the folder, published errata) and
`video_folder.decode_clip` (grayscale, resize, `num_frames` evenly spaced frames).

Configs fix the clip shape: "t<T>_<H>x<W>" (default "t16_64x64"; also t8_64x64, t32_64x64,
t16_112x112); any other shape via `busv_config(num_frames, size)`.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from das_keras.checks import check_positive_int
from das_keras.data.busv import BUSV_CLASSES, BUSV_URL, SPLIT_FILES, busv_videos
from das_keras.data.paths import DatasetNotFoundError, data_root
from das_keras.data.transforms import check_size
from das_keras.data.video_folder import decode_clip

# TFDS split name -> das_keras split name (no separate test set in the published protocol)
SPLITS = {"train": "train", "validation": "val"}

DESCRIPTION = """\
BUSV: 188 breast-ultrasound videos with benign or malignant lesions (Lin et al., MICCAI 2022),
released with CVA-Net, as video-level classification clips. Splits follow the published COCO-VID
split files: "train" (imagenet_vid_train_15frames.json) and "validation" (imagenet_vid_val.json,
the videos the paper reports on; there is no separate test set).

The published errata are applied by default: benign/x66ef02e7f1b9a0ef (a duplicate of
malignant/x3b88488853e8b7d1) is dropped; benign/x63c9ba1377f35bf6 and benign/x5a1c46ec6377e946
are labelled malignant.

Features: `clip` uint8 (T, H, W, 1): every frame of the video folder converted to grayscale,
resized to (H, W) (bilinear, aspect ratio not kept) and resampled to T evenly spaced frames
(short videos repeat frames); `label` benign (0) or malignant (1); `video_id` the video folder's
name (e.g. "x3b88488853e8b7d1"). `as_supervised=True` gives (clip, label). Examples keep the
split-file order (disable_shuffling).
"""

CITATION = """\
@inproceedings{lin2022busv,
  title={A New Dataset and a Baseline Model for Breast Lesion Detection in Ultrasound Videos},
  author={Lin, Zhi and Lin, Junhao and Zhu, Lei and Fu, Huazhu and Qin, Jing and
          Wang, Liansheng},
  booktitle={Medical Image Computing and Computer Assisted Intervention -- MICCAI 2022},
  publisher={Springer Nature Switzerland},
  year={2022},
  doi={10.1007/978-3-031-16437-8_59}
}
"""

MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
BUSV cannot be downloaded automatically. Get it from the Baidu Pan / Google Drive links in the
README of {BUSV_URL}, unpack it, and pass the folder that holds

    rawframes/benign/<video_id>/000000.png ...
    rawframes/malignant/<video_id>/000000.png ...
    {SPLIT_FILES["train"]}
    {SPLIT_FILES["val"]}

as the manual folder (the folder itself or a `busv/` or `BUSV/` subfolder of it):
tfds.load("busv", download_and_prepare_kwargs={{"download_config":
tfds.download.DownloadConfig(manual_dir=FOLDER)}}). Without a manual folder, the das_keras data
folder's `busv/` subfolder ($DAS_KERAS_DATA, else ~/.das_keras/datasets) is used when present.
"""


@dataclasses.dataclass(eq=False)
class BusvConfig(tfds.core.BuilderConfig):
    """Clip shape and errata switch of the "busv" builder; build it with `busv_config`.

    Args:
        name: config name, "t<T>_<H>x<W>" (plus "_noerrata" without the errata).
        num_frames: T, frames per clip.
        height: frame height in pixels.
        width: frame width in pixels.
        apply_errata: apply the published errata (see the module docstring).
        **kwargs: the other `tfds.core.BuilderConfig` fields (description, ...).

    Returns:
        The config (a dataclass instance).

    Example:
        >>> BusvConfig(name="t8_32x32", num_frames=8, height=32, width=32).num_frames
        8
    """

    num_frames: int = 16
    height: int = 64
    width: int = 64
    apply_errata: bool = True


def busv_config(num_frames=16, size=64, apply_errata=True):
    """A `BusvConfig` for clips of `num_frames` frames of `size`, named "t<T>_<H>x<W>".

    Args:
        num_frames: T (int >= 1).
        size: int or (height, width), each >= 1.
        apply_errata: apply the published errata (drop one duplicate, relabel two videos).

    Returns:
        `BusvConfig`; pass it as `tfds.builder("busv", config=...)` or
        `tfds.load("busv", builder_kwargs={"config": ...})`.

    Raises:
        ValueError: `num_frames`, `size` or `apply_errata` is invalid (the message names it).

    Example:
        >>> busv_config(8, (48, 64)).name
        't8_48x64'
    """
    num_frames = check_positive_int(num_frames, "num_frames")
    height, width = check_size(size)
    if not isinstance(apply_errata, bool | np.bool_):
        raise ValueError(
            f"`apply_errata` must be True or False; received apply_errata={apply_errata!r}."
        )
    suffix = "" if apply_errata else "_noerrata"
    return BusvConfig(
        name=f"t{num_frames}_{height}x{width}{suffix}",
        num_frames=num_frames,
        height=int(height),
        width=int(width),
        apply_errata=bool(apply_errata),
        description=(
            f"{num_frames} evenly spaced grayscale frames of {height}x{width} per video; "
            + ("published errata applied." if apply_errata else "published errata NOT applied.")
        ),
    )


class BusvBuilder(tfds.core.GeneratorBasedBuilder):
    """TFDS builder "busv" (configs "t<T>_<H>x<W>", default "t16_64x64"); manual download.

    Registered with TFDS when `das_keras.data.tfds_builders` is imported. The BUSV folder is
    taken from `manual_dir` (see `MANUAL_DOWNLOAD_INSTRUCTIONS`).

    Args:
        data_dir: where TFDS writes the prepared data (default: $TFDS_DATA_DIR, else
            ~/tensorflow_datasets).
        config: config name ("t16_64x64") or a `BusvConfig` (see `busv_config`).
        version: builder version (default: the latest, `VERSION`).

    Returns:
        The builder; `download_and_prepare()` then `as_dataset(split)` give a `tf.data.Dataset`
        of {"clip": uint8 (T, H, W, 1), "label": int64 (), "video_id": string ()}.

    Example:
        >>> import tensorflow_datasets as tfds  # doctest: +SKIP
        >>> import das_keras.data.tfds_builders  # doctest: +SKIP
        >>> ds = tfds.load(  # doctest: +SKIP
        ...     "busv",
        ...     split="train",
        ...     as_supervised=True,
        ...     download_and_prepare_kwargs={
        ...         "download_config": tfds.download.DownloadConfig(manual_dir="/data/BUSV")
        ...     },
        ... )
    """

    name = "busv"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "BUSV videos as classification clips, published errata applied."}
    BUILDER_CONFIGS = [
        busv_config(16, 64),
        busv_config(8, 64),
        busv_config(32, 64),
        busv_config(16, 112),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "t16_64x64"
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

    def _info(self):
        cfg = self.builder_config
        return tfds.core.DatasetInfo(
            builder=self,
            description=DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "clip": tfds.features.Tensor(
                        shape=(cfg.num_frames, cfg.height, cfg.width, 1),
                        dtype=np.uint8,
                        encoding=tfds.features.Encoding.ZLIB,
                    ),
                    "label": tfds.features.ClassLabel(names=list(BUSV_CLASSES)),
                    "video_id": tfds.features.Text(),
                }
            ),
            supervised_keys=("clip", "label"),
            disable_shuffling=True,
            homepage=BUSV_URL,
            citation=CITATION,
        )

    def _split_generators(self, dl_manager):
        root = _busv_root(dl_manager)
        return {
            tfds_split: self._generate_examples(root, split) for tfds_split, split in SPLITS.items()
        }

    def _generate_examples(self, root, split):
        cfg = self.builder_config
        # the same code path as das_keras.data.busv: split files + errata, then decode_clip
        for index, (folder, label) in enumerate(busv_videos(root, split, cfg.apply_errata)):
            clip = decode_clip(folder, cfg.num_frames, (cfg.height, cfg.width), grayscale=True)
            yield index, {"clip": clip, "label": label, "video_id": folder.name}


def _busv_root(dl_manager):
    """The BUSV folder: in `manual_dir` (itself, busv/ or BUSV/), else <data folder>/busv."""
    try:
        manual = Path(os.fspath(dl_manager.manual_dir))
    except AssertionError as err:  # no manual folder, or an empty one
        fallback = data_root() / "busv"
        if (fallback / "rawframes").is_dir():
            return fallback
        raise DatasetNotFoundError(
            f"{err}\nNo BUSV data in the das_keras data folder either ({fallback})."
        ) from err
    for candidate in (manual, manual / "busv", manual / "BUSV"):
        if (candidate / "rawframes").is_dir():
            return candidate
    raise DatasetNotFoundError(
        f"No BUSV data in the manual folder {manual} (nor in its busv/ or BUSV/ subfolder): "
        f"`rawframes/` is missing.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}"
    )


__all__ = ["BusvBuilder", "BusvConfig", "CITATION", "busv_config"]
