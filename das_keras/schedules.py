"""Learning-rate schedules as Keras callbacks."""

import math

import keras


class CosineSchedule(keras.callbacks.Callback):
    """A per-epoch half cosine from the optimizer's starting learning rate down to 0.

    The starting rate is read from the optimizer when training begins, so one callback serves
    models compiled with different rates (keras-tuner trials, where the rate may be searched).
    Epoch e of `epochs` trains at `0.5 * start * (1 + cos(pi * e / epochs))`.

    Args:
        epochs: int >= 1, the epochs over which the rate falls to 0.

    Example:
        >>> tuner.search(train, validation_data=val, epochs=8,
        ...              callbacks=[CosineSchedule(8)])  # doctest: +SKIP
    """

    def __init__(self, epochs):
        super().__init__()
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"`epochs` must be an int >= 1; received epochs={epochs!r}.")
        self.epochs = epochs
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_begin(self, epoch, logs=None):
        rate = 0.5 * self.start * (1.0 + math.cos(math.pi * epoch / self.epochs))
        self.model.optimizer.learning_rate.assign(rate)
