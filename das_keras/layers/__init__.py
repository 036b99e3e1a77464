"""Sampler layers: each keeps k of the T slices (or frames) of its input.

All share one interface (see `BaseSampler`): input (B, T, H, W, C); `layer(x)` returns the chosen
slices (B, k, H, W, C) in temporal order; `layer.select(x)` returns (indices (B, k), P (B, k, T)).

`SAMPLERS` is a live, read-only view of the sampler registry (short name -> class): a
`BaseSampler` subclass that sets `sampler_name` appears there, and in `get_sampler`, as soon as
its class is defined (see `das_keras.layers.registry`).
"""

from das_keras.layers.adps_layer import ADPSLayer
from das_keras.layers.base_sampler import BaseSampler
from das_keras.layers.center_sampler import CenterSampler
from das_keras.layers.das_layer import DASLayer
from das_keras.layers.dps_layer import DPSLayer
from das_keras.layers.frame_descriptors import (
    DESCRIPTORS,
    FrameDescriptors,
    frame_descriptors,
    plain_descriptor_ops,
)
from das_keras.layers.full_sequence import FullSequence
from das_keras.layers.random_sampler import RandomSampler
from das_keras.layers.registry import (
    SAMPLERS,
    get_sampler,
    register_sampler,
    sampler_class,
    unregister_sampler,
)
from das_keras.layers.uniform_sampler import UniformSampler

__all__ = [
    "ADPSLayer",
    "BaseSampler",
    "CenterSampler",
    "DASLayer",
    "DESCRIPTORS",
    "DPSLayer",
    "FrameDescriptors",
    "FullSequence",
    "RandomSampler",
    "SAMPLERS",
    "UniformSampler",
    "frame_descriptors",
    "plain_descriptor_ops",
    "get_sampler",
    "register_sampler",
    "sampler_class",
    "unregister_sampler",
]
