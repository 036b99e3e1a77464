"""A classifier's default compile settings: Adam (optionally with weight averaging), sparse
categorical cross-entropy, accuracy.

They sit with the model builders, as keras-hub's tasks carry their default `compile`, so that
the zoo (`zoo.load(compile=True)`) and the run layer (`das_keras.runs.recipe`, which adds the
schedule and the callbacks) compile alike without the zoo depending on runs.

Example:
    >>> model = compile_model(build_classifier((8, 16, 16, 1), 2, "uniform", k=4))  # doctest: +SKIP
"""

import keras

from das_keras import checks

LOSS = "sparse_categorical_crossentropy"
METRICS = ("accuracy",)
DEFAULT_LEARNING_RATE = 1e-3
EMA_MOMENTUM = 0.99


def optimizer(learning_rate=DEFAULT_LEARNING_RATE, ema=False):
    """The recipe's optimizer: Adam, optionally with an exponential moving average of the weights.

    Args:
        learning_rate: a number > 0 (the starting one under a schedule).
        ema: keep an average of the weights (`use_ema`, momentum 0.99); with
            `keras.callbacks.SwapEMAWeights` validation and checkpoints use it.

    Returns:
        A `keras.optimizers.Adam`.

    Example:
        >>> optimizer(1e-3, ema=True).use_ema
        True
    """
    checks.check_positive_number(learning_rate, "learning_rate")
    return keras.optimizers.Adam(learning_rate, use_ema=ema, ema_momentum=EMA_MOMENTUM)


def compile_model(model, learning_rate=DEFAULT_LEARNING_RATE, ema=False, metrics=METRICS):
    """Compiles a classifier with the recipe: `optimizer(...)`, sparse categorical cross-entropy.

    Args:
        model: a `keras.Model` with softmax outputs (B, num_classes).
        learning_rate, ema: see `optimizer`.
        metrics: Keras metrics (names or objects); default accuracy.

    Returns:
        `model`, compiled.

    Example:
        >>> compile_model(build_classifier((8, 16, 16, 1), 2, "uniform", k=4))  # doctest: +SKIP
    """
    model.compile(optimizer(learning_rate, ema), LOSS, metrics=list(metrics))
    return model
