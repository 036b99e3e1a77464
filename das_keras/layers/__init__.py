"""Sampler layers: each keeps k of the T slices (or frames) of its input.

All share one interface (see `BaseSampler`): input (B, T, H, W, C); `layer(x)` returns the chosen
slices (B, k, H, W, C) in temporal order; `layer.select(x)` returns (indices (B, k), P (B, k, T)).
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
from das_keras.layers.uniform_sampler import UniformSampler

SAMPLERS = {
    "full": FullSequence,
    "uniform": UniformSampler,
    "center": CenterSampler,
    "random": RandomSampler,
    "dps": DPSLayer,
    "adps": ADPSLayer,
    "das": DASLayer,
}


def get_sampler(sampler, k=None, **kwargs):
    """Builds a sampler layer from its short name.

    Args:
        sampler: one of "full", "uniform", "center", "random", "dps", "adps", "das".
        k: slices to keep (int, or fraction of T); ignored for "full".
        **kwargs: passed to the layer's constructor.

    Returns:
        A new sampler layer.

    Example:
        >>> get_sampler("das", k=14, heads=2).heads
        2
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"`sampler` must be one of {sorted(SAMPLERS)}; received {sampler!r}.")
    if sampler == "full":
        return FullSequence(**kwargs)
    if k is None:
        raise ValueError(f"`k` is required for sampler {sampler!r}; received k=None.")
    return SAMPLERS[sampler](k=k, **kwargs)


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
]
