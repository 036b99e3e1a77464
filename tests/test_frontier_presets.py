"""benchmarks/frontier_presets.py: which seed is released, and what its metadata says of the
recipe's seeds (the presets themselves are tested in tests/test_zoo.py)."""

import pytest

from benchmarks import frontier_presets


def _result(seed, val_auc, test_auc, prior_accuracy=0.9):
    return {
        "seed": seed,
        "val": {"auc": val_auc},
        "test": {"auc": test_auc, "accuracy": 0.8, "balanced_accuracy": 0.7},
        "test_prior": {"auc": test_auc, "accuracy": prior_accuracy},
    }


def test_the_released_seed_is_chosen_on_validation_only():
    results = [_result(0, 0.80, 0.99), _result(1, 0.85, 0.70), _result(2, 0.85, 0.75)]
    assert frontier_presets.released_seed(results) == 1  # best validation; ties: lower seed


def test_over_seeds_gives_mean_std_and_where_the_released_seed_lies():
    results = [_result(0, 0.8, 0.90), _result(1, 0.9, 0.92), _result(2, 0.7, 0.88)]
    summary = frontier_presets.over_seeds(results, released=1)
    assert summary["seeds"] == [0, 1, 2] and summary["released_seed"] == 1
    assert summary["test_auc"] == [0.9, 0.92, 0.88]
    assert summary["test_auc_mean"] == pytest.approx(0.9)
    assert summary["test_auc_std"] == pytest.approx(0.01633, abs=1e-5)
    assert summary["test_accuracy_prior_corrected_mean"] == pytest.approx(0.9)
    assert not summary["released_within_one_std"]  # 0.92 is 0.02 above a mean with std 0.016
    assert frontier_presets.over_seeds(results, released=0)["released_within_one_std"]


def test_every_preset_name_carries_its_k_and_the_64_recipe_resizes_slices():
    for name, (dataset, k) in frontier_presets.PRESETS.items():
        assert name.endswith(f"_k{round(k * 100)}"), name
        expected = {"image_size": 32} if dataset.endswith("64") else {}
        assert frontier_presets.overrides_of(dataset) == expected
        assert ("_64_" in name) == dataset.endswith("64")
