"""`SparseAUC`: ROC AUC of softmax outputs against sparse integer labels (the tune objective)."""

import keras
from keras import ops


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
