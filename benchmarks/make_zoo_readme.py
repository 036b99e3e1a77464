"""Writes zoo/README.md from the presets' metadata.json files (never typed by hand).

python -m benchmarks.make_zoo_readme
"""

import os

from das_keras import zoo

FRONTIER_SETS = ("vessel", "adrenal", "adrenal64", "pocus")
NOT_AVAILABLE_HERE = {
    "organ": "organmnist3d",
    "nodule": "nodulemnist3d",
    "fracture": "fracturemnist3d",
    "synapse": "synapsemnist3d",
}

HEADER = """# das-keras model zoo

Pretrained presets, each a folder with `config.json`, `model.weights.h5`, `metadata.json`
(recipe, test metrics, preprocessing spec, versions, licence) and `manifest.json` (the sha256 of
the other three, checked by every load). Load one in a line:

```python
import das_keras as dk
model = dk.zoo.load("das_vesselmnist3d_28_k25")     # checks config, metadata and weights
model = dk.zoo.load("das_vesselmnist3d_28_k25", 5)  # same backbone, a fresh 5-class head
dk.zoo.preprocessing("das_vesselmnist3d_28_k25")    # input shape, range [0, 1], slice axis
```

and reproduce its test numbers with `das-keras zoo evaluate NAME --data-dir <data folder>`.

**Where they live.** Presets whose licence allows redistribution (MedMNIST3D, CC BY 4.0; synthetic)
are in `das_keras/presets/` and ship in the wheel: after `pip install das-keras` they list and load
offline. The POCUS presets (non-commercial) stay in this `zoo/` folder, outside the package; the
package lists them from `das_keras/presets/catalog.json` with their licence and loads them from
their hub handle (`hf://das-keras/<name>`, with `pip install "das-keras[hub]"`), or by name from a
checkout's `zoo/` (also through `$DAS_KERAS_ZOO`). A name always means the built-in preset; a
folder of the same name loads as `./name`. Other sources: `dk.zoo.load("path/to/folder")`,
`dk.zoo.load("https://host/preset.tar.gz#sha256=<hex>")` (cached by `keras.utils.get_file`,
hash checked), `dk.zoo.load("hf://owner/repo")`. Publish one with
`das-keras zoo upload NAME hf://owner/repo`. After changing presets' files on purpose,
`python -m das_keras.zoo.maintenance` rewrites the manifests and the catalog.
Retired names (`das_vesselmnist3d_28`, `das_adrenalmnist3d_28`, `das_pocus`) still load, with a
warning, for one release: they now mean the k = 50% presets (`dk.zoo.ALIASES`).

The metrics below are those in each metadata.json, measured on the data set's test split; this
file is written by `benchmarks/make_zoo_readme.py`. Selection never looks at the test split.

- **DAS presets** (`das_<set>_<size>_k25`, `_k50`): written by `benchmarks/frontier_presets.py`
  from the method comparison's runs (`benchmarks/compare.py`) with its best recipe: small CNN per
  slice + 1D conv, DAS with one context slice on each side and the learned position term
  (option set `ctx1_pos`), 12 epochs, Adam 1e-3 with a cosine schedule, class-weighted loss, the
  epoch with the lowest validation loss; of the recipe's 3 seeds, the one with the highest
  validation AUC is released. Where it raises that seed's validation ACC, its outputs undo the
  class weights' prior shift (a `PriorCorrection` layer), so the official ACC (argmax; MedMNIST's
  Evaluator thresholds the positive class at 0.5) is meaningful; `prior_correction_choice` in the
  metadata holds both validation ACCs, and `test_metrics_uncorrected` the test metrics of the
  other decision rule. "Recipe AUC" is the mean and std over the 3 seeds; FLOPs
  per volume and the CPU throughput ratio to the full model of the same input (measured side by
  side in one process) are in each metadata's `cost`.
- **Full presets and `das_synthetic`**: `benchmarks/train_zoo.py`, the seed-0 run of the
  comparison's plain recipe (no context, no prior correction).

"""


def table():
    lines = [
        "| preset | data | sampler | k / T | params | test AUC | test ACC | test balanced acc. "
        "| recipe AUC (3 seeds) | MFLOPs / volume | throughput x full | license |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in zoo.list_presets():
        m = zoo.load_metadata(name)
        metrics = m["test_metrics"]
        seeds = m.get("recipe_over_seeds")
        recipe = f"{seeds['test_auc_mean']:.3f} ± {seeds['test_auc_std']:.3f}" if seeds else "-"
        cost = m.get("cost")
        flops = f"{cost['flops_per_volume']['total'] / 1e6:.1f}" if cost else "-"
        ratio = f"{cost['throughput_ratio_to_full']:.2f}" if cost else "-"
        license_text = m["license"]
        if "Non-commercial" in license_text:
            license_text = "**non-commercial research use only** (CC BY-NC data)"
        lines.append(
            f"| `{name}` | {m['dataset']} | {m['sampler']} | {m['k']} / {m['input_shape'][0]} "
            f"| {m['num_params']:,} | {metrics['auc']:.3f} | {metrics['accuracy']:.3f} "
            f"| {metrics['balanced_accuracy']:.3f} | {recipe} | {flops} | {ratio} "
            f"| {license_text} |"
        )
    return "\n".join(lines)


def frontier_section():
    """Each data set's accuracy-versus-cost figure (benchmarks/frontier.py), where it exists."""
    lines = [
        "",
        "## The accuracy/cost frontier",
        "",
        "Test AUC against CPU throughput and FLOPs per volume for every sampler and k of the",
        "comparison (`python -m benchmarks.frontier`; the JSON behind each figure is beside it,",
        "and [docs/results/frontier.md](../docs/results/frontier.md) has the tables).",
        "",
    ]
    results = os.path.join(os.path.dirname(__file__), "..", "docs", "results")
    for dataset in FRONTIER_SETS:
        if os.path.isfile(os.path.join(results, f"frontier_{dataset}.png")):
            lines += [f"![{dataset}](../docs/results/frontier_{dataset}.png)", ""]
    return "\n".join(lines)


def untrained_section():
    lines = [
        "",
        "## Data sets without published weights",
        "",
        "No weights are published for these until they are really trained. Where the data is",
        "available, this command trains a preset with the same recipe and writes it to zoo/:",
        "",
    ]
    for short in NOT_AVAILABLE_HERE:
        lines.append(
            f"    das-keras train --dataset {short} --sampler das --k 0.5 --backbone small_cnn "
            f"--aggregation conv1d --augment --epochs 12 --lr-schedule cosine --patience 12 "
            f"--output runs/das_{short} --save-preset zoo/das_{NOT_AVAILABLE_HERE[short]}_28"
        )
    lines.append(
        "    das-keras train --dataset busv --data-dir <BUSV root> --sampler das --k 0.5 "
        "--frames 32 --frame-size 64 --aggregation conv1d --augment --bn-momentum 0.5 "
        "--epochs 12 --lr-schedule cosine --patience 12 --output runs/das_busv "
        "--save-preset zoo/das_busv"
    )
    lines += [
        "",
        "The POCUS presets (`python -m benchmarks.frontier_presets --only das_pocus_k25 "
        "das_pocus_k50`, `python -m benchmarks.train_zoo --only full_pocus`) use BatchNorm",
        "momentum 0.5 and clip augmentation: with 3 training steps per epoch, the default 0.9",
        "left the moving statistics near their initial values and the model predicted one class.",
        "Their weights are for non-commercial research use only (most clips are CC BY-NC).",
    ]
    return "\n".join(lines)


def main():
    text = HEADER + table() + "\n" + frontier_section() + "\n" + untrained_section() + "\n"
    path = os.path.join(os.path.dirname(__file__), "..", "zoo", "README.md")
    with open(path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
