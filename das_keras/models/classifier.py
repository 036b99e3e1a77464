"""Classifier builders: sampler -> per-slice backbone -> aggregation -> head."""

import keras
from keras import layers

from das_keras.layers import SAMPLERS, BaseSampler, get_sampler
from das_keras.models.aggregation import aggregate
from das_keras.models.backbones import get_backbone
from das_keras.models.slice_ops import FoldSlices, ResizeImages, UnfoldSlices


def build_classifier(
    input_shape,
    num_classes,
    sampler="das",
    k=None,
    backbone="mobilenetv3small",
    aggregation="mean",
    image_size=None,
    dropout=0.2,
    bn_momentum=0.9,
    backbone_weights=None,
    sampler_kwargs=None,
    name=None,
):
    """Builds a slice classifier that looks at only k of the T slices of each input.

    The model is: sampler (B, T, H, W, C) -> (B, k, H, W, C); slices folded into the batch;
    optional resize; the 2D backbone on all B*k slices at once; unfolded to (B, k, D);
    aggregation over slices; dropout; softmax over `num_classes`.

    Args:
        input_shape: (T, H, W, C), T and the frame size fixed.
        num_classes: int >= 2.
        sampler: "das", "dps", "adps", "uniform", "center", "random", "full", or a sampler layer
            instance.
        k: slices to keep (int, or a float fraction of T); None means T // 2 (ignored by "full").
        backbone: "mobilenetv3small", "small_cnn", or a `keras.Model` on (H, W, C) slices.
        aggregation: "mean", "max", "attention" or "conv1d".
        image_size: (height, width) to resize slices to, or None. MobileNetV3-Small needs >= 32,
            so None means (32, 32) for it when the slices are smaller.
        dropout: dropout rate before the classification layer.
        bn_momentum: BatchNorm momentum of the named backbones.
        backbone_weights: None or "imagenet" for "mobilenetv3small".
        sampler_kwargs: dict of extra arguments for a sampler given by name (e.g. heads, tau0,
            seed).
        name: model name; default "<sampler>_<backbone>".

    Returns:
        A functional `keras.Model` from (B, T, H, W, C) to class probabilities (B, num_classes).
        `model.get_layer("sampler")` is the sampler.

    Shapes:
        (B, T, H, W, C) -> (B, num_classes).

    Example:
        >>> model = build_classifier((28, 28, 28, 1), 2, sampler="das", k=14, backbone="small_cnn")
        >>> model.compile("adam", "sparse_categorical_crossentropy")
        >>> model.output_shape
        (None, 2)
    """
    input_shape = _check_input_shape(input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            f"`num_classes` must be an int >= 2; received num_classes={num_classes!r}."
        )
    num_slices, height, width, channels = input_shape
    sampler_layer = _make_sampler(sampler, k, sampler_kwargs)
    if image_size is None and backbone == "mobilenetv3small" and min(height, width) < 32:
        image_size = (32, 32)
    slice_shape = (*(image_size or (height, width)), channels)
    backbone_model = get_backbone(backbone, slice_shape, bn_momentum, backbone_weights)

    inputs = keras.Input(input_shape, name="volume")
    chosen = sampler_layer(inputs)
    kept = chosen.shape[1]
    x = FoldSlices(name="fold_slices")(chosen)
    if image_size is not None:
        x = ResizeImages(image_size, name="resize")(x)
    x = backbone_model(x)
    if len(x.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="backbone_pool")(x)
    x = UnfoldSlices(kept, name="unfold_slices")(x)
    x = aggregate(x, aggregation)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    sampler_name = sampler if isinstance(sampler, str) else type(sampler).__name__.lower()
    backbone_name = backbone if isinstance(backbone, str) else backbone_model.name
    return keras.Model(inputs, outputs, name=name or f"{sampler_name}_{backbone_name}")


def build_volume_cnn(
    input_shape, num_classes, filters=(16, 32, 64), dropout=0.2, bn_momentum=0.9, name="volume_cnn"
):
    """A small 3D CNN on the whole volume: the full-input reference the samplers are compared to.

    Args:
        input_shape: (T, H, W, C).
        num_classes: int >= 2.
        filters: filters of each Conv3D-BN-ReLU-MaxPool block.
        dropout: dropout rate before the classification layer.
        bn_momentum: BatchNorm momentum.
        name: model name.

    Returns:
        A functional `keras.Model` (B, T, H, W, C) -> (B, num_classes) probabilities.

    Shapes:
        (B, T, H, W, C) -> (B, num_classes).

    Example:
        >>> build_volume_cnn((28, 28, 28, 1), 2).output_shape
        (None, 2)
    """
    input_shape = _check_input_shape(input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            f"`num_classes` must be an int >= 2; received num_classes={num_classes!r}."
        )
    inputs = keras.Input(input_shape, name="volume")
    x = inputs
    for i, f in enumerate(filters):
        x = layers.Conv3D(f, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if min(x.shape[1:4]) >= 2:
            x = layers.MaxPooling3D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling3D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def _check_input_shape(input_shape):
    try:
        input_shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"`input_shape` must be (T, H, W, C) of ints; received {input_shape!r}."
        ) from None
    if len(input_shape) != 4 or min(input_shape) < 1:
        raise ValueError(
            f"`input_shape` must be (T, H, W, C) with all entries >= 1, e.g. (28, 28, 28, 1); "
            f"received {input_shape!r}."
        )
    return input_shape


def _make_sampler(sampler, k, sampler_kwargs):
    if isinstance(sampler, BaseSampler):
        if sampler_kwargs:
            raise ValueError("`sampler_kwargs` applies only to a sampler given by name.")
        return sampler
    if sampler not in SAMPLERS:
        raise ValueError(
            f"`sampler` must be one of {sorted(SAMPLERS)} or a sampler layer; received {sampler!r}."
        )
    k = 0.5 if k is None else k
    return get_sampler(sampler, k=k, name="sampler", **(sampler_kwargs or {}))
