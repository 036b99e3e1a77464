"""Writes zoo/README.md from the presets' metadata.json files (never typed by hand).

python -m benchmarks.make_zoo_readme
"""

import os

from das_keras import zoo

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
model = dk.zoo.load("das_vesselmnist3d_28")                 # checks config, metadata and weights
model = dk.zoo.load("das_vesselmnist3d_28", num_classes=5)  # same backbone, a fresh head
dk.zoo.preprocessing("das_vesselmnist3d_28")                # input shape, range [0, 1], slice axis
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
The metrics below are those in each metadata.json, measured on the data set's test split
(selection on the validation split only) by `benchmarks/train_zoo.py`, which takes each MedMNIST3D
and POCUS preset from the seed-0 run of the method comparison (`benchmarks/compare.py`: small CNN
per slice + 1D conv, 12 epochs, Adam 1e-3 with a cosine schedule, the epoch with the lowest
class-weighted validation loss); this table is written by `benchmarks/make_zoo_readme.py`.

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
        "The POCUS presets (`python -m benchmarks.train_zoo --only das_pocus full_pocus`) use "
        "BatchNorm",
        "momentum 0.5 and clip augmentation: with 3 training steps per epoch, the default 0.9",
        "left the moving statistics near their initial values and the model predicted one class.",
        "Their weights are for non-commercial research use only (most clips are CC BY-NC).",
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
