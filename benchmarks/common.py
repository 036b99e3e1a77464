"""What the benchmarks share: the comparison's recipe, option sets and run cache, the data folders,
the command-line arguments of the reports over that cache, the machine description and the
writing of a report's files.

`RUNS` and `VARIANT_OPTIONS` change with `python -m benchmarks.compare --variant NAME`: read them
as `common.RUNS` (at call time), never through `from benchmarks.common import RUNS`.
"""

import argparse
import json
import os
import platform
from collections import defaultdict

from das_keras import layers

# The order of the methods in the comparison's tables (the report format); a sampler registered
# later in das_keras.layers.SAMPLERS follows them.
REPORT_ORDER = ("full", "random", "uniform", "center", "dps", "adps", "das")
SAMPLERS = (
    *(name for name in REPORT_ORDER if name in layers.SAMPLERS),
    *(name for name in layers.SAMPLERS if name not in REPORT_ORDER),
)
# Methods that are not slice samplers: "volume3d", the full-volume 3D CNN
# (das_keras.models.build_volume_cnn) trained with the comparison's recipe
# (benchmarks/volume_run.py).
VOLUME_METHODS = ("volume3d",)
METHODS = (*SAMPLERS, *VOLUME_METHODS)
WHOLE_INPUT = ("full", *VOLUME_METHODS)  # methods that see every slice: one run serves every k
BACKBONES = {  # name -> build_classifier arguments
    "ours": {"backbone": "small_cnn", "aggregation": "conv1d"},
    "paper": {"backbone": "mobilenetv3small", "aggregation": "conv1d"},
}
RECIPE = {
    "epochs": 12,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "lr_schedule": "cosine",
    "patience": 12,
}
MEDMNIST3D_SETS = ("organ", "nodule", "adrenal", "fracture", "vessel", "synapse")
DATA_SUBDIR = {**dict.fromkeys(MEDMNIST3D_SETS, "medmnist3d"), "pocus": "pocus"}
# MedMNIST3D sizes: a set at size 64 is its own data set in the run cache and the report
# ("adrenal64"); size 28 keeps the plain name.
SIZES = (28, 64)
# Flips and 90-degree turns help AdrenalMNIST3D and POCUS but hurt VesselMNIST3D (a probe with
# every method alike, docs/results/comparison_no_augment.md: DAS 0.788 -> 0.873 test AUC).
AUGMENT = {"vessel": False, "adrenal": True, "pocus": True}
# POCUS has 3 training steps per epoch: with BatchNorm momentum 0.9 the moving statistics keep
# their initial values for many epochs and the model predicts one class at inference.
MODEL_OPTIONS = {"pocus": {"bn_momentum": 0.5}}
# The run cache, and train_run options of a recipe variant (`--variant NAME` switches both, so
# that a variant's runs never mix with the main comparison's).
RUNS = os.path.join("runs", "compare")
VARIANT_OPTIONS = {}
VARIANTS = {  # recipe probes: train_run options applied to every method alike
    "precise_bn": {"precise_bn": True},
    "no_augment": {"augment": False},
    "epochs24": {"epochs": 24},  # twice the epochs (the cosine schedule stretched with them)
}
# Named option sets (`--options NAME`): "sampler" options go to every sampler (fair
# comparisons), "das" options to DAS only, "model" options to build_classifier, "train" options
# to train_run. Runs with an option set are labelled "<sampler>+<name>" in the run cache and the
# report ("das+ctx1_pos"); "default" is the plain comparison.
DAS_POSITIONS = {"learned_positions": True, "position_prior": 4.0}
OPTION_SETS = {
    "default": {},
    "ctx1": {"sampler": {"context": 1}},
    "pos": {"das": DAS_POSITIONS},
    "ctx1_pos": {"sampler": {"context": 1}, "das": DAS_POSITIONS},
    "ctx1_pos_ema": {"sampler": {"context": 1}, "das": DAS_POSITIONS, "train": {"ema": True}},
    "ctx1_pos_axes3": {
        "sampler": {"context": 1},
        "das": DAS_POSITIONS,
        "model": {"slice_axes": [1, 2, 3]},
    },
    "ctx1_axes3": {"sampler": {"context": 1}, "model": {"slice_axes": [1, 2, 3]}},
    # distillation from the data set's full-sequence zoo preset (TEACHERS), alpha 0.5, T = 2
    "ctx1_pos_kd": {
        "sampler": {"context": 1},
        "das": DAS_POSITIONS,
        "train": {"distill": {"teacher": "<full preset>"}},
    },
}
# The teacher of the distillation option sets: the full-sequence preset of each data set (the
# seed-0 run of the plain recipe, benchmarks/train_zoo.py).
TEACHERS = {
    "vessel": "full_vesselmnist3d_28",
    "adrenal": "full_adrenalmnist3d_28",
    "pocus": "full_pocus",
}
SHARED = os.path.join("..", "shared", "data")  # the real data, beside the checkout
# Recipe overrides from the command line (`python -m benchmarks.compare --epochs 24 --lr 3e-3
# --descriptor-size 8`), for choosing a recipe at 64^3 on the validation split: a run with any
# of them is labelled "<sampler>[+<option set>]@<tag>" ("das+ctx1_pos@ep24_lr0.003"), so that
# it never mixes with the default recipe's runs; the default recipe's labels carry no tag.
# `--image-size N` resizes every slice to N x N before the backbone (a model option; at 64^3 it
# cuts the backbone's cost 4x at N = 32).
OVERRIDE_TAGS = {"epochs": "ep", "learning_rate": "lr", "descriptor_size": "ds", "image_size": "px"}
SAMPLER_OVERRIDES = ("descriptor_size",)  # DAS only
MODEL_OVERRIDES = ("image_size",)  # slice samplers only (not the 3D CNN)


def dataset_key(dataset, size=28):
    """The name of `dataset` at MedMNIST3D `size` in the run cache and the report: "adrenal"
    at 28, "adrenal64" at 64 (a key that already names its size is returned as it is)."""
    if size not in SIZES:
        raise ValueError(f"`size` must be one of {SIZES}; received {size!r}.")
    if size == 28 or dataset.endswith(str(size)):
        return dataset
    if dataset not in MEDMNIST3D_SETS:
        raise ValueError(
            f"size {size} applies to the MedMNIST3D sets {MEDMNIST3D_SETS}; received {dataset!r}."
        )
    return f"{dataset}{size}"


def split_dataset_key(key):
    """(data set name, MedMNIST3D size) of a report key: "adrenal64" -> ("adrenal", 64),
    "vessel" -> ("vessel", 28), "pocus" -> ("pocus", 28)."""
    for size in SIZES[1:]:
        base = key[: -len(str(size))]
        if key.endswith(str(size)) and base in MEDMNIST3D_SETS:
            return base, size
    return key, 28


def method_of(label):
    """The sampler (or volume method) of a run label: "das+ctx1_pos@ep24" -> "das"."""
    return label.partition("@")[0].partition("+")[0]


def override_tag(overrides):
    """ "" for no overrides, else "@" and the overrides by their short names ("@ep24_lr0.003")."""
    parts = [f"{OVERRIDE_TAGS[name]}{value:g}" for name, value in sorted((overrides or {}).items())]
    return "@" + "_".join(parts) if parts else ""


def recipe_of(dataset):
    """The train_run options that differ between data sets or variants (the rest is RECIPE)."""
    return {"augment": AUGMENT.get(split_dataset_key(dataset)[0], False), **VARIANT_OPTIONS}


def data_dir_for(dataset, shared):
    """The data folder of `dataset` (a report key: "adrenal64" too) under the shared data
    folder (None: generated data)."""
    dataset = split_dataset_key(dataset)[0]
    return os.path.join(shared, DATA_SUBDIR[dataset]) if dataset in DATA_SUBDIR else None


def sampler_label(sampler, options=None):
    """ "das", or "das_heads8_tau00.5" for a sampler with non-default options."""
    return sampler + "".join(f"_{name}{value:g}" for name, value in sorted((options or {}).items()))


def run_dir(dataset, backbone, k, sampler, seed, options=None):
    """The run cache folder of one run: RUNS/<dataset>/<backbone>/k<k>/<label>/seed<seed>."""
    k_label = "all" if method_of(sampler) in WHOLE_INPUT else f"{k:g}"
    label = sampler_label(sampler, options)
    return os.path.join(RUNS, dataset, backbone, f"k{k_label}", label, f"seed{seed}")


def applicable_overrides(overrides, sampler):
    """The overrides that apply to `sampler`: descriptor_size to DAS only, image_size to the
    slice samplers only (the 3D CNN sees whole volumes)."""
    return {
        name: value
        for name, value in (overrides or {}).items()
        if not (name in SAMPLER_OVERRIDES and sampler != "das")
        and not (name in MODEL_OVERRIDES and sampler in VOLUME_METHODS)
    }


def split_overrides(overrides):
    """(recipe, sampler, model) keyword arguments of recipe overrides: the recipe's go to
    train_run, descriptor_size to the sampler, image_size (N -> (N, N)) to build_classifier."""
    overrides = overrides or {}
    recipe = {n: v for n, v in overrides.items() if n in RECIPE}
    sampler = {n: v for n, v in overrides.items() if n in SAMPLER_OVERRIDES}
    model = {n: (int(v), int(v)) for n, v in overrides.items() if n in MODEL_OVERRIDES}
    return recipe, sampler, model


def option_set(name, sampler, dataset=None):
    """train_run keyword arguments of an option set for one sampler. `dataset` (a report key) picks
    the teacher of a distillation option set (TEACHERS); without it, the teacher is left as a
    placeholder (for callers that build models only)."""
    spec = OPTION_SETS[name]
    sampler_options = {
        **spec.get("sampler", {}),
        **(spec.get("das", {}) if sampler == "das" else {}),
    }
    kwargs = dict(spec.get("train", {}))
    if "distill" in kwargs and dataset is not None:  # no data set: model settings only
        if dataset not in TEACHERS:
            raise ValueError(
                f"option set {name!r} distils from a full preset of {sorted(TEACHERS)}; "
                f"received dataset={dataset!r}."
            )
        kwargs["distill"] = {**kwargs["distill"], "teacher": TEACHERS[dataset]}
    if sampler_options:
        kwargs["sampler_options"] = sampler_options
    if spec.get("model"):
        kwargs["model_options"] = spec["model"]
    return kwargs


def collect(with_options=False):
    """Cached results under RUNS: default sampler options only, unless `with_options`."""
    results = []
    for root, _, files in os.walk(RUNS):
        if "result.json" in files:
            with open(os.path.join(root, "result.json")) as f:
                result = json.load(f)
            result.pop("predictions", None)  # kept in the run folder only
            if with_options or not result.get("options"):
                results.append(result)
    return results


def run_key(result):
    """What identifies a run: its configuration and seed."""
    options = json.dumps(result.get("options") or {}, sort_keys=True)
    return (
        result["dataset"],
        result["backbone"],
        result["k"],
        result["sampler"],
        options,
        result["seed"],
    )


def merge_runs(stored, cached):
    """The union of two lists of run results; a cached run replaces a stored one like it."""
    merged = {run_key(r): r for r in stored}
    merged.update({run_key(r): r for r in cached})
    return sorted(merged.values(), key=run_key)


def cached_configurations(datasets, backbones, samplers=SAMPLERS, min_seeds=1):
    """Cached results with default sampler options and the data set's current recipe, grouped
    by configuration ("vessel/ours/0.5/das"; the full model's k is "all"), sorted by seed."""
    groups = defaultdict(list)
    for r in collect():
        wanted = (
            r["dataset"] in datasets and r["backbone"] in backbones and r["sampler"] in samplers
        )
        if wanted and r.get("recipe") == recipe_of(r["dataset"]):
            k = "all" if method_of(r["sampler"]) in WHOLE_INPUT else f"{r['k']:g}"
            groups[f"{r['dataset']}/{r['backbone']}/{k}/{r['sampler']}"].append(r)
    return {
        key: sorted(runs, key=lambda r: r["seed"])
        for key, runs in groups.items()
        if len(runs) >= min_seeds
    }


def load_report(output):
    """The JSON of the report at `output` (without extension); {} when there is none."""
    path = output + ".json"
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_report_files(output, data, text):
    """Writes `data` to `output`.json (indented) and `text` to `output`.md, as given."""
    with open(output + ".json", "w") as f:
        json.dump(data, f, indent=2)
    with open(output + ".md", "w") as f:
        f.write(text)


def add_selection_arguments(parser, methods=SAMPLERS):
    """--datasets, --backbones, --samplers (all of `methods` by default) and --shared, the data
    folder."""
    parser.add_argument(
        "--datasets", nargs="+", default=["vessel", "adrenal", "pocus", "synthetic"]
    )
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=list(BACKBONES))
    parser.add_argument("--samplers", nargs="+", default=list(methods), choices=methods)
    parser.add_argument("--shared", default=SHARED)
    return parser


def add_training_arguments(parser, name):
    """--seeds, --epochs, --shared, --output (default docs/results/NAME) and --report-only: the
    arguments of a study trained with the comparison's recipe (sensitivity, tuned_vs_default)."""
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--shared", default=SHARED)
    parser.add_argument("--output", default=os.path.join("docs", "results", name))
    parser.add_argument("--report-only", action="store_true")
    return parser


def cache_report_parser(description, name):
    """The arguments of a report over the cached runs (seed_ensemble.py, selection_stats.py):
    those of `add_selection_arguments`, --output (default docs/results/NAME) and --report-only.
    Configurations left out keep their entries in the report."""
    parser = add_selection_arguments(argparse.ArgumentParser(description=description))
    parser.add_argument("--output", default=os.path.join("docs", "results", name))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from its JSON"
    )
    return parser


def parse_cache_report(description, name, argv=None):
    """The arguments of a report over the cached runs (`cache_report_parser`) and the
    configurations its JSON keeps ({} when there is none yet)."""
    args = cache_report_parser(description, name).parse_args(argv)
    return args, load_report(args.output).get("configurations", {})


def int_at_least(minimum):
    """An argparse `type`: a whole number >= `minimum`, else a usage error that says so."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number; received {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; received {value}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


def cpu_name():
    """The CPU model from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else platform.processor() or platform.machine()


def backend_prefix():
    """["KERAS_BACKEND=jax"] when the run is on another backend than TensorFlow, else []."""
    import keras

    backend = keras.backend.backend()
    return [] if backend == "tensorflow" else [f"KERAS_BACKEND={backend}"]


def command_line(module, argv):
    """The command that ran benchmark `module` with `argv`, as a report quotes it."""
    return " ".join([*backend_prefix(), f"python -m benchmarks.{module}", *argv])
