"""Trains the zoo presets on the real data: das_keras/presets/<name>/ (shipped) or zoo/<name>/.

A preset is the seed-0 run of the method comparison (benchmarks/compare.py): the same recipe,
backbone and run folder (runs/compare/...), so a run that the comparison already finished is
not trained again. Model selection uses the validation loss only; the test split is evaluated
once, for the published number, and saved with `das_keras.zoo.save` together with the recipe.

    python -m benchmarks.train_zoo --shared ../shared/data --only full_vesselmnist3d_28
    python -m benchmarks.make_zoo_readme     # then regenerate zoo/README.md

The preset folders are overwritten. `das_synthetic` (the demo model: k = 8 of 32, max pooling
over slices) has its own recipe and run folder, runs/zoo/das_synthetic.
"""

import argparse
import os
import sys

from benchmarks import common
from benchmarks.compare import run_one
from das_keras.training import save_run_as_preset, train_run
from das_keras.zoo import maintenance

# The DAS presets of the MedMNIST3D sets and POCUS are on the accuracy/cost frontier, at two k
# each, with the comparison's best recipe: benchmarks/frontier_presets.py writes them.
PRESETS = {  # name -> (dataset, sampler, description)
    "full_vesselmnist3d_28": ("vessel", "full", "All 28 slices (the reference for DAS)"),
    "full_adrenalmnist3d_28": ("adrenal", "full", "All 28 slices (the reference for DAS)"),
    "full_pocus": ("pocus", "full", "All 32 frames; non-commercial research use"),
}
SYNTHETIC = {  # das_synthetic: the demo's setting
    "sampler": "das",
    "k": 8,
    "backbone": "small_cnn",
    "aggregation": "max",
    "epochs": 12,
    "patience": 12,
    "batch_size": 32,
    "learning_rate": 1e-3,
}


def preset_folder(name, dataset):
    """das_keras/presets/ ships in the wheel; zoo/ keeps the non-commercial (POCUS) presets."""
    return os.path.join("zoo" if dataset == "pocus" else os.path.join("das_keras", "presets"), name)


def train_preset(name, shared, seed=0):
    """Trains one preset (or reuses the comparison's run) and writes zoo/<name>."""
    if name == "das_synthetic":
        run_dir = os.path.join("runs", "zoo", name)
        train_run(run_dir, "synthetic", seed=seed, verbose=2, **SYNTHETIC)
        description = "DAS on the synthetic demo task, k = 8 of 32"
        return save_run_as_preset(run_dir, preset_folder(name, "synthetic"), name, description)
    dataset, sampler, description = PRESETS[name]
    k = 0.5
    run_one(dataset, "ours", k, sampler, seed, shared, common.RECIPE["epochs"])
    run_dir = common.run_dir(dataset, "ours", k, sampler, seed)
    data_dir = common.data_dir_for(dataset, shared)
    folder = preset_folder(name, dataset)
    return save_run_as_preset(run_dir, folder, name, description, data_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        default=common.SHARED,
        help="folder holding medmnist3d/ and pocus/",
    )
    names = ["das_synthetic", *PRESETS]
    parser.add_argument("--only", nargs="*", default=names, choices=names)
    args = parser.parse_args(argv)
    for name in args.only:
        metadata = train_preset(name, args.shared)
        print(name, metadata["test_metrics"], flush=True)
    return maintenance.main()  # manifests, and the catalog of the presets the wheel leaves out


if __name__ == "__main__":
    sys.exit(main())
