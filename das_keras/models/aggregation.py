"""Aggregation of the k slice embeddings (B, k, D) into one vector per input (B, D)."""

import keras
from keras import layers, ops

AGGREGATIONS = ("mean", "max", "attention", "conv1d")


@keras.saving.register_keras_serializable(package="das_keras")
class AttentionPooling(keras.layers.Layer):
    """Learned attention pooling over slices: softmax(w . h_j) weighted sum of the h_j.

    Shapes:
        (B, k, D) -> (B, D).

    Example:
        >>> AttentionPooling()(ops.ones((2, 5, 8))).shape
        (2, 8)
    """

    def build(self, input_shape):
        self.score = layers.Dense(1, name="score")
        self.score.build(input_shape)

    def call(self, inputs):
        weights = ops.softmax(self.score(inputs), axis=1)
        return ops.sum(weights * inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def aggregate(embeddings, method, name="aggregate"):
    """Applies the aggregation `method` to slice embeddings in the functional API.

    Args:
        embeddings: symbolic (B, k, D) tensor, slices in temporal order.
        method: "mean", "max", "attention" (learned weights) or "conv1d" (two 1D convolutions,
            kernel 3, over the ordered slices, then mean).
        name: prefix of the created layers' names.

    Returns:
        Symbolic (B, D) tensor.

    Example:
        >>> x = keras.Input((14, 32))
        >>> aggregate(x, "conv1d").shape
        (None, 32)
    """
    if method == "mean":
        return layers.GlobalAveragePooling1D(name=f"{name}_mean")(embeddings)
    if method == "max":
        return layers.GlobalMaxPooling1D(name=f"{name}_max")(embeddings)
    if method == "attention":
        return AttentionPooling(name=f"{name}_attention")(embeddings)
    if method == "conv1d":
        width = embeddings.shape[-1]
        x = embeddings
        for i in range(2):
            x = layers.Conv1D(width, 3, padding="same", activation="relu", name=f"{name}_conv{i}")(
                x
            )
        return layers.GlobalAveragePooling1D(name=f"{name}_conv_mean")(x)
    raise ValueError(f"`aggregation` must be one of {AGGREGATIONS}; received {method!r}.")
