"""Balanced class weights from training labels, for `model.fit(class_weight=...)`."""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def balanced_class_weights(labels):
    """Balanced class weights: weight[c] = N / (num_classes_present * count[c]).

    scikit-learn's "balanced" rule, over the classes present in `labels` (an absent class gets
    no entry; Keras then weighs it 1).

    Args:
        labels: 1-D sequence of int class indices (the training split's labels).

    Returns:
        dict {class index (int): weight (float)}.

    Example:
        >>> balanced_class_weights([0, 0, 0, 1])
        {0: 0.6666666666666666, 1: 2.0}
    """
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        raise ValueError("`labels` must hold at least one label; received an empty sequence.")
    classes = np.unique(labels)
    weights = compute_class_weight("balanced", classes=classes, y=labels)
    return {int(c): float(w) for c, w in zip(classes, weights, strict=True)}


__all__ = ["balanced_class_weights"]
