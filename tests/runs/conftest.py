"""Fixtures of the run-layer tests."""

import pytest

SHAPE = (8, 16, 16, 1)


@pytest.fixture
def tiny_data(monkeypatch):
    """Replaces every data set by 16 synthetic volumes of 8 x 16 x 16 (runs read the catalogue)."""
    from das_keras import data
    from das_keras.data import catalog

    def load_splits(*args, **kwargs):
        train = data.synthetic(
            "train", num_samples=16, num_slices=8, size=16, batch_size=8, shuffle=False
        )
        return catalog.DataSplits(train, train, train, SHAPE, 2, ["a", "b"])

    monkeypatch.setattr(catalog, "load_splits", load_splits)
