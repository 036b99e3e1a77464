"""Classifier builders: sampler -> per-slice backbone -> aggregation -> head."""

import keras
from keras import layers

from das_keras import checks
from das_keras.layers import BaseSampler, get_sampler
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
    context=0,
    slice_axes=(1,),
):
    """Builds a slice classifier that looks at only k of the T slices of each input.

    The model is: sampler (B, T, H, W, C) -> (B, k, H, W, C); slices folded into the batch;
    optional resize; the 2D backbone on all B*k slices at once; unfolded to (B, k, D);
    aggregation over slices; dropout; softmax over `num_classes`.

    With `context=c`, each chosen slice carries its c neighbours on each side as channels (2.5D;
    the backbone's first convolution then takes (2c + 1) C channels). With several
    `slice_axes` (multi-axis selection for volumes, the idea behind ACS convolutions), slices
    are chosen along each of those axes of the volume by a sampler of the same kind (k split
    evenly across the axes), all of them go through the one shared backbone, and the
    aggregation runs over all chosen slices (axis 1's first, then axis 2's, then axis 3's).

    Args:
        input_shape: (T, H, W, C), T and the frame size fixed.
        num_classes: int >= 2.
        sampler: a registered sampler name ("das", "dps", "adps", "uniform", "center", "random",
            "full", or that of any `BaseSampler` subclass with a `sampler_name`, see
            `das_keras.layers.SAMPLERS`), or a sampler layer instance.
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
        context: int >= 0, neighbours carried on each side of a chosen slice (a sampler
            argument, see `das_keras.layers.BaseSampler`); for a sampler given by name.
        slice_axes: axes of the (B, T, H, W, C) input to choose slices along: (1,) (the
            default: slices along T), or several of 1, 2, 3 for a volume. With n axes each gets
            k / n slices (a fraction k stays a fraction of each axis, divided by n; an int k is
            rounded per axis, at least 1). Slices of other sizes are resized to the first
            axis's slice size (or `image_size`). A sampler given by name only.

    Returns:
        A functional `keras.Model` from (B, T, H, W, C) to class probabilities (B, num_classes).
        `das_keras.models.sampler_of(model)` is the sampler (`samplers_of` lists one per axis).

    Shapes:
        (B, T, H, W, C) -> (B, num_classes).

    Example:
        >>> model = build_classifier((28, 28, 28, 1), 2, sampler="das", k=14, backbone="small_cnn")
        >>> model.compile("adam", "sparse_categorical_crossentropy")
        >>> model.output_shape
        (None, 2)
    """
    input_shape = _check_input_shape(input_shape)
    num_classes = checks.check_positive_int(num_classes, "num_classes", minimum=2)
    num_slices, height, width, channels = input_shape
    slice_axes = _check_slice_axes(slice_axes, sampler)
    if context:
        if isinstance(sampler, BaseSampler):
            raise ValueError(
                "`context` applies to a sampler given by name; pass it to the sampler layer "
                f"instead, e.g. DASLayer(k, context={context!r})."
            )
        sampler_kwargs = {**(sampler_kwargs or {}), "context": context}
    if image_size is None and backbone == "mobilenetv3small" and min(height, width) < 32:
        image_size = (32, 32)

    inputs = keras.Input(input_shape, name="volume")
    if slice_axes == (1,):
        chosen = _make_sampler(sampler, k, sampler_kwargs)(inputs)
    else:
        chosen, image_size = _multi_axis_slices(
            inputs, sampler, k, sampler_kwargs, slice_axes, image_size
        )
    num_selected = chosen.shape[1]  # k, resolved by the sampler(s) against T
    slice_shape = (*(image_size or (height, width)), chosen.shape[-1])
    backbone_model = get_backbone(backbone, slice_shape, bn_momentum, backbone_weights)
    x = FoldSlices(name="fold_slices")(chosen)
    if image_size is not None and slice_axes == (1,):
        x = ResizeImages(image_size, name="resize")(x)
    x = backbone_model(x)
    if len(x.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="backbone_pool")(x)
    x = UnfoldSlices(num_selected, name="unfold_slices")(x)
    x = aggregate(x, aggregation)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    sampler_name = sampler if isinstance(sampler, str) else type(sampler).__name__.lower()
    backbone_name = backbone if isinstance(backbone, str) else backbone_model.name
    return keras.Model(inputs, outputs, name=name or f"{sampler_name}_{backbone_name}")


def sampler_of(model):
    """The sampler layer of a classifier (the first one, for a multi-axis model).

    Args:
        model: a `keras.Model` holding a sampler layer, or a sampler layer.

    Returns:
        The `das_keras.layers.BaseSampler` instance.

    Example:
        >>> model = build_classifier((8, 16, 16, 1), 2, "uniform", k=4, backbone="small_cnn")
        >>> sampler_of(model).num_selected
        4
    """
    samplers = samplers_of(model)
    if not samplers:
        raise ValueError(
            f"`model` {getattr(model, 'name', model)!r} holds no sampler layer (a subclass of "
            "das_keras.layers.BaseSampler); build it with das_keras.models.build_classifier."
        )
    return samplers[0]


def samplers_of(model):
    """All sampler layers of a model, in the order they were added (one per slice axis).

    Args:
        model: a `keras.Model`, or a sampler layer.

    Returns:
        list of `das_keras.layers.BaseSampler`.

    Example:
        >>> model = build_classifier((8, 8, 8, 1), 2, "center", k=6, backbone="small_cnn",
        ...                          slice_axes=(1, 2, 3))
        >>> [s.num_selected for s in samplers_of(model)]
        [2, 2, 2]
    """
    if isinstance(model, BaseSampler):
        return [model]
    return [layer for layer in getattr(model, "layers", []) if isinstance(layer, BaseSampler)]


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
    num_classes = checks.check_positive_int(num_classes, "num_classes", minimum=2)
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


# (B, T, H, W, C) -> the volume with axis a first: a permutation of the non-batch axes
_AXIS_PERMUTATIONS = {2: (2, 1, 3, 4), 3: (3, 1, 2, 4)}
# The sampler layers' default names; nothing looks them up: `sampler_of` finds a model's sampler
# by its class, whatever its name.
SAMPLER_LAYER_NAME = "sampler"
_AXIS_NAMES = {1: SAMPLER_LAYER_NAME, 2: "sampler_axis2", 3: "sampler_axis3"}


def _check_slice_axes(slice_axes, sampler):
    try:
        axes = tuple(int(a) for a in slice_axes)
    except (TypeError, ValueError):
        axes = ()
    if not axes or any(a not in (1, 2, 3) for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(
            "`slice_axes` must be distinct axes among 1, 2, 3 of the (B, T, H, W, C) input, "
            f"e.g. (1,) or (1, 2, 3); received slice_axes={slice_axes!r}."
        )
    if axes != (1,) and isinstance(sampler, BaseSampler):
        raise ValueError(
            "Several `slice_axes` need one sampler per axis: give the sampler by name "
            f"(e.g. 'das') with sampler_kwargs; received a {type(sampler).__name__} instance."
        )
    return axes


def _axis_k(k, num_axes, axis_length):
    k = 0.5 if k is None else k
    if isinstance(k, float):
        return max(1, round(k * axis_length / num_axes))
    return max(1, round(k / num_axes))


def _multi_axis_slices(inputs, sampler, k, sampler_kwargs, slice_axes, image_size):
    """Chosen slices along each axis, resized to one slice size and joined: (B, K, h, w, C')."""
    per_axis = []
    target = image_size
    for axis in slice_axes:
        view = inputs
        if axis != 1:
            view = layers.Permute(_AXIS_PERMUTATIONS[axis], name=f"axis{axis}_view")(inputs)
        axis_k = _axis_k(k, len(slice_axes), view.shape[1])
        layer = get_sampler(sampler, k=axis_k, name=_AXIS_NAMES[axis], **(sampler_kwargs or {}))
        chosen = layer(view)
        target = target or tuple(chosen.shape[2:4])
        if tuple(chosen.shape[2:4]) != tuple(target):
            num_selected = chosen.shape[1]
            x = FoldSlices(name=f"axis{axis}_fold")(chosen)
            x = ResizeImages(target, name=f"axis{axis}_resize")(x)
            chosen = UnfoldSlices(num_selected, name=f"axis{axis}_unfold")(x)
        per_axis.append(chosen)
    joined = layers.Concatenate(axis=1, name="slices_all_axes")(per_axis)
    return joined, target


def _make_sampler(sampler, k, sampler_kwargs):
    if isinstance(sampler, BaseSampler):
        if sampler_kwargs:
            raise ValueError("`sampler_kwargs` applies only to a sampler given by name.")
        return sampler
    k = 0.5 if k is None else k  # get_sampler names the registered samplers if `sampler` is none
    return get_sampler(sampler, k=k, name=SAMPLER_LAYER_NAME, **(sampler_kwargs or {}))
