"""`DASHyperModel`: the search space over DAS classifiers, checked before any trial."""

import keras
import keras_tuner

from das_keras import checks
from das_keras.models import build_classifier, small_cnn
from das_keras.models.aggregation import AGGREGATIONS
from das_keras.models.backbones import BACKBONES
from das_keras.models.classifier import _check_input_shape
from das_keras.runs import recipe
from das_keras.tuning.metrics import SparseAUC

OBJECTIVES = {"val_auc": "max", "val_loss": "min"}
DEFAULT_LEARNING_RATE = recipe.DEFAULT_LEARNING_RATE
SMALL_CNN_FILTERS = (32, 64, 128)


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
        self.input_shape = _check_input_shape(input_shape)
        self.num_classes = checks.check_positive_int(num_classes, "num_classes", minimum=2)
        num_slices = self.input_shape[0]
        checks.check_choice(backbone, "backbone", BACKBONES)
        checks.check_choice(objective, "objective", OBJECTIVES)
        checks.check_positive_int(seed, "seed", minimum=0, allow_none=True)
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
            "heads": _discrete_spec("heads", heads, checks.check_positive_int),
            "tau0": _continuous_spec("tau0", tau0),
            "k": _k_spec(k, num_slices),
            "learning_rate": _continuous_spec(
                "learning_rate", DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
            ),
            "width": _discrete_spec("width", width, checks.check_positive_number, numeric=True),
            "aggregation": _discrete_spec("aggregation", aggregation, _check_aggregation),
            "hidden_units": _discrete_spec("hidden_units", hidden_units, checks.check_positive_int),
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
        return recipe.compile_model(
            model, values["learning_rate"], metrics=["accuracy", SparseAUC(self.num_classes)]
        )


# --- argument checks ------------------------------------------------------------------------


def _discrete_spec(name, value, check, numeric=False):
    """("fixed", value) or ("choice", values), each value checked by `check(value, name)`."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError(f"`{name}` must not be an empty list; received {name}={value!r}.")
        try:
            values = [check(v, name) for v in value]
        except ValueError as error:
            raise type(error)(f"{error} (an entry of {name}={value!r})") from None
        if numeric:
            values = [float(v) for v in values]
        if len(set(values)) == 1:
            return ("fixed", values[0])
        return ("choice", tuple(dict.fromkeys(values)))
    value = check(value, name)
    return ("fixed", float(value) if numeric else value)


def _continuous_spec(name, value):
    """("fixed", v), ("choice", values) or ("range", low, high) of a number > 0."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"`{name}` as a tuple must be a (low, high) range; received {name}={value!r}."
            )
        low, high = (checks.check_positive_number(v, name) for v in value)
        if not low < high:
            raise ValueError(
                f"`{name}` range must have low < high; received {name}={value!r} "
                f"(use a single number to fix it)."
            )
        return ("range", low, high)
    return _discrete_spec(name, value, checks.check_positive_number, numeric=True)


def _k_spec(value, num_slices):
    """k as a count or a fraction of T, or a choice of either kind (not mixed)."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    if len({type(v) for v in values}) > 1:
        raise ValueError(
            f"`k` must hold either counts (ints) or fractions of T (floats), not both; "
            f"received k={value!r}."
        )
    # checked by resolving each entry against T; the spec keeps k as given (fraction or count)
    _discrete_spec("k", value, lambda v, name: checks.resolve_k(v, num_slices, name))
    return _discrete_spec("k", value, lambda v, name: v)


def _check_aggregation(value, name):
    return checks.check_choice(value, name, AGGREGATIONS)
