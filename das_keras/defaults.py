"""The defaults of a training run, shared by `das_keras.training.train_run` and `das-keras train`.

This module imports nothing heavy (no Keras, no TensorFlow): the command line builds its parser,
and shows these values in `--help`, without starting TensorFlow. The name tuples repeat
`das_keras.layers.SAMPLERS`, `das_keras.models.BACKBONES` / `AGGREGATIONS` and
`das_keras.training.DATASETS` for the same reason; tests/test_cli.py checks that they agree.

`TRAIN_DEFAULTS` are the values `train_run` and `das-keras train` use when an argument is not
given. `ZOO_RECIPE` is what the zoo presets of the real data sets (MedMNIST3D, POCUS) were
trained with instead (augmentation and BatchNorm momentum chosen per data set; each preset's
metadata.json keeps its full recipe under "recipe"): `das-keras train --aggregation conv1d
--epochs 12 --patience 12 --lr-schedule cosine` trains the same way.

Example:
    >>> from das_keras.defaults import TRAIN_DEFAULTS, ZOO_RECIPE
    >>> TRAIN_DEFAULTS["backbone"], ZOO_RECIPE["aggregation"]
    ('small_cnn', 'conv1d')
"""

SAMPLER_NAMES = ("adps", "center", "das", "dps", "full", "random", "uniform")
BACKBONE_NAMES = ("mobilenetv3small", "small_cnn")
AGGREGATION_NAMES = ("mean", "max", "attention", "conv1d")
MEDMNIST3D_NAMES = ("organ", "nodule", "adrenal", "fracture", "vessel", "synapse")
DATASET_NAMES = ("synthetic", *MEDMNIST3D_NAMES, "pocus", "busv")
LR_SCHEDULE_NAMES = ("constant", "cosine")
STRATEGY_NAMES = ("default", "mirrored", "multi_worker", "tpu")  # das_keras.distribute.STRATEGIES

TRAIN_DEFAULTS = {
    "dataset": "synthetic",
    "sampler": "das",
    "k": 0.5,
    "backbone": "small_cnn",
    "aggregation": "mean",
    "epochs": 30,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "lr_schedule": "constant",
    "bn_momentum": 0.9,
    "precise_bn": False,
    "seed": 0,
    "patience": 10,
    "size": 28,
    "num_frames": 32,
    "frame_size": 64,
    "augment": False,
    "class_weighting": True,
}

ZOO_RECIPE = {"aggregation": "conv1d", "epochs": 12, "patience": 12, "lr_schedule": "cosine"}
