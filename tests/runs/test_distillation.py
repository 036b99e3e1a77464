"""Distillation: the loss, the wrapper's training, and what it refuses."""

import keras
import numpy as np
import pytest

from das_keras.models import build_classifier
from das_keras.runs.distillation import Distiller, distillation_loss, soften

SHAPE = (8, 12, 12, 1)


def _models():
    keras.utils.set_random_seed(0)
    teacher = build_classifier(SHAPE, 2, "full", backbone="small_cnn")
    # a deterministic sampler, and BatchNorm statistics that follow the few steps of the test
    student = build_classifier(SHAPE, 2, "uniform", k=4, backbone="small_cnn", bn_momentum=0.5)
    return student, teacher


def test_soften_and_loss_by_hand():
    p = np.array([[0.9, 0.1]], "float32")
    # softmax(log p / 2) = sqrt(p) normalised
    expected = np.sqrt(p) / np.sqrt(p).sum()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(soften(p, 2.0)), expected, rtol=1e-5)
    assert float(distillation_loss(p, p, 2.0)) == pytest.approx(0.0, abs=1e-6)
    q = np.array([[0.5, 0.5]], "float32")
    t = expected[0]
    kl = float(np.sum(t * np.log(t / 0.5))) * 4.0
    assert float(distillation_loss(p, q, 2.0)) == pytest.approx(kl, rel=1e-4)


def _gap_after_training(student, teacher, alpha, x, y):
    distiller = Distiller(student, teacher, alpha=alpha, temperature=1.0)
    distiller.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    distiller.fit(x, y, batch_size=8, epochs=10, verbose=0)
    teacher_out = keras.ops.convert_to_numpy(teacher(x, training=False))
    return float(distillation_loss(teacher_out, student.predict(x, verbose=0), 1.0))


def test_distiller_trains_only_the_student_toward_the_teacher():
    student, teacher = _models()
    x = np.random.default_rng(0).normal(size=(16, *SHAPE)).astype("float32")
    y = np.arange(16) % 2
    teacher_before = [w.copy() for w in teacher.get_weights()]
    student_init = [w.copy() for w in student.get_weights()]
    # from the same start: labels only (alpha 0) vs the teacher only (alpha 1)
    gap_labels = _gap_after_training(student, teacher, 0.0, x, y)
    assert any(not np.array_equal(b, a) for b, a in zip(student_init, student.get_weights()))
    student.set_weights(student_init)
    gap_distilled = _gap_after_training(student, teacher, 1.0, x, y)
    assert gap_distilled < gap_labels / 2
    for before, after in zip(teacher_before, teacher.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_distiller_refuses_mismatched_models():
    student, _ = _models()
    other = build_classifier((8, 12, 12, 1), 3, "full", backbone="small_cnn")
    with pytest.raises(ValueError, match="`teacher` must predict the student's 2 classes"):
        Distiller(student, other)
    with pytest.raises(ValueError, match="alpha"):
        Distiller(student, _models()[1], alpha=1.5)
    with pytest.raises(TypeError, match="`teacher` must be a keras.Model"):
        Distiller(student, "full.keras")


def test_train_run_distils_from_a_teacher_run_and_saves_only_the_student(tiny_data, tmp_path):
    from das_keras import cli
    from das_keras.runs import read_config, train_run

    teacher_dir, student_dir = tmp_path / "full", tmp_path / "das"
    train_run(teacher_dir, sampler="full", epochs=1, batch_size=8, verbose=0)
    args = ["train", "--output", str(student_dir), "--sampler", "das", "--k", "4"]
    args += ["--epochs", "1", "--batch-size", "8", "--verbose", "0"]
    args += ["--distill-from", str(teacher_dir), "--distill-alpha", "0.25"]
    assert cli.main(args) == 0
    config = read_config(student_dir)
    assert config["distill"] == {"teacher": str(teacher_dir), "alpha": 0.25, "temperature": 2.0}
    student = keras.models.load_model(student_dir / "model.keras")
    assert not isinstance(student, Distiller)
    assert [layer.__class__.__name__ for layer in student.layers].count("DASLayer") == 1
    assert (
        student.count_params()
        < 2 * keras.models.load_model(teacher_dir / "model.keras").count_params()
    )
    # the same command again finds the finished run (same settings) and does not train again
    assert cli.main(args) == 0
    with pytest.raises(ValueError, match="distill"):
        train_run(student_dir, sampler="das", k=4, epochs=1, batch_size=8, verbose=0)


def test_distill_settings_are_checked():
    from das_keras.runs.distillation import settings

    assert settings({"teacher": "t"}) == {"teacher": "t", "alpha": 0.5, "temperature": 2.0}
    with pytest.raises(ValueError, match='"teacher"'):
        settings({"alpha": 0.5})
    with pytest.raises(ValueError, match="temperatur"):
        settings({"teacher": "t", "temperatur": 2})
    with pytest.raises(ValueError, match=r"distill\['alpha'\]"):
        settings({"teacher": "t", "alpha": 2})
