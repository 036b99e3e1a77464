"""Test-set metrics with scikit-learn: balanced accuracy, (macro one-vs-rest) AUC, and MedMNIST's
official ACC."""

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score


def classification_metrics(labels, probabilities):
    """Balanced accuracy and ROC AUC of predicted class probabilities.

    Args:
        labels: int array (N,), true classes.
        probabilities: float array (N, num_classes), predicted probabilities (rows sum to 1).

    Returns:
        dict with "balanced_accuracy", "auc" (binary: of class 1; multi-class: macro one-vs-rest;
        NaN when the labels hold a single class), "accuracy" (MedMNIST's official ACC, see
        `official_accuracy`) and "num_samples".

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
        "accuracy": official_accuracy(labels, probabilities),
        "num_samples": int(labels.shape[0]),
    }


def official_accuracy(labels, probabilities, threshold=0.5):
    """MedMNIST's ACC, as its `Evaluator` computes it.

    Binary tasks: the positive (last) class's probability > `threshold`; multi-class tasks:
    the arg-max class. For a two-class softmax at 0.5 this equals the arg-max accuracy.

    Args:
        labels: int array (N,), true classes.
        probabilities: float array (N, C).
        threshold: float, the binary decision threshold (MedMNIST: 0.5).

    Returns:
        float, the share of correct predictions.

    Shapes:
        labels (N,), probabilities (N, C).

    Example:
        >>> official_accuracy([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        0.6666666666666666
    """
    labels = np.asarray(labels).reshape(-1).astype(int)
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.shape[-1] == 2:
        predictions = (probabilities[:, -1] > threshold).astype(int)
    else:
        predictions = probabilities.argmax(axis=1)
    return float(np.mean(predictions == labels))
