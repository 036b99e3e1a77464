"""The training recipe in one place: optimizer, loss, metrics, learning-rate schedule, callbacks.

`train_run`, `das-keras tune` (`DASHyperModel`) and the demo compile and schedule through here,
so a change of recipe is one edit. The compile settings themselves are the classifier's defaults
(`das_keras.models.compile_settings`, re-exported here), which `zoo.load(compile=True)` uses too.

Example:
    >>> model = compile_model(model, learning_rate=1e-3, ema=True)  # doctest: +SKIP
    >>> callbacks = recipe_callbacks(train, epochs=12, lr_schedule="cosine")  # doctest: +SKIP
"""

import math

import keras

from das_keras import checks
from das_keras.batch_norm import PreciseBatchNorm
from das_keras.layers import SAMPLERS
from das_keras.models.compile_settings import (  # noqa: F401  (part of the recipe)
    DEFAULT_LEARNING_RATE,
    EMA_MOMENTUM,
    LOSS,
    METRICS,
    compile_model,
    optimizer,
)

LR_SCHEDULES = ("constant", "cosine")
PRECISE_BN_BATCHES = 20


class CosineSchedule(keras.callbacks.Callback):
    """A per-epoch half cosine from the starting learning rate down to 0.

    Epoch e of `epochs` trains at `0.5 * start * (1 + cos(pi * e / epochs))`; the rate is also
    logged as "learning_rate" at each epoch's end. Without `start` the rate is read from the
    optimizer when training begins, so one callback serves models compiled with different rates
    (keras-tuner trials, where the rate may be searched).

    Args:
        epochs: int >= 1, the epochs over which the rate falls to 0.
        start: the starting rate, or None to read it from the optimizer at the start of `fit`
            (give it where `fit` may resume: a restored optimizer holds a later rate).

    Example:
        >>> tuner.search(train, validation_data=val, epochs=8,
        ...              callbacks=[CosineSchedule(8)])  # doctest: +SKIP
    """

    def __init__(self, epochs, start=None):
        super().__init__()
        self.epochs = checks.check_positive_int(epochs, "epochs")
        self.start = checks.check_positive_number(start, "start", allow_none=True)
        self._given_start = self.start

    def on_train_begin(self, logs=None):
        if self._given_start is None:
            self.start = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_begin(self, epoch, logs=None):
        rate = 0.5 * self.start * (1.0 + math.cos(math.pi * epoch / self.epochs))
        self.model.optimizer.learning_rate.assign(rate)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            rate = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(rate))


def recipe_callbacks(
    train,
    epochs,
    lr_schedule="constant",
    learning_rate=None,
    precise_bn=False,
    ema=False,
    precise_bn_batches=PRECISE_BN_BATCHES,
):
    """The callbacks of the recipe's options, in the order `fit` needs them.

    Args:
        train: the training data (a `tf.data.Dataset` or an array), for precise BatchNorm.
        epochs: the epochs of `fit` (the cosine falls to 0 over them).
        lr_schedule: one of `LR_SCHEDULES`.
        learning_rate: the starting rate of the cosine, or None to read it from the optimizer.
        precise_bn: recompute the BatchNorm statistics before every validation
            (`das_keras.batch_norm.PreciseBatchNorm`).
        ema: swap in the averaged weights at each epoch's end (`SwapEMAWeights`); the model
            must be compiled with `ema=True`.
        precise_bn_batches: training batches precise BatchNorm reads.

    Returns:
        list of callbacks: EMA swap first (the averaged weights are in place for every later
        callback at an epoch's end), then precise BatchNorm, then the schedule.

    Example:
        >>> recipe_callbacks(train, 12, "cosine", precise_bn=True)  # doctest: +SKIP
    """
    checks.check_choice(lr_schedule, "lr_schedule", LR_SCHEDULES)
    callbacks = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if ema else []
    if precise_bn:
        callbacks.append(PreciseBatchNorm(train, num_batches=precise_bn_batches))
    if lr_schedule == "cosine":
        callbacks.append(CosineSchedule(epochs, learning_rate))
    return callbacks


def sampler_kwargs(sampler, seed, options=None):
    """The seed for a sampler that draws noise (its class says so: `draws_noise`), plus options.

    Args:
        sampler: a registered sampler name (`das_keras.layers.SAMPLERS`).
        seed: int seed of the run.
        options: dict of other sampler arguments, or None.

    Returns:
        dict of keyword arguments for the sampler, or None when there are none.

    Example:
        >>> sampler_kwargs("uniform", 0), sampler_kwargs("das", 3)
        (None, {'seed': 3})
    """
    checks.check_choice(sampler, "sampler", sorted(SAMPLERS))
    kwargs = {"seed": seed} if SAMPLERS[sampler].draws_noise else {}
    kwargs.update(options or {})
    return kwargs or None
