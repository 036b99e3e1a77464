"""TFDS builder "medmnist3d" (TFDS layout: builder module and checksums.tsv in this folder)."""

from das_keras.data.tfds_builders.medmnist3d.medmnist3d_dataset_builder import (
    Medmnist3dBuilder,
    Medmnist3dConfig,
    medmnist3d_config,
)

__all__ = ["Medmnist3dBuilder", "Medmnist3dConfig", "medmnist3d_config"]
