"""Writes zoo/README.md from the presets' metadata.json files (never typed by hand).

python benchmarks/make_zoo_readme.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from das_keras import zoo  # noqa: E402

NOT_AVAILABLE_HERE = {
    "organ": "organmnist3d",
    "nodule": "nodulemnist3d",
    "fracture": "fracturemnist3d",
    "synapse": "synapsemnist3d",
}

HEADER = """# das-keras model zoo

Pretrained presets, each a folder with `config.json`, `model.weights.h5` and `metadata.json`
(recipe, test metrics, versions, sha256 of the weights, license). Load one in a line:

```python
import das_keras as dk
model = dk.zoo.load("das_vesselmnist3d_28")   # checks the weights' sha256
```

and reproduce its test numbers with `das-keras zoo evaluate NAME --data-dir <data folder>`.
The metrics below are those in each metadata.json, measured on the data set's test split
(selection on the validation split only) by `benchmarks/train_zoo.py`; this table is written by
`benchmarks/make_zoo_readme.py`.

"""


def table():
    lines = [
        "| preset | data | sampler | k / T | input shape | params | test balanced acc. | "
        "test AUC | license |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in zoo.list_presets():
        m = zoo.load_metadata(name)
        shape = m["input_shape"]
        metrics = m["test_metrics"]
        license_text = m["license"]
        if "Non-commercial" in license_text:
            license_text = "**non-commercial research use only** (CC BY-NC data)"
        lines.append(
            f"| `{name}` | {m['dataset']} | {m['sampler']} | {m['k']} / {shape[0]} "
            f"| {tuple(shape)} | {m['num_params']:,} | {metrics['balanced_accuracy']:.3f} "
            f"| {metrics['auc']:.3f} | {license_text} |"
        )
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
            f"--aggregation conv1d --augment --epochs 30 --patience 8 --output runs/das_{short} "
            f"--save-preset zoo/das_{NOT_AVAILABLE_HERE[short]}_28"
        )
    lines.append(
        "    das-keras train --dataset busv --data-dir <BUSV root> --sampler das --k 0.5 "
        "--frames 32 --frame-size 64 --aggregation conv1d --epochs 30 --patience 8 "
        "--output runs/das_busv --save-preset zoo/das_busv"
    )
    lines += [
        "",
        "POCUS (covid / pneumonia / regular clips): `benchmarks/train_zoo.py --only das_pocus "
        "full_pocus`",
        "trains both presets, but with this recipe (small CNN from scratch, 32 frames of 64x64,",
        "87 training clips) neither learned: both predicted a single class on the 18 test clips",
        "(balanced accuracy 0.333), so they are not published. Weights trained on this data would",
        "be",
        "for non-commercial research use only (most clips are CC BY-NC).",
    ]
    return "\n".join(lines)


def main():
    text = HEADER + table() + "\n" + untrained_section() + "\n"
    path = os.path.join(os.path.dirname(__file__), "..", "zoo", "README.md")
    with open(path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
