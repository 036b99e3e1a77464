"""Test-set metrics with scikit-learn: balanced accuracy and (macro one-vs-rest) AUC."""

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score


def classification_metrics(labels, probabilities):
    """Balanced accuracy and ROC AUC of predicted class probabilities.

    Args:
        labels: int array (N,), true classes.
        probabilities: float array (N, num_classes), predicted probabilities (rows sum to 1).

    Returns:
        dict with "balanced_accuracy", "auc" (binary: of class 1; multi-class: macro one-vs-rest;
        NaN when the labels hold a single class), "accuracy" and "num_samples".

    Shapes:
        labels (N,), probabilities (N, C).

    Example:
        >>> classification_metrics([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])["auc"]
        1.0
    """
    labels = np.asarray(labels).reshape(-1).astype(int)
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim != 2 or probabilities.shape[0] != labels.shape[0]:
        raise ValueError(
            f"`probabilities` must have shape (N, num_classes) with N = len(labels) = "
            f"{labels.shape[0]}; received shape {probabilities.shape}."
        )
    predictions = probabilities.argmax(axis=1)
    auc = float("nan")
    if len(np.unique(labels)) > 1:
        if probabilities.shape[1] == 2:
            auc = float(roc_auc_score(labels, probabilities[:, 1]))
        else:
            auc = float(
                roc_auc_score(
                    labels,
                    probabilities / probabilities.sum(axis=1, keepdims=True),
                    multi_class="ovr",
                    average="macro",
                    labels=list(range(probabilities.shape[1])),
                )
            )
    return {
        "balanced_accuracy": float(balanced_accuracy_score(labels, predictions)),
        "auc": auc,
        "accuracy": float(np.mean(predictions == labels)),
        "num_samples": int(labels.shape[0]),
    }
