"""Per-slice 2D backbones: (N, H, W, C) images -> (N, D) embeddings."""

import keras
from keras import layers

BACKBONES = ("mobilenetv3small", "small_cnn")


def small_cnn(input_shape, filters=(32, 64, 128), bn_momentum=0.9, name="small_cnn"):
    """A small 2D CNN: blocks of Conv3x3-BatchNorm-ReLU-MaxPool, then global average pooling.

    Args:
        input_shape: (H, W, C) of one slice.
        filters: filters of each block.
        bn_momentum: BatchNorm momentum; 0.9 suits the few hundred steps of small medical sets.
        name: model name.

    Returns:
        A `keras.Model` mapping (N, H, W, C) to (N, filters[-1]).

    Example:
        >>> small_cnn((28, 28, 1)).output_shape
        (None, 128)
    """
    inputs = keras.Input(input_shape)
    x = inputs
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if min(x.shape[1], x.shape[2]) >= 2:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, x, name=name)


def mobilenetv3small(
    input_shape, weights=None, minimalistic=True, bn_momentum=0.9, name="mobilenetv3small"
):
    """MobileNetV3-Small from `keras.applications`, the paper's per-slice backbone.

    The input is expected in [0, 1] (no ImageNet preprocessing layer). Grayscale slices are
    repeated to 3 channels when ImageNet weights are requested.

    Args:
        input_shape: (H, W, C) of one slice; H and W >= 32.
        weights: None (random init) or "imagenet" (needs a download on first use).
        minimalistic: the minimalistic variant (no squeeze-excite, hard-swish or 5x5 convs).
        bn_momentum: momentum for every BatchNorm layer. Keras's default of 0.999 here leaves the
            moving statistics far behind on small data sets (evaluation collapses); 0.9 works.
        name: model name.

    Returns:
        A `keras.Model` mapping (N, H, W, C) to (N, 576 or 1024) embeddings.

    Example:
        >>> mobilenetv3small((32, 32, 1)).output_shape[-1]
        576
    """
    height, width, channels = input_shape
    if height < 32 or width < 32:
        raise ValueError(
            "MobileNetV3-Small needs slices of at least 32x32; received "
            f"input_shape={input_shape}. "
            "Pass image_size=(32, 32) to build_classifier to resize them."
        )
    inputs = keras.Input(input_shape)
    x = inputs
    if weights is not None and channels == 1:
        x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
        channels = 3
    base = keras.applications.MobileNetV3Small(
        input_shape=(height, width, channels),
        include_top=False,
        weights=weights,
        pooling="avg",
        minimalistic=minimalistic,
        include_preprocessing=False,
    )
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = bn_momentum
    return keras.Model(inputs, base(x), name=name)


def get_backbone(backbone, input_shape, bn_momentum=0.9, weights=None):
    """Returns a backbone model from a name, or checks a user-supplied one.

    Args:
        backbone: "mobilenetv3small", "small_cnn", or a `keras.Model` taking (N, H, W, C) and
            returning (N, D) or a feature map (N, h, w, D) (then average pooled).
        input_shape: (H, W, C) of one slice after any resizing.
        bn_momentum: BatchNorm momentum for the named backbones.
        weights: "imagenet" or None, for "mobilenetv3small".

    Returns:
        A `keras.Model`.
    """
    if isinstance(backbone, keras.Model):
        return backbone
    if backbone == "small_cnn":
        return small_cnn(input_shape, bn_momentum=bn_momentum)
    if backbone == "mobilenetv3small":
        return mobilenetv3small(input_shape, weights=weights, bn_momentum=bn_momentum)
    raise ValueError(
        f"`backbone` must be one of {BACKBONES} or a keras.Model; received {backbone!r}."
    )
