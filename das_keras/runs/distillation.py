"""Distillation: a subsampling student trained on the labels and on a full-sequence teacher.

The teacher sees all T slices and is frozen; the student (any classifier, typically a DAS model
that sees k of T) is trained on a mix of the recipe's loss on the labels and the Kullback-Leibler
divergence to the teacher's softened output distribution (Hinton et al., 2015). Only the
student is trained and saved; the teacher costs one forward pass per training step.
"""

import keras
from keras import ops

from das_keras import checks

DEFAULT_ALPHA = 0.5
DEFAULT_TEMPERATURE = 2.0
_EPSILON = 1e-7


def soften(probabilities, temperature):
    """Softmax outputs re-tempered: softmax(log(p) / temperature).

    Args:
        probabilities: (B, num_classes) softmax outputs.
        temperature: a number > 0; above 1 flattens the distribution.

    Returns:
        (B, num_classes) probabilities.

    Example:
        >>> soften(np.array([[0.9, 0.1]], "float32"), 2.0)  # doctest: +SKIP
        array([[0.75, 0.25]], dtype=float32)
    """
    logits = _safe_log(probabilities) / temperature
    return ops.softmax(logits, axis=-1)


def distillation_loss(teacher_probabilities, student_probabilities, temperature):
    """KL(teacher || student) of the softened distributions, scaled by temperature**2.

    The scaling keeps the gradient's size independent of the temperature (Hinton et al.).

    Args:
        teacher_probabilities, student_probabilities: (B, num_classes) softmax outputs.
        temperature: a number > 0.

    Returns:
        A scalar: the batch mean.

    Example:
        >>> float(distillation_loss(p, p, 2.0))  # identical outputs  # doctest: +SKIP
        0.0
    """
    teacher = soften(teacher_probabilities, temperature)
    student = soften(student_probabilities, temperature)
    divergence = ops.sum(teacher * (_safe_log(teacher) - _safe_log(student)), axis=-1)
    return ops.mean(divergence) * temperature**2


def settings(distill):
    """The distillation settings of a run, checked and with their defaults filled in.

    Args:
        distill: a dict with "teacher" (a model file, run folder or preset name, as a string)
            and optionally "alpha" (in [0, 1]) and "temperature" (> 0).

    Returns:
        dict {"teacher": str, "alpha": float, "temperature": float}, as run_config.json keeps
        it.

    Example:
        >>> settings({"teacher": "runs/full"})
        {'teacher': 'runs/full', 'alpha': 0.5, 'temperature': 2.0}
    """
    if not isinstance(distill, dict) or not isinstance(distill.get("teacher"), str):
        raise ValueError(
            '`distill` must be a dict with a "teacher" path or preset name (and optionally '
            f'"alpha", "temperature"); received distill={distill!r}.'
        )
    unknown = sorted(set(distill) - {"teacher", "alpha", "temperature"})
    if unknown:
        raise ValueError(
            f'`distill` takes the keys "teacher", "alpha" and "temperature"; received {unknown}.'
        )
    alpha = distill.get("alpha", DEFAULT_ALPHA)
    temperature = distill.get("temperature", DEFAULT_TEMPERATURE)
    return {
        "teacher": distill["teacher"],
        "alpha": checks.check_fraction(alpha, "distill['alpha']", allow_zero=True),
        "temperature": checks.check_positive_number(temperature, "distill['temperature']"),
    }


class Distiller(keras.Model):
    """Wraps a student classifier so that `fit` also matches a frozen teacher's outputs.

    `call` is the student's; the loss is `(1 - alpha) * compiled loss on the labels + alpha *
    distillation_loss(teacher(x), student(x))`. Compile it like the student; its metrics are the
    student's. Save `distiller.student`, not the wrapper (it is not serializable by design: the
    teacher is a training-time aid).

    Args:
        student: a `keras.Model` with softmax outputs (B, num_classes).
        teacher: a `keras.Model` on the same inputs and classes; frozen here.
        alpha: weight of the distillation term, in [0, 1] (0: plain training).
        temperature: a number > 0 for softening both distributions.

    Shapes:
        inputs: whatever the student and the teacher take, e.g. (B, T, H, W, C).
        outputs: (B, num_classes), the student's.

    Example:
        >>> distiller = Distiller(student, teacher, alpha=0.5, temperature=2.0)  # doctest: +SKIP
        >>> distiller.compile("adam", "sparse_categorical_crossentropy")  # doctest: +SKIP
        >>> distiller.fit(train, epochs=1)  # doctest: +SKIP
    """

    def __init__(
        self, student, teacher, alpha=DEFAULT_ALPHA, temperature=DEFAULT_TEMPERATURE, **kwargs
    ):
        super().__init__(**kwargs)
        _check_models(student, teacher)
        checks.check_fraction(alpha, "alpha", allow_zero=True, allow_one=True)
        checks.check_positive_number(temperature, "temperature")
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.built = True  # both models are built: BackupAndRestore needs a built model

    def call(self, inputs, training=False):
        return self.student(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        label_loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if self.alpha == 0.0:
            return label_loss
        teacher = ops.stop_gradient(self.teacher(x, training=False))
        kd = distillation_loss(teacher, y_pred, self.temperature)
        return (1.0 - self.alpha) * label_loss + self.alpha * kd


def _safe_log(probabilities):
    """log(p) with p clipped away from 0: a softmax output that underflows stays finite."""
    return ops.log(ops.clip(probabilities, _EPSILON, 1.0))


def _check_models(student, teacher):
    for name, model in (("student", student), ("teacher", teacher)):
        if not isinstance(model, keras.Model):
            raise TypeError(f"`{name}` must be a keras.Model; received {type(model).__name__}.")
    if tuple(student.input_shape[1:]) != tuple(teacher.input_shape[1:]):
        raise ValueError(
            f"`teacher` must take the student's inputs {tuple(student.input_shape[1:])}; "
            f"received a teacher on {tuple(teacher.input_shape[1:])}."
        )
    if student.output_shape[-1] != teacher.output_shape[-1]:
        raise ValueError(
            f"`teacher` must predict the student's {student.output_shape[-1]} classes; "
            f"received a teacher with {teacher.output_shape[-1]}."
        )
