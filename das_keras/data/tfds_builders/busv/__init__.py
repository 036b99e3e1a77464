"""TFDS builder "busv" (TFDS layout: builder module in this folder; manual download only)."""

from das_keras.data.tfds_builders.busv.busv_dataset_builder import (
    BusvBuilder,
    BusvConfig,
    busv_config,
)

__all__ = ["BusvBuilder", "BusvConfig", "busv_config"]
