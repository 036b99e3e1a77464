# %% [markdown]
# # Ultrasound videos: BUSV and POCUS clips
#
# A video clip is a sequence of T frames, (T, H, W, C), just like a volume's slices: the
# same samplers choose which k frames the classifier looks at. In ultrasound this is
# natural, since the few frames that show the finding (a lesion's margin, B-lines,
# a consolidation) matter more than the many that do not.
#
# This notebook covers
#
# 1. **BUSV** (breast-ultrasound videos, Lin et al., MICCAI 2022): its published folder
#    layout and `dk.data.busv`, demonstrated on a **fake** folder that this notebook
#    generates (the real data cannot be downloaded automatically);
# 2. any folder of clips with `dk.data.video_folder`;
# 3. **POCUS** lung-ultrasound clips (COVID-19 / bacterial pneumonia / healthy) with
#    `dk.data.pocus`: a short DAS training run and the frames it chose.

# %% [markdown]
# ## Install
#
# The first code cell says where das-keras comes from: `DAS_KERAS_SOURCE` is its name on
# the package index once it is published; until then set it to a git URL
# (`"git+https://github.com/<owner>/das-keras"`) or to the path of a wheel built with
# `make dist`. The cell after it installs das-keras with the extra this notebook needs
# (`video`: imageio and Pillow, to decode clips) with pip only when it cannot be
# imported (in a fresh Colab runtime, say), then checks that it imports, and stops with
# a clear message if it does not. Colab already has TensorFlow, so the `cpu` extra
# (which brings `tensorflow-cpu`) is added only where no TensorFlow is installed: two
# TensorFlow packages side by side break each other.

# %%
DAS_KERAS_SOURCE = "das-keras"

# %%
import importlib
import importlib.util
import pathlib
import subprocess
import sys

EXTRAS = ["video"]  # what this notebook needs beyond the core package
MODULES = ["das_keras", "imageio", "PIL"]


def requirement(source, extras):
    """The pip requirement for `source`, a name on the index, a URL or a wheel path."""
    if importlib.util.find_spec("tensorflow") is None:
        extras = ["cpu", *extras]
    name = "das-keras" + (f"[{','.join(extras)}]" if extras else "")
    if source.endswith(".whl"):
        source = pathlib.Path(source).resolve().as_uri()
    if "://" in source:
        return f"{name} @ {source}"
    return source.replace("das-keras", name, 1)  # a name, perhaps with a version


missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
if missing:
    REQUIREMENT = requirement(DAS_KERAS_SOURCE, EXTRAS)
    print(f"{', '.join(missing)} not found: pip install {REQUIREMENT}")
    try:
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "-q", REQUIREMENT]
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(
            f"pip could not install {REQUIREMENT!r} (its error is above). If das-keras "
            "is not on the package index, set DAS_KERAS_SOURCE in the first code cell "
            "to a git URL or a wheel path, and run the cells again."
        ) from error
    importlib.invalidate_caches()
try:
    for module in MODULES:
        importlib.import_module(module)
except ImportError as error:
    raise RuntimeError(
        f"{error}: das-keras and what this notebook needs are not importable. "
        "Install them (see DAS_KERAS_SOURCE in the first code cell) and restart the runtime."
    ) from error

# %%
import os
import warnings

import keras
import numpy as np
from IPython import get_ipython

import das_keras as dk

# DAS_KERAS_FAST=1 (set by the test suite) shrinks epochs and data to a smoke test.
FAST = os.environ.get("DAS_KERAS_FAST") == "1"
# Keras warns that fit(shuffle=True) is ignored for a tf.data.Dataset: our pipelines shuffle.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
keras.utils.set_random_seed(0)
get_ipython().run_line_magic("matplotlib", "inline")  # figures appear below the cells
backend = keras.backend.backend()
print(f"das-keras {dk.__version__}, Keras {keras.__version__}, backend {backend}")
print("fast mode (smoke test, numbers meaningless)" if FAST else "normal mode")

# %% [markdown]
# ## 1. BUSV: the published layout
#
# BUSV is released with CVA-Net (https://github.com/jhl-Det/CVA-Net) through Baidu Pan /
# Google Drive, so it has to be downloaded by hand. `dk.data.busv(root, split)` expects
# the layout of that release:
#
# ```
# BUSV/
# ├── rawframes/
# │   ├── benign/
# │   │   ├── <video_id>/000000.png, 000001.png, ...
# │   │   └── ...
# │   └── malignant/
# │       └── <video_id>/000000.png, ...
# ├── imagenet_vid_train_15frames.json   (COCO-VID: the training videos)
# └── imagenet_vid_val.json              (COCO-VID: the validation videos)
# ```
#
# The class is the parent folder (benign = 0, malignant = 1). The published protocol
# has no separate test split: `split="test"` is the validation videos. The published
# errata are applied by default: `benign/x66ef02e7f1b9a0ef` (a duplicate of a malignant
# video) is dropped, and `benign/x63c9ba1377f35bf6` and `benign/x5a1c46ec6377e946` are
# relabelled malignant.
#
# ### A fake BUSV folder (layout demonstration only)
#
# The next cell writes a **fake** BUSV folder into a temporary directory: random noise
# frames with a dark blob, nothing from the real data set. It only shows what the loader
# reads. Two of its video ids are errata ids, so that you can see the errata at work.

# %%
import json
import tempfile
from pathlib import Path

from PIL import Image

fake_busv = Path(tempfile.mkdtemp(prefix="FAKE_busv_"))
rng = np.random.default_rng(0)
fake_videos = {
    "train": [
        "benign/xfake000000000001",
        "benign/x66ef02e7f1b9a0ef",  # an errata id: dropped
        "malignant/xfake000000000002",
        "malignant/xfake000000000003",
    ],
    "val": [
        "benign/xfake000000000004",
        "benign/x63c9ba1377f35bf6",  # an errata id: relabelled malignant
        "malignant/xfake000000000005",
    ],
}
split_files = {
    "train": "imagenet_vid_train_15frames.json",
    "val": "imagenet_vid_val.json",
}


def write_fake_video(name, num_frames=20, size=(48, 64)):
    folder = fake_busv / "rawframes" / name
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[: size[0], : size[1]]
    for t in range(num_frames):  # noise with a dark blob that grows and shrinks
        radius = 6 + 5 * np.sin(np.pi * t / num_frames)
        frame = 150 + 40 * rng.standard_normal(size)
        frame[(yy - size[0] / 2) ** 2 + (xx - size[1] / 2) ** 2 < radius**2] = 40
        image = Image.fromarray(np.clip(frame, 0, 255).astype("uint8"))
        image.save(folder / f"{t:06d}.png")
    return num_frames


for split, names in fake_videos.items():
    coco = {"videos": [], "images": [], "categories": [{"id": 1, "name": "lesion"}]}
    for video_id, name in enumerate(names, start=1):
        coco["videos"].append({"id": video_id, "name": name})
        for t in range(write_fake_video(name)):
            coco["images"].append(
                {
                    "id": len(coco["images"]) + 1,
                    "video_id": video_id,
                    "frame_id": t,
                    "file_name": f"{name}/{t:06d}.png",
                }
            )
    (fake_busv / split_files[split]).write_text(json.dumps(coco))


def show_tree(root, max_frames=2):
    for path in sorted(root.rglob("*")):
        depth = len(path.relative_to(root).parts)
        if path.suffix == ".png" and int(path.stem) >= max_frames:
            if int(path.stem) == max_frames:
                print("    " * (depth - 1) + "...")
            continue
        print("    " * (depth - 1) + path.name + ("/" if path.is_dir() else ""))


show_tree(fake_busv)

# %% [markdown]
# `dk.data.busv_videos` lists a split's videos with their labels (after the errata);
# `dk.data.busv` turns them into a `tf.data.Dataset` of (clip, label): every video's
# frames are read, converted to grayscale, resized and resampled to `num_frames` evenly
# spaced frames.

# %%
for split in ("train", "val"):
    print(split)
    for folder, label in dk.data.busv_videos(fake_busv, split):
        print(
            f"   {folder.parent.name}/{folder.name} -> label {label} "
            f"({dk.data.BUSV_CLASSES[label]})"
        )

busv_train = dk.data.busv(fake_busv, "train", num_frames=8, size=32, batch_size=2)
clips, labels = next(iter(busv_train))
print("one batch:", clips.shape, clips.dtype, "labels", labels.numpy().tolist())

# %% [markdown]
# With the real data, point `root` to your BUSV folder (or put it at
# `$DAS_KERAS_DATA/busv`), and `das-keras train --dataset busv --data-dir BUSV ...`
# trains on it from the command line.
#
# ## 2. Any folder of clips
#
# `dk.data.video_folder` reads clips that are video files (mp4, avi, mov, mpeg, gif, ...)
# or folders of frames, takes the class from the folder name (`label_from="folder"`), a
# file-name prefix or your own function, and can split by patient from a metadata CSV so
# that no patient is in two splits. The fake BUSV `rawframes/` folder is such a folder of
# frame folders:

# %%
rows = dk.data.video_folder_clips(fake_busv / "rawframes", label_from="folder")
for row in rows:
    print(f"   {row.path.name:22s} class {row.class_name:9s} label {row.label}")
clips_ds = dk.data.video_folder(
    fake_busv / "rawframes", num_frames=8, size=32, batch_size=4
)
print("one batch:", next(iter(clips_ds))[0].shape)

# %% [markdown]
# ## 3. POCUS lung-ultrasound clips
#
# The POCUS data set (Born et al., *Applied Sciences* 2021,
# https://github.com/jannisborn/covid19_ultrasound) collects lung-ultrasound clips from
# publications, educational web sites and hospitals. `dk.data.pocus(root, split)` reads
# the `data/` folder of that repository: `pocus_videos/{convex,linear}/` with the clips,
# and `dataset_metadata.csv`.
#
# * **Classes** come from the file-name prefix: `Cov` COVID-19, `Pneu` bacterial
#   pneumonia, `Reg` healthy ("regular"). Viral pneumonia (`Vir`, too few clips) and the
#   clip with an uncertain label are left out.
# * **Splits** (70 / 15 / 15%) keep all clips of one patient (column "Patient ID / Name"
#   of the metadata) in one split, so that the test set holds no patient seen in
#   training.
# * **Licenses**: every clip has its own license, listed in the `License` column of
#   `dataset_metadata.csv`. Most are **non-commercial** (CC BY-NC 4.0, CC BY-NC-SA),
#   others CC BY 4.0 / 2.0, and a few COVID-19 emergency reuse terms. Check them before
#   any use beyond research, and do not redistribute the clips.
#
# **Getting the clips.** Set the environment variable `DAS_KERAS_POCUS` to the folder
# that holds `pocus_videos/` and `dataset_metadata.csv`. In Colab the next cell clones
# the repository (`git clone --depth 1 https://github.com/jannisborn/covid19_ultrasound`)
# and uses its `data/` folder. Elsewhere, without the variable, the loader looks in
# `$DAS_KERAS_DATA/pocus` (or `~/.das_keras/datasets/pocus`).

# %%
from collections import Counter

POCUS_ROOT = os.environ.get("DAS_KERAS_POCUS")
if POCUS_ROOT is None and "google.colab" in sys.modules:
    if not os.path.isdir("covid19_ultrasound"):  # check_call: a failed clone stops here
        url = "https://github.com/jannisborn/covid19_ultrasound"
        subprocess.check_call(["git", "clone", "-q", "--depth", "1", url])
    POCUS_ROOT = "covid19_ultrasound/data"

for split in ("train", "val", "test"):
    rows = dk.data.pocus_clips(POCUS_ROOT, split)
    counts = Counter(row.class_name for row in rows)
    per_class = ", ".join(f"{c} {counts[c]}" for c in dk.data.POCUS_CLASSES)
    groups = len({row.group for row in rows})
    print(f"{split:5s}: {len(rows):3d} clips, {groups:2d} patients; {per_class}")

# %% [markdown]
# ### Decode the clips
#
# Each clip is decoded once (ffmpeg for video files, Pillow for GIFs) to `NUM_FRAMES`
# evenly spaced grayscale frames of 64 x 64 and kept in memory; `cache_dir` also keeps
# the decoded clips on disk as `.npy` files, so a second run skips decoding. Decoding all
# 125 clips takes about a minute on a CPU.

# %%
NUM_FRAMES, SIZE, K = 32, 64, 8
options = dict(num_frames=NUM_FRAMES, size=SIZE, cache_dir="pocus_cache", seed=0)
train_clips = dk.data.pocus(POCUS_ROOT, "train", batch_size=8, **options)
val_clips = dk.data.pocus(POCUS_ROOT, "val", batch_size=16, **options)
test_clips = dk.data.pocus(POCUS_ROOT, "test", batch_size=16, **options)
if FAST:
    train_clips, val_clips, test_clips = (
        train_clips.take(2),
        val_clips.take(1),
        test_clips.take(1),
    )

train_labels = [row.label for row in dk.data.pocus_clips(POCUS_ROOT, "train")]
counts = np.bincount(train_labels, minlength=3)
class_weight = {c: float(len(train_labels) / (3 * n)) for c, n in enumerate(counts)}
names = dk.data.POCUS_CLASSES
print("class weights:", {names[c]: round(w, 2) for c, w in class_weight.items()})

# %% [markdown]
# ### Train DAS on the clips
#
# `dk.models.build_classifier` builds the same kind of model as notebook 1 in one call:
# DAS keeps k = 8 of the 32 frames, a small CNN embeds them, a mean over the frames and a
# softmax over the three classes. As in notebook 1, the weights of the epoch with the
# lowest validation loss are kept. The run is short and the data small (87 training
# clips, 20 validation clips): expect a rough model, and read the test numbers (18
# clips) as a sanity check, not a result.

# %%
EPOCHS = 1 if FAST else 10
model = dk.models.build_classifier(
    (NUM_FRAMES, SIZE, SIZE, 1),
    3,
    sampler="das",
    k=K,
    backbone="small_cnn",
    sampler_kwargs={"seed": 0},
)
model.compile(
    keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
)
# Unreadable clips would be skipped, so the number of batches is unknown until the
# first pass ends; Keras then warns that the "input ran out of data". It is harmless.
warnings.filterwarnings("ignore", message="Your input ran out of data")
checkpoint = keras.callbacks.ModelCheckpoint(
    "pocus_best.weights.h5",
    monitor="val_loss",
    save_best_only=True,
    save_weights_only=True,
)
history = model.fit(
    train_clips,
    validation_data=val_clips,
    epochs=EPOCHS,
    class_weight=class_weight,
    callbacks=[checkpoint],
    verbose=2,
)
model.load_weights("pocus_best.weights.h5")  # the epoch with the lowest val loss

# %%
test_x = np.concatenate([x.numpy() for x, _ in test_clips])
test_y = np.concatenate([y.numpy() for _, y in test_clips])
probabilities = model.predict(test_x, verbose=0)
metrics = dk.evaluation.classification_metrics(test_y, probabilities)
print(
    f"test clips: {metrics['num_samples']}, balanced accuracy "
    f"{metrics['balanced_accuracy']:.3f}, macro one-vs-rest AUC {metrics['auc']:.3f}"
)

# %% [markdown]
# ### Which frames did DAS choose?
#
# For one test clip: all 32 frames, the 8 chosen outlined, and the DAS attention over the
# frames; then DAS against evenly spaced frames.

# %%
i = 0
print(
    f"test clip {i}: {dk.data.POCUS_CLASSES[test_y[i]]}, predicted "
    f"{dk.data.POCUS_CLASSES[int(probabilities[i].argmax())]}"
)
dk.viz.plot_slice_montage(model, test_x[i], max_columns=8)

# %%
dk.viz.compare_samplers(
    {"DAS": model, "uniform": dk.UniformSampler(k=K)}, test_x[i], thumbnails=4
)

# %% [markdown]
# ## Next
#
# * The command line trains on these clips with resuming and logging:
#   `das-keras train --dataset pocus --data-dir covid19_ultrasound/data --frames 32
#   --frame-size 64 --output runs/pocus`.
# * Any model trained on these clips inherits the non-commercial terms of most of them.
