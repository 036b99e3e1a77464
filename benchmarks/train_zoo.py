"""Trains the zoo presets on the real data and writes them to zoo/<name>/.

Each preset is trained with `das_keras.training.train_run` (model selection on the validation
loss only), evaluated once on the test split, and saved with `das_keras.zoo.save` together with
its recipe and test metrics. Re-run a preset with:

    python benchmarks/train_zoo.py --shared ../shared/data --only das_vesselmnist3d_28

Runs are kept in runs/zoo/<name> (resumable); the preset folders are overwritten.
"""

import argparse
import os
import sys

RECIPE = {  # shared by every preset; the benchmark issue may settle on a better one
    "backbone": "small_cnn",
    "aggregation": "conv1d",
    "epochs": 30,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "patience": 8,
    "class_weighting": True,
}

PRESETS = {
    "das_synthetic": dict(
        dataset="synthetic",
        sampler="das",
        k=8,
        aggregation="max",
        epochs=12,
        patience=12,
        description="DAS on the synthetic demo task, k = 8 of 32",
    ),
    "das_vesselmnist3d_28": dict(dataset="vessel", sampler="das", k=0.5, augment=True),
    "full_vesselmnist3d_28": dict(dataset="vessel", sampler="full", augment=True),
    "das_adrenalmnist3d_28": dict(dataset="adrenal", sampler="das", k=0.5, augment=True),
    "full_adrenalmnist3d_28": dict(dataset="adrenal", sampler="full", augment=True),
    "das_pocus": dict(dataset="pocus", sampler="das", k=0.5),
    "full_pocus": dict(dataset="pocus", sampler="full"),
}


def data_dir_for(dataset, shared):
    if dataset in ("vessel", "adrenal"):
        return os.path.join(shared, "medmnist3d")
    if dataset == "pocus":
        return os.path.join(shared, "pocus")
    return None


def train_preset(name, shared, seed=0, verbose=2):
    """Trains one preset (resuming its run folder) and writes zoo/<name>."""
    from das_keras.training import save_run_as_preset, train_run

    spec = {**RECIPE, **PRESETS[name]}
    description = spec.pop("description", None)
    dataset = spec.pop("dataset")
    data_dir = data_dir_for(dataset, shared)
    run_dir = os.path.join("runs", "zoo", name)
    train_run(run_dir, dataset, seed=seed, data_dir=data_dir, verbose=verbose, **spec)
    return save_run_as_preset(run_dir, os.path.join("zoo", name), name, description, data_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        default=os.path.join("..", "shared", "data"),
        help="folder holding medmnist3d/ and pocus/",
    )
    parser.add_argument("--only", nargs="*", default=list(PRESETS), choices=list(PRESETS))
    args = parser.parse_args(argv)
    for name in args.only:
        metadata = train_preset(name, args.shared)
        print(name, metadata["test_metrics"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
