"""MedMNIST's ACC and the prior correction of class-weighted models (issue 19)."""

import keras
import numpy as np
import pytest

from das_keras import calibration
from das_keras.evaluation import classification_metrics, official_accuracy


def test_official_accuracy_matches_a_hand_computed_value_and_medmnists_formula():
    labels = np.array([0, 1, 1, 0, 1])
    probabilities = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5], [0.3, 0.7], [0.2, 0.8]])
    # by hand: predictions 0, 1, 0 (0.5 is not > 0.5), 1, 1 -> 3 of 5 correct
    assert official_accuracy(labels, probabilities) == pytest.approx(0.6)
    medmnist_rule = np.mean((probabilities[:, -1] > 0.5) == labels)  # medmnist.evaluator.getACC
    assert official_accuracy(labels, probabilities) == pytest.approx(medmnist_rule)
    assert classification_metrics(labels, probabilities)["accuracy"] == pytest.approx(0.6)
    multi = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    assert official_accuracy([1, 2], multi) == pytest.approx(0.5)


def test_prior_correction_keeps_the_ranking_and_renormalises():
    probabilities = np.random.default_rng(0).dirichlet([1, 1], size=50)
    corrected = calibration.prior_correction(probabilities, {0: 0.5, 1: 5.0})
    np.testing.assert_allclose(corrected.sum(-1), 1.0)
    assert np.all(np.argsort(corrected[:, 1]) == np.argsort(probabilities[:, 1]))
    layer = calibration.PriorCorrection([0.5, 5.0])
    np.testing.assert_allclose(
        np.asarray(layer(probabilities.astype("float32"))), corrected, atol=1e-6
    )
    with pytest.raises(ValueError, match="class_weight"):
        calibration.PriorCorrection([1.0, -1.0])


def test_prior_correction_moves_the_positive_rate_toward_the_prior(tmp_path):
    rng = np.random.default_rng(0)
    n, prior = 600, 0.1
    y = (rng.random(n) < prior).astype(int)
    x = (rng.normal(size=(n, 4)) + 0.8 * y[:, None]).astype("float32")  # weakly separable
    weights = {0: n / (2 * np.sum(y == 0)), 1: n / (2 * np.sum(y == 1))}
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=30, batch_size=64, class_weight=weights, verbose=0)
    raw = model.predict(x, verbose=0)
    corrected_model = calibration.with_prior_correction(model, weights)
    corrected = corrected_model.predict(x, verbose=0)
    raw_gap = abs(raw[:, 1].mean() - y.mean())
    corrected_gap = abs(corrected[:, 1].mean() - y.mean())
    assert corrected_gap < raw_gap / 2, (raw[:, 1].mean(), corrected[:, 1].mean(), y.mean())
    assert official_accuracy(y, corrected) > official_accuracy(y, raw)
    path = tmp_path / "corrected.keras"
    corrected_model.save(path)
    np.testing.assert_allclose(
        keras.models.load_model(path).predict(x, verbose=0), corrected, atol=1e-6
    )


def test_best_threshold_is_chosen_on_balanced_accuracy():
    assert calibration.best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.9]) == pytest.approx(0.35)
    with pytest.raises(ValueError, match="same length"):
        calibration.best_threshold([0, 1], [0.5])
