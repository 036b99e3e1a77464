"""Model builders: slice classifiers with a sampler in front, and a 3D-CNN reference."""

from das_keras.models.aggregation import AGGREGATIONS, AttentionPooling, aggregate
from das_keras.models.backbones import BACKBONES, get_backbone, mobilenetv3small, small_cnn
from das_keras.models.classifier import (
    build_classifier,
    build_volume_cnn,
    sampler_of,
    samplers_of,
)
from das_keras.models.compile_settings import compile_model
from das_keras.models.cost import flops_per_volume
from das_keras.models.slice_ops import FoldSlices, ResizeImages, UnfoldSlices

__all__ = [
    "AGGREGATIONS",
    "AttentionPooling",
    "BACKBONES",
    "FoldSlices",
    "ResizeImages",
    "UnfoldSlices",
    "aggregate",
    "build_classifier",
    "build_volume_cnn",
    "compile_model",
    "flops_per_volume",
    "get_backbone",
    "mobilenetv3small",
    "sampler_of",
    "samplers_of",
    "small_cnn",
]
