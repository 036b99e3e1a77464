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

import math
import numbers

import keras
import keras_tuner
from keras import ops

from das_keras.models.aggregation import AGGREGATIONS
from das_keras.models.backbones import BACKBONES

TUNERS = ("random", "bayesian", "hyperband")
OBJECTIVES = {"val_auc": "max", "val_loss": "min"}
DEFAULT_LEARNING_RATE = 1e-3
SMALL_CNN_FILTERS = (32, 64, 128)


@keras.saving.register_keras_serializable(package="das_keras")
class SparseAUC(keras.metrics.AUC):
    """ROC AUC from softmax probabilities and sparse integer labels.

    With two classes it is the AUC of the class-1 probability (as `das_keras.evaluation`
    computes on the test split); with more, the macro average of the one-vs-rest AUCs
    (`keras.metrics.AUC(multi_label=True)` on one-hot labels). Like every `keras.metrics.AUC`
    it approximates the area with `num_thresholds` thresholds.

    Args:
        num_classes: int >= 2, the width of the probability vectors.
        num_thresholds: thresholds of the approximation (more is closer to the exact AUC).
        name: metric name; "auc" makes Keras log "val_auc" for the validation data.
        **kwargs: other `keras.metrics.AUC` arguments (dtype, ...).

    Returns (result):
        A scalar, the AUC in [0, 1].

    Shapes:
        y_true (B,) or (B, 1) ints in [0, num_classes); y_pred (B, num_classes).

    Example:
        >>> metric = SparseAUC(2)
        >>> metric.update_state([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> float(metric.result())
        1.0
    """

    def __init__(self, num_classes=2, num_thresholds=200, name="auc", **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an int >= 2; received num_classes={num_classes!r}."
            )
        kwargs.pop("multi_label", None)
        kwargs.pop("num_labels", None)
        multi = num_classes > 2
        super().__init__(
            num_thresholds=num_thresholds,
            name=name,
            multi_label=multi,
            num_labels=num_classes if multi else None,
            **kwargs,
        )
        self.num_classes = num_classes

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: integer labels and class probabilities (see the class docstring)."""
        y_pred = ops.convert_to_tensor(y_pred)
        labels = ops.reshape(ops.cast(ops.convert_to_tensor(y_true), "int32"), (-1,))
        if sample_weight is not None:
            sample_weight = ops.reshape(ops.convert_to_tensor(sample_weight), (-1,))
        if self.num_classes == 2:
            return super().update_state(
                ops.cast(labels, y_pred.dtype), y_pred[:, 1], sample_weight=sample_weight
            )
        if sample_weight is not None:
            sample_weight = ops.broadcast_to(
                sample_weight[:, None], (ops.shape(labels)[0], self.num_classes)
            )
        return super().update_state(
            ops.one_hot(labels, self.num_classes, dtype=y_pred.dtype),
            y_pred,
            sample_weight=sample_weight,
        )

    def get_config(self):
        config = super().get_config()
        config.pop("multi_label", None)
        config.pop("num_labels", None)
        config.pop("label_weights", None)
        return {**config, "num_classes": self.num_classes}


class DASHyperModel(keras_tuner.HyperModel):
    """A keras-tuner hypermodel over DAS classifiers (`build_classifier(sampler="das")`).

    Each hyperparameter is given as a single value (fixed: recorded as `hp.Fixed`, so it shows
    in every trial's values), or narrowed:

    - discrete ones (`heads`, `k`, `hidden_units`, `width`, `aggregation`): a list or tuple is a
      choice among its values;
    - continuous ones (`tau0`, `learning_rate`): a tuple `(low, high)` is a log-uniform range,
      a list is a choice among its values.

    Every range is checked here, before any trial: a k count above T or below 1, a k fraction
    outside (0, 1], tau0 <= 0, heads < 1, ... raise ValueError.

    Hyperparameter names in the trials: "heads", "tau0", "k", "learning_rate", "width",
    "aggregation", "hidden_units".

    Args:
        input_shape: (T, H, W, C) of the inputs; T bounds k.
        num_classes: int >= 2.
        heads: DAS scaling heads, int >= 1 or a choice; default a choice of 1, 2, 4, 8.
        tau0: DAS base temperature, > 0: a number, a (low, high) log-uniform range or a list;
            default the range (0.1, 5.0).
        k: slices kept: an int count in [1, T] or a float fraction of T in (0, 1], or a choice
            of counts or of fractions (not mixed); default a choice of the fractions 0.25, 0.5.
        learning_rate: Adam learning rate, > 0: None (fixed 1e-3), a number, a (low, high)
            log-uniform range or a list.
        width: multiplier of the small CNN's filters (32, 64, 128), > 0, or a choice; only
            "small_cnn" has a width to tune (keep 1.0 for other backbones).
        aggregation: one of `das_keras.models.AGGREGATIONS`, or a choice of them.
        hidden_units: width of the DAS attention, head and temperature networks (int >= 1),
            or a choice.
        backbone: "small_cnn" (default) or "mobilenetv3small" (fixed).
        objective: "val_auc" (default, maximised) or "val_loss" (minimised).
        seed: int or None; seeds the weights of every trial's model and the DAS Gumbel noise, so
            trials differ only in their hyperparameters.
        sampler_kwargs: other fixed `DASLayer` arguments (e.g. {"temperature": "fixed"}).
        name: name of the hypermodel.
        tunable: see `keras_tuner.HyperModel`.

    Returns (build):
        A compiled `keras.Model` (Adam, sparse categorical cross-entropy, metrics accuracy and
        `SparseAUC` as "auc").

    Example:
        >>> hypermodel = DASHyperModel((28, 28, 28, 1), 2, heads=(1, 2), k=7, tau0=(0.1, 5.0))
        >>> hypermodel.tuned_names
        ['heads', 'tau0']
        >>> tuner = make_tuner(hypermodel, directory="runs/tune", max_trials=2)  # doctest: +SKIP
        >>> tuner.search(train_ds, validation_data=val_ds, epochs=3)  # doctest: +SKIP
        >>> model = tuner.get_best_models(1)[0]  # doctest: +SKIP
    """

    def __init__(
        self,
        input_shape,
        num_classes,
        heads=(1, 2, 4, 8),
        tau0=(0.1, 5.0),
        k=(0.25, 0.5),
        learning_rate=None,
        width=1.0,
        aggregation="mean",
        hidden_units=32,
        backbone="small_cnn",
        objective="val_auc",
        seed=None,
        sampler_kwargs=None,
        name="das_hypermodel",
        tunable=True,
    ):
        super().__init__(name=name, tunable=tunable)
        from das_keras.models.classifier import _check_input_shape

        self.input_shape = _check_input_shape(input_shape)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an int >= 2; received num_classes={num_classes!r}."
            )
        self.num_classes = num_classes
        num_slices = self.input_shape[0]
        if backbone not in BACKBONES:
            raise ValueError(f"`backbone` must be one of {BACKBONES}; received {backbone!r}.")
        if objective not in OBJECTIVES:
            raise ValueError(
                f"`objective` must be one of {tuple(OBJECTIVES)}; received {objective!r}."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an int or None; received seed={seed!r}.")
        sampler_kwargs = dict(sampler_kwargs or {})
        clashes = sorted(set(sampler_kwargs) & {"k", "heads", "tau0", "hidden_units", "name"})
        if clashes:
            raise ValueError(
                f"`sampler_kwargs` must not set {clashes}: they are arguments of DASHyperModel; "
                f"received sampler_kwargs={sampler_kwargs!r}."
            )
        self.backbone = backbone
        self.objective_name = objective
        self.seed = seed
        self.sampler_kwargs = sampler_kwargs
        self.specs = {
            "heads": _discrete_spec("heads", heads, _check_count(1)),
            "tau0": _continuous_spec("tau0", tau0),
            "k": _k_spec(k, num_slices),
            "learning_rate": _continuous_spec(
                "learning_rate", DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
            ),
            "width": _discrete_spec("width", width, _check_positive_number, numeric=True),
            "aggregation": _discrete_spec("aggregation", aggregation, _check_aggregation),
            "hidden_units": _discrete_spec("hidden_units", hidden_units, _check_count(1)),
        }
        if backbone != "small_cnn" and self.specs["width"] != ("fixed", 1.0):
            raise ValueError(
                f"`width` applies to the 'small_cnn' backbone only; received width={width!r} "
                f"with backbone={backbone!r} (use width=1.0)."
            )

    @property
    def objective(self):
        """The `keras_tuner.Objective` to give the tuner ("val_auc" max or "val_loss" min)."""
        return keras_tuner.Objective(self.objective_name, OBJECTIVES[self.objective_name])

    @property
    def tuned_names(self):
        """Names of the hyperparameters that vary (the others are fixed), sorted."""
        return sorted(name for name, spec in self.specs.items() if spec[0] != "fixed")

    def declare_hyperparameters(self, hp):
        """Registers every hyperparameter in `hp` and returns their current values.

        Args:
            hp: a `keras_tuner.HyperParameters`.

        Returns:
            dict name -> value.

        Example:
            >>> hm = DASHyperModel((16, 32, 32, 1), 2, k=4)
            >>> hm.declare_hyperparameters(keras_tuner.HyperParameters())["k"]
            4
        """
        values = {}
        for name, spec in self.specs.items():
            kind = spec[0]
            if kind == "fixed":
                values[name] = hp.Fixed(name, spec[1])
            elif kind == "choice":
                values[name] = hp.Choice(name, list(spec[1]))
            else:
                values[name] = hp.Float(name, spec[1], spec[2], sampling="log")
        return values

    def build(self, hp):
        """Builds and compiles the classifier for one set of hyperparameter values.

        Args:
            hp: a `keras_tuner.HyperParameters`.

        Returns:
            A compiled functional `keras.Model` (B, T, H, W, C) -> (B, num_classes).

        Example:
            >>> hm = DASHyperModel((16, 32, 32, 1), 2, k=4, heads=2, tau0=1.0)
            >>> hm.build(keras_tuner.HyperParameters()).output_shape
            (None, 2)
        """
        from das_keras.models import build_classifier, small_cnn

        values = self.declare_hyperparameters(hp)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        backbone = self.backbone
        if backbone == "small_cnn":
            filters = tuple(max(1, int(round(f * values["width"]))) for f in SMALL_CNN_FILTERS)
            backbone = small_cnn(self.input_shape[1:], filters=filters)
        model = build_classifier(
            self.input_shape,
            self.num_classes,
            sampler="das",
            k=values["k"],
            backbone=backbone,
            aggregation=values["aggregation"],
            sampler_kwargs={
                "heads": values["heads"],
                "tau0": values["tau0"],
                "hidden_units": values["hidden_units"],
                "seed": self.seed,
                **self.sampler_kwargs,
            },
        )
        model.compile(
            keras.optimizers.Adam(values["learning_rate"]),
            "sparse_categorical_crossentropy",
            metrics=["accuracy", SparseAUC(self.num_classes)],
        )
        return model


def make_tuner(
    hypermodel,
    tuner="random",
    directory="das_tune",
    project_name="search",
    max_trials=10,
    max_epochs=None,
    seed=None,
    overwrite=False,
    **kwargs,
):
    """A keras-tuner tuner over a `DASHyperModel`, reloading an existing search by default.

    Args:
        hypermodel: a `DASHyperModel` (its `objective` is the tuner's).
        tuner: "random" (`RandomSearch`), "bayesian" (`BayesianOptimization`) or "hyperband".
        directory: folder of the search; the same folder and project name continue a search.
        project_name: sub-folder of `directory` holding the oracle and the trials.
        max_trials: int >= 1, trials in total (also across resumed runs); for Hyperband a cap on
            its schedule, or None for the whole schedule.
        max_epochs: Hyperband only (required there): epochs of the longest trials.
        seed: int or None, seed of the oracle.
        overwrite: False (default) reloads an existing search; True deletes it first.
        **kwargs: other arguments of the keras-tuner tuner (e.g. `factor`,
            `executions_per_trial`, `distribution_strategy`).

    Returns:
        The tuner; call `tuner.search(train, validation_data=val, epochs=E)`.

    Example:
        >>> tuner = make_tuner(DASHyperModel((28, 28, 28, 1), 2), "hyperband",
        ...                    directory="runs/tune", max_epochs=9)  # doctest: +SKIP
    """
    if not isinstance(hypermodel, DASHyperModel):
        raise ValueError(
            f"`hypermodel` must be a DASHyperModel; received {type(hypermodel).__name__}."
        )
    if tuner not in TUNERS:
        raise ValueError(f"`tuner` must be one of {TUNERS}; received tuner={tuner!r}.")
    if max_trials is not None and (
        isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1
    ):
        raise ValueError(
            f"`max_trials` must be an int >= 1 (or None for Hyperband); "
            f"received max_trials={max_trials!r}."
        )
    if max_trials is None and tuner != "hyperband":
        raise ValueError(f"`max_trials` must be an int >= 1 for tuner={tuner!r}; received None.")
    common = {
        "objective": hypermodel.objective,
        "seed": seed,
        "directory": str(directory),
        "project_name": project_name,
        "overwrite": overwrite,
        **kwargs,
    }
    if tuner == "random":
        return keras_tuner.RandomSearch(hypermodel, max_trials=max_trials, **common)
    if tuner == "bayesian":
        return keras_tuner.BayesianOptimization(hypermodel, max_trials=max_trials, **common)
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise ValueError(
            f"`max_epochs` must be an int >= 1 for Hyperband; received max_epochs={max_epochs!r}."
        )
    result = keras_tuner.Hyperband(hypermodel, max_epochs=max_epochs, **common)
    if max_trials is not None and isinstance(result.oracle, keras_tuner.Oracle):
        result.oracle.max_trials = max_trials  # the oracle stops creating trials at this count
    return result


def is_worker():
    """True in a keras-tuner distributed search in a worker process (not the chief).

    Returns:
        bool: `KERASTUNER_ORACLE_IP` is set and `KERASTUNER_TUNER_ID` does not name the chief.

    Example:
        >>> is_worker()  # doctest: +SKIP
        False
    """
    from keras_tuner.src.distribute import utils

    return utils.has_chief_oracle() and not utils.is_chief_oracle()


def trial_summary(tuner):
    """The trials of a search and its best one, for reports.

    Args:
        tuner: a keras-tuner tuner after (or during) `search` (not on a worker).

    Returns:
        dict with "objective" (name), "direction", "num_trials", "num_completed", "best" (None
        when no trial completed; else {"trial_id", "trial_number", "score", "hyperparameters"}
        without keras-tuner's own "tuner/..." entries; "trial_number" counts from 1 as
        keras-tuner prints "Trial N": trial_id "0" is Trial 1), "trials" (every completed
        trial in that form, in trial order) and "failures" (messages of failed trials).

    Example:
        >>> trial_summary(tuner)["best"]["hyperparameters"]  # doctest: +SKIP
        {'heads': 2, 'tau0': 0.71, 'k': 0.5, ...}
    """
    oracle = tuner.oracle
    trials = list(oracle.trials.values())
    completed = [t for t in trials if t.status == "COMPLETED" and t.score is not None]
    best = _trial_record(oracle.get_best_trials(1)[0]) if completed else None
    return {
        "objective": oracle.objective.name,
        "direction": oracle.objective.direction,
        "num_trials": len(trials),
        "num_completed": len(completed),
        "best": best,
        "trials": [
            _trial_record(t) for t in sorted(completed, key=lambda t: (len(t.trial_id), t.trial_id))
        ],
        "failures": [t.message for t in trials if t.status in ("FAILED", "INVALID") and t.message],
    }


def trial_number(trial_id):
    """The number keras-tuner shows for a trial ("Trial N", "Running Trial #N"), from 1.

    keras-tuner's oracles name each new trial by the count of earlier trials ("0", "1", ...,
    zero-padded to the width of max_trials: "00", "01", ...) and print that count plus one.

    Args:
        trial_id: a keras-tuner trial_id string.

    Returns:
        int, or None for a trial_id that is not such a count (a custom oracle's).

    Example:
        >>> trial_number("01")
        2
    """
    return int(trial_id) + 1 if str(trial_id).isdigit() else None


def tensorboard_callback(log_dir):
    """A TensorBoard callback for `tuner.search(..., callbacks=[...])`, with HParams.

    keras-tuner gives every trial its own copy writing to `log_dir/<trial_id>/execution<N>`,
    and adds the trial's hyperparameters and objective for TensorBoard's HParams dashboard
    (TensorFlow backend; needs the `tensorboard` package). View with `tensorboard --logdir DIR`.

    Args:
        log_dir: folder of the search's logs.

    Returns:
        A `keras.callbacks.TensorBoard` (epoch metrics only: no graph, no profile).

    Example:
        >>> callback = tensorboard_callback("runs/tune/tensorboard")
        >>> tuner.search(train, validation_data=val, callbacks=[callback])  # doctest: +SKIP
    """
    return keras.callbacks.TensorBoard(str(log_dir), write_graph=False, profile_batch=0)


def _trial_record(trial):
    return {
        "trial_id": trial.trial_id,
        "trial_number": trial_number(trial.trial_id),
        "score": float(trial.score),
        "hyperparameters": {
            name: value
            for name, value in trial.hyperparameters.values.items()
            if not name.startswith("tuner/")
        },
    }


# --- argument checks ------------------------------------------------------------------------


def _discrete_spec(name, value, check, numeric=False):
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError(f"`{name}` must not be an empty list; received {name}={value!r}.")
        try:
            values = [check(name, v) for v in value]
        except ValueError as error:
            raise ValueError(f"{error} (an entry of {name}={value!r})") from None
        if numeric:
            values = [float(v) for v in values]
        if len(set(values)) == 1:
            return ("fixed", values[0])
        return ("choice", tuple(dict.fromkeys(values)))
    value = check(name, value)
    return ("fixed", float(value) if numeric else value)


def _continuous_spec(name, value):
    expected = "a number > 0, a (low, high) tuple with 0 < low < high, or a list of numbers > 0"
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"`{name}` as a tuple must be a (low, high) range; received {name}={value!r}."
            )
        low, high = (_check_positive_number(name, v, expected) for v in value)
        if not low < high:
            raise ValueError(
                f"`{name}` range must have low < high; received {name}={value!r} "
                f"(use a single number to fix it)."
            )
        return ("range", float(low), float(high))
    if isinstance(value, list):
        return _discrete_spec(
            name, value, lambda n, v: _check_positive_number(n, v, expected), numeric=True
        )
    return ("fixed", float(_check_positive_number(name, value, expected)))


def _k_spec(value, num_slices):
    values = list(value) if isinstance(value, list | tuple) else [value]
    if not values:
        raise ValueError(f"`k` must not be an empty list; received k={value!r}.")
    for v in values:
        _check_k(v, value, num_slices)
    if len({type(v) for v in values}) > 1:
        raise ValueError(
            f"`k` must hold either counts (ints) or fractions of T (floats), not both; "
            f"received k={value!r}."
        )
    if not isinstance(value, list | tuple):
        return ("fixed", value)
    return _discrete_spec("k", list(values), lambda n, v: v)


def _check_k(v, value, num_slices):
    expected = f"an int in [1, T={num_slices}] or a float fraction of T in (0, 1]"
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"`k` must be {expected}; received k={value!r}.")
    if isinstance(v, float):
        if not (math.isfinite(v) and 0.0 < v <= 1.0):
            raise ValueError(
                f"`k` as a fraction of T must be in (0, 1]; received {v!r} in k={value!r}."
            )
    elif v < 1:
        raise ValueError(f"`k` must be >= 1; received {v!r} in k={value!r} ({expected}).")
    elif v > num_slices:
        raise ValueError(
            f"`k` must be <= T={num_slices}, the number of slices of input_shape; received "
            f"{v!r} in k={value!r} ({expected})."
        )


def _check_count(minimum):
    def check(name, v):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
            raise ValueError(f"`{name}` must be an int >= {minimum}; received {name}={v!r}.")
        return int(v)

    return check


def _check_positive_number(name, v, expected="a number > 0"):
    if (
        isinstance(v, bool)
        or not isinstance(v, numbers.Real)
        or not math.isfinite(float(v))
        or v <= 0
    ):
        raise ValueError(f"`{name}` must be {expected}; received {name}={v!r}.")
    return v


def _check_aggregation(name, v):
    if v not in AGGREGATIONS:
        raise ValueError(f"`{name}` must be one of {AGGREGATIONS}; received {name}={v!r}.")
    return v
