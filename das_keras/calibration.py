"""Decision rules for class-weighted models: undo the weights' prior shift, or pick a threshold.

Training with balanced class weights w_c multiplies each class's share of the loss by w_c, so the
model learns p_w(c | x) proportional to w_c p(c | x): its probabilities lean toward the rare class
and thresholding them at 0.5 (MedMNIST's ACC) answers "rare" far too often. Dividing by w_c and
renormalising (a logit adjustment by -log w_c) gives back probabilities calibrated to the class
prior, and leaves the ranking of one class's scores, hence the AUC, unchanged.
"""

import keras
import numpy as np
from keras import ops
from sklearn.metrics import balanced_accuracy_score


def prior_correction(probabilities, class_weight):
    """Undoes the prior shift of class weighting: p_c / w_c, renormalised.

    Args:
        probabilities: float array (N, C) of a model trained with `class_weight`.
        class_weight: {class: weight} as given to `model.fit`, or a sequence of C weights.

    Returns:
        float array (N, C), rows summing to 1.

    Shapes:
        (N, C) -> (N, C).

    Example:
        >>> prior_correction([[0.5, 0.5]], {0: 0.5, 1: 4.0}).round(3).tolist()
        [[0.889, 0.111]]
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    weights = _weights_array(class_weight, probabilities.shape[-1])
    corrected = probabilities / weights
    return corrected / corrected.sum(axis=-1, keepdims=True)


def best_threshold(labels, positive_scores):
    """The threshold on the positive-class score that maximises balanced accuracy.

    Meant for the validation split; the test split then uses the threshold found there.

    Args:
        labels: int array (N,) of 0 / 1.
        positive_scores: float array (N,), the positive class's probability.

    Returns:
        float, a threshold t: predict positive where score >= t.

    Example:
        >>> best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.9])
        0.35
    """
    labels = np.asarray(labels).reshape(-1).astype(int)
    scores = np.asarray(positive_scores, dtype="float64").reshape(-1)
    if labels.shape != scores.shape:
        raise ValueError(
            f"`labels` and `positive_scores` must have the same length; received "
            f"{labels.shape[0]} and {scores.shape[0]}."
        )
    candidates = np.unique(scores)
    values = [balanced_accuracy_score(labels, scores >= t) for t in candidates]
    return float(candidates[int(np.argmax(values))])


@keras.saving.register_keras_serializable(package="das_keras")
class PriorCorrection(keras.layers.Layer):
    """Divides class probabilities by the training class weights and renormalises.

    Appended to a model trained with class weights (see `with_prior_correction`), it makes the
    model's probabilities calibrated to the class prior, so that thresholding at 0.5 (MedMNIST's
    ACC) is meaningful. It has no trainable weights.

    Args:
        class_weight: list of C floats > 0, the weights used in training (class order).
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        (B, C) probabilities.

    Shapes:
        (B, C) -> (B, C).

    Example:
        >>> PriorCorrection([0.5, 4.0])(ops.array([[0.5, 0.5]])).numpy().round(3).tolist()
        [[0.889, 0.111]]
    """

    def __init__(self, class_weight, **kwargs):
        super().__init__(**kwargs)
        weights = [float(w) for w in class_weight]
        if len(weights) < 2 or min(weights) <= 0:
            raise ValueError(
                f"`class_weight` must be a list of >= 2 weights > 0; received {class_weight!r}."
            )
        self.class_weight = weights

    def call(self, inputs):
        corrected = inputs / ops.convert_to_tensor(self.class_weight, dtype=inputs.dtype)
        return corrected / ops.sum(corrected, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "class_weight": self.class_weight}


def with_prior_correction(model, class_weight):
    """A model whose outputs are `model`'s probabilities with the class-weight shift undone.

    Args:
        model: a `keras.Model` with a (B, C) probability output, trained with `class_weight`.
        class_weight: {class: weight} or a sequence of C weights.

    Returns:
        A functional `keras.Model` sharing `model`'s layers, ending in `PriorCorrection`.

    Example:
        >>> corrected = with_prior_correction(model, {0: 0.56, 1: 4.45})  # doctest: +SKIP
    """
    weights = _weights_array(class_weight, model.output_shape[-1]).tolist()
    outputs = PriorCorrection(weights, name="prior_correction")(model.output)
    return keras.Model(model.inputs, outputs, name=model.name)


def _weights_array(class_weight, num_classes):
    if isinstance(class_weight, dict):
        weights = [class_weight.get(c, 1.0) for c in range(num_classes)]
    else:
        weights = list(class_weight)
    weights = np.asarray(weights, dtype="float64")
    if weights.shape != (num_classes,) or np.any(weights <= 0):
        raise ValueError(
            f"`class_weight` must give a weight > 0 for each of the {num_classes} classes; "
            f"received {class_weight!r}."
        )
    return weights
