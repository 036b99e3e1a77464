"""Deprecated alias: `CosineSchedule` moved to `das_keras.runs.recipe` (issue 18; one release)."""

from das_keras.runs.recipe import CosineSchedule

__all__ = ["CosineSchedule"]
