"""Hyperparameter search for DAS classifiers with keras-tuner.

`DASHyperModel` builds `das_keras.models.build_classifier` models with a `DASLayer` in front and
searches its number of heads, its base temperature tau0 and the number of slices k it keeps, and
optionally the learning rate, the width of the small CNN backbone, the aggregation over slices and
the width of the DAS attention networks. Every hyperparameter can be fixed (one value) or narrowed
(a choice of values, or a range for the continuous ones); the ranges are checked in the
constructor, before any trial runs.

`make_tuner` wraps it in a keras-tuner `RandomSearch`, `BayesianOptimization` or `Hyperband`
tuner that reloads an existing search in the same folder (`overwrite=False`): running the same
search again continues it, and a search interrupted in the middle of a trial keeps its finished
trials and runs the interrupted one again.

Objective: the validation AUC by default (`keras_tuner.Objective("val_auc", "max")`, computed
by `SparseAUC` from softmax outputs and sparse integer labels: the AUC of class 1 for two
classes, the macro one-vs-rest AUC otherwise), or the validation loss (`objective="val_loss"`).

Distributed search (keras-tuner's own chief / worker mode): start the same search several times
with the same `directory` (a folder all processes can read and write) and the environment
variables `KERASTUNER_TUNER_ID` ("chief" for the oracle process, "tuner0", "tuner1", ... for
the workers), `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` (where the chief listens). The
chief only serves the oracle (`tuner.search` blocks until the workers have run all trials);
the workers train. On one machine, with the console script:

    export KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000
    KERASTUNER_TUNER_ID=chief   das-keras tune --dataset vessel --output runs/tune &
    KERASTUNER_TUNER_ID=tuner0  das-keras tune --dataset vessel --output runs/tune &
    KERASTUNER_TUNER_ID=tuner1  das-keras tune --dataset vessel --output runs/tune &
    wait

Nothing here changes for distributed mode: keras-tuner reads the variables itself.
"""

try:
    import keras_tuner  # noqa: F401  (an optional extra: say how to install it)
except ModuleNotFoundError as error:
    raise ModuleNotFoundError(
        f"das_keras.tuning needs keras-tuner ({error}); install it with "
        'pip install "das-keras[tuning]".',
        name="keras_tuner",
    ) from error

from das_keras.tuning.hypermodel import DEFAULT_LEARNING_RATE, OBJECTIVES, DASHyperModel
from das_keras.tuning.metrics import SparseAUC
from das_keras.tuning.tuner import (
    TUNERS,
    is_worker,
    make_tuner,
    tensorboard_callback,
    trial_number,
    trial_summary,
)

__all__ = [
    "DEFAULT_LEARNING_RATE",
    "OBJECTIVES",
    "TUNERS",
    "DASHyperModel",
    "SparseAUC",
    "is_worker",
    "make_tuner",
    "tensorboard_callback",
    "trial_number",
    "trial_summary",
]
