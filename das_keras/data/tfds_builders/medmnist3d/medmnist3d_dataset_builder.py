"""TFDS builder "medmnist3d": the six MedMNIST v3 3D sets in sizes 28 and 64.

Configs are named "<set>_<size>": organ_28, organ_64, nodule_28, ..., synapse_64.

Where the file comes from, first match wins:

1. `manual_dir` (`tfds.download.DownloadConfig(manual_dir=...)`, default
   `<data_dir>/downloads/manual`): the official file, e.g. `vesselmnist3d.npz`, in that folder or
   in its `medmnist3d/` subfolder. Nothing is downloaded.
2. The folders of `das_keras.data.medmnist3d.medmnist3d_search_folders()`: the das_keras data
   folder (`$DAS_KERAS_DATA`, else `~/.das_keras/datasets`), its `medmnist3d/` subfolder, then
   `~/.medmnist` (where the `medmnist` package keeps its downloads).
3. Otherwise `dl_manager.download` fetches the official URL (Zenodo record 10519652).

Every file is read through `tf.io.gfile` (manual folders may be gs:// URLs). The builder passes
`tfds.testing.DatasetBuilderTestCase` on dummy files in the official format, once the test puts
their MD5 in `das_keras.data.medmnist3d.MEDMNIST3D` (see tests/data/test_tfds_harness.py).

Checksums: MedMNIST publishes MD5s only. Every file, whatever its source, is read through
`das_keras.data.load_medmnist3d_arrays`, which verifies the official MD5 and raises
`ChecksumError` on a mismatch. In addition, `checksums.tsv` beside this module gives TFDS the size
and SHA-256 of the two files we hold byte-exact copies of (adrenal_28, vessel_28), which TFDS
verifies on download; for the other ten files the MD5 check is the verification.
"""

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from das_keras.data.medmnist3d import (
    MEDMNIST3D,
    SIZES,
    find_medmnist3d_file,
    load_medmnist3d_arrays,
    medmnist3d_info,
    medmnist3d_path,
    medmnist3d_search_folders,
    verify_md5,
)
from das_keras.data.paths import DatasetNotFoundError, is_url

HOMEPAGE = "https://medmnist.com/"
LICENSE = "CC BY 4.0 (MedMNIST v3; see the homepage for the licenses of the source data sets)"
# TFDS split name -> key prefix in the official file
SPLITS = {"train": "train", "validation": "val", "test": "test"}
_TITLES = {
    "organ": "OrganMNIST3D (abdominal CT, 11 organs)",
    "nodule": "NoduleMNIST3D (chest CT, lung nodule malignancy)",
    "adrenal": "AdrenalMNIST3D (abdominal CT shape masks, adrenal hyperplasia)",
    "fracture": "FractureMNIST3D (chest CT, rib fracture type)",
    "vessel": "VesselMNIST3D (brain MRA vessel shape masks, aneurysm)",
    "synapse": "SynapseMNIST3D (electron microscopy, synapse type)",
}

DESCRIPTION = """\
MedMNIST v3 3D: six standardized 3D biomedical image classification sets (organ, nodule,
adrenal, fracture, vessel, synapse), each at 28^3 or 64^3 voxels, with the official
train/val/test splits (the official "val" split is called "validation" here).

Features: `volume` uint8 (D, H, W, 1) with D = H = W = size, values 0-255 as in the official
files (divide by 255 for [0, 1]); `label` the class index (ClassLabel with the official label
names). `as_supervised=True` gives (volume, label). Examples keep the order of the official
file (disable_shuffling), so example i of a split is image i of the official array.

The official files (Zenodo record 10519652) are read with das_keras; every file is checked
against the official MD5 before use.
"""

CITATION = """\
@article{yang2023medmnistv2,
  title={MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical image
         classification},
  author={Yang, Jiancheng and Shi, Rui and Wei, Donglai and Liu, Zequan and Zhao, Lin and
          Ke, Bilian and Pfister, Hanspeter and Ni, Bingbing},
  journal={Scientific Data},
  volume={10},
  number={1},
  pages={41},
  year={2023},
  doi={10.1038/s41597-022-01721-8}
}
"""

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Optional: the builder downloads the official file itself when it is online. To use a local copy
instead (offline machines, or a file you already have), put the official .npz file, e.g.
`vesselmnist3d.npz` (size 28) or `vesselmnist3d_64.npz` (size 64), from
https://zenodo.org/records/10519652 into the manual folder (or its `medmnist3d/` subfolder) and
pass it with
`download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(manual_dir=...)}`.
The das_keras data folder ($DAS_KERAS_DATA, else ~/.das_keras/datasets) and ~/.medmnist are
searched too. The file must have the official MD5 (see `das_keras.data.medmnist3d_info`).
"""


@dataclasses.dataclass(eq=False)
class Medmnist3dConfig(tfds.core.BuilderConfig):
    """One MedMNIST3D set at one size, a config of the "medmnist3d" builder.

    Build it with `medmnist3d_config`, which checks the arguments and names it "<set>_<size>".

    Args:
        name: config name, "<set>_<size>" (e.g. "vessel_28").
        dataset: short set name, a key of `das_keras.data.medmnist3d.MEDMNIST3D`.
        size: 28 or 64.
        **kwargs: the other `tfds.core.BuilderConfig` fields (description, ...).

    Returns:
        The config (a dataclass instance).

    Example:
        >>> Medmnist3dConfig(name="vessel_64", dataset="vessel", size=64).size
        64
    """

    dataset: str = "vessel"
    size: int = 28


def medmnist3d_config(name, size=28):
    """The `Medmnist3dConfig` for one set and size, named "<set>_<size>".

    Args:
        name: "organ", "nodule", "adrenal", "fracture", "vessel" or "synapse" (official names
            such as "VesselMNIST3D" are accepted too).
        size: 28 or 64.

    Returns:
        `Medmnist3dConfig`.

    Raises:
        ValueError: unknown set name or size (the message names the argument and the choices).

    Example:
        >>> medmnist3d_config("VesselMNIST3D", 64).name
        'vessel_64'
    """
    info = medmnist3d_info(name, size)  # validates name and size
    n = info["n_samples"]
    return Medmnist3dConfig(
        name=f"{info['name']}_{info['size']}",
        dataset=info["name"],
        size=info["size"],
        description=(
            f"{_TITLES[info['name']]}, {info['size']}^3 voxels, {info['num_classes']} classes "
            f"({', '.join(info['label_names'])}); official splits train/val/test = "
            f"{n['train']}/{n['val']}/{n['test']}; file {info['filename']} (MD5 {info['md5']})."
        ),
    )


class Medmnist3dBuilder(tfds.core.GeneratorBasedBuilder):
    """TFDS builder "medmnist3d" (configs "<set>_<size>", e.g. "vessel_28", "organ_64").

    Registered with TFDS when `das_keras.data.tfds_builders` is imported. See the module
    docstring for where the official file is taken from and how it is verified.

    Args:
        data_dir: where TFDS writes the prepared data (default: $TFDS_DATA_DIR, else
            ~/tensorflow_datasets).
        config: config name ("vessel_28") or a `Medmnist3dConfig`.
        version: builder version (default: the latest, `VERSION`).

    Returns:
        The builder; `download_and_prepare()` then `as_dataset(split)` give a `tf.data.Dataset`
        of {"volume": uint8 (D, H, W, 1), "label": int64 ()}.

    Example (the official file is downloaded, or taken from a `manual_dir` given as for `busv`):
        >>> import tensorflow_datasets as tfds  # doctest: +SKIP
        >>> import das_keras.data.tfds_builders  # doctest: +SKIP
        >>> ds = tfds.load("medmnist3d/vessel_28", split="train")  # doctest: +SKIP
    """

    name = "medmnist3d"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "MedMNIST v3 3D files (Zenodo record 10519652): six sets, sizes 28 and 64.",
    }
    BUILDER_CONFIGS = [medmnist3d_config(key, size) for key in MEDMNIST3D for size in SIZES]
    DEFAULT_BUILDER_CONFIG_NAME = "vessel_28"
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

    def _info(self):
        info = medmnist3d_info(self.builder_config.dataset, self.builder_config.size)
        side = info["size"]
        return tfds.core.DatasetInfo(
            builder=self,
            description=DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "volume": tfds.features.Tensor(
                        shape=(side, side, side, 1),
                        dtype=np.uint8,
                        encoding=tfds.features.Encoding.ZLIB,
                    ),
                    "label": tfds.features.ClassLabel(names=list(info["label_names"])),
                }
            ),
            supervised_keys=("volume", "label"),
            disable_shuffling=True,
            homepage=HOMEPAGE,
            citation=CITATION,
            license=LICENSE,
            metadata=tfds.core.MetadataDict(
                filename=info["filename"],
                url=info["url"],
                md5=info["md5"],
                official_split_sizes=info["n_samples"],
            ),
        )

    def _split_generators(self, dl_manager):
        folder = _parent(self._verified_file(dl_manager))
        return {
            tfds_split: self._generate_examples(folder, file_split)
            for tfds_split, file_split in SPLITS.items()
        }

    def _generate_examples(self, folder, split):
        # the one reading code path of das_keras: MD5 check, key checks, label reshaping
        images, labels = load_medmnist3d_arrays(
            self.builder_config.dataset,
            split,
            size=self.builder_config.size,
            data_dir=folder,
            download=False,
        )
        for index in range(len(labels)):
            yield index, {"volume": images[index][..., None], "label": int(labels[index])}

    def _verified_file(self, dl_manager):
        """Path of the MD5-verified official file: local copy first, else TFDS download."""
        cfg = self.builder_config
        info = medmnist3d_info(cfg.dataset, cfg.size)
        manual = _manual_dir(dl_manager)
        folders = [] if manual is None else [manual, _join(manual, "medmnist3d")]
        folders += medmnist3d_search_folders()
        local = find_medmnist3d_file(info["filename"], folders)
        if local is not None:
            # raises ChecksumError for a corrupt local copy: better than silently ignoring it
            verify_md5(local, info["md5"], info["url"])
            return local
        try:
            downloaded = Path(os.fspath(dl_manager.download(info["url"])))
        except Exception as err:  # offline, proxy, HTTP error, wrong SHA-256: all end the same
            raise DatasetNotFoundError(
                f"MedMNIST3D file {info['filename']!r} is not in the manual folder "
                f"({manual if manual is not None else 'none given'}) nor in "
                f"{', '.join(str(f) for f in folders)}, and the download from {info['url']} failed "
                f"({type(err).__name__}: {err}). Download it by hand (MD5 {info['md5']}) and pass "
                "its folder as manual_dir: tfds.load(..., download_and_prepare_kwargs="
                '{"download_config": tfds.download.DownloadConfig(manual_dir=FOLDER)}).'
            ) from err
        # TFDS names downloads after the URL; our reader looks for the official file name
        named = _link_as(downloaded, Path(os.fspath(dl_manager.download_dir)) / "medmnist3d", info)
        return medmnist3d_path(cfg.dataset, cfg.size, data_dir=named.parent, download=False)


def _manual_dir(dl_manager):
    try:
        folder = os.fspath(dl_manager.manual_dir)
    except AssertionError:  # no manual folder, or an empty one: that is allowed here
        return None
    return folder.rstrip("/") if is_url(folder) else Path(folder)


def _join(folder, name):
    return f"{folder}/{name}" if is_url(folder) else folder / name


def _parent(path):
    return str(path).rsplit("/", 1)[0] if is_url(path) else Path(path).parent


def _link_as(source, folder, info):
    """`folder/<official file name>` pointing to `source` (symlink, else hard link, else copy)."""
    target = folder / info["filename"]
    folder.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        if target.resolve() == source.resolve():
            return target
        target.unlink()
    try:
        target.symlink_to(source)
    except OSError:  # e.g. Windows without the symlink privilege
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return target


__all__ = [
    "CITATION",
    "Medmnist3dBuilder",
    "Medmnist3dConfig",
    "medmnist3d_config",
]
