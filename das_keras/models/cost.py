"""FLOPs per input volume of a slice classifier, split into sampler, backbone and the rest.

Counted by TensorFlow's graph profiler (`tf.compat.v1.profiler` with the `float_operation`
options) on the model's inference graph, traced once with a batch of one volume: each op's
FLOPs come from TensorFlow's own registry (a multiply-add counts 2, as in most papers), so that
the sampler's descriptor arithmetic (differences, squares, means) is counted too, which a
count of convolution and dense multiply-adds from the layer configs would miss. Ops are then
attributed to a part by the Keras layer whose name scope holds them. Ops with no registered
count (gathers, resizes, top-k, reshapes) count 0; they move data rather than compute.
"""

import re

import keras

from das_keras.models.classifier import samplers_of

PARTS = ("sampler", "backbone", "aggregation")


def flops_per_volume(model):
    """FLOPs of one inference pass on one input volume, split by part of the classifier.

    Args:
        model: a `keras.Model` made by `das_keras.models.build_classifier` (any sampler,
            `context` and `slice_axes`), built for a fixed input shape (T, H, W, C). Needs the
            TensorFlow backend (the count traces a TensorFlow graph).

    Returns:
        dict of ints: "sampler" (the selection network, descriptors included, of every
        sampler layer; 0 for the fixed samplers), "backbone" (the per-slice backbone on all
        the slices it sees: k x one slice), "aggregation" (aggregation over slices, the
        classification head and any glue between the layers), "total" (their sum) and
        "slices" (how many slices the backbone sees per volume: k, or the sum over axes).

    Example:
        >>> from das_keras.models import build_classifier
        >>> model = build_classifier((8, 16, 16, 1), 2, "uniform", k=4, backbone="small_cnn")
        >>> cost = flops_per_volume(model)
        >>> cost["total"] == cost["sampler"] + cost["backbone"] + cost["aggregation"]
        True
    """
    samplers, backbones = _parts_of(model)
    import tensorflow as tf  # the backend in use (checked above); imported only when counting

    spec = tf.TensorSpec((1, *model.input_shape[1:]), tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    options = (
        tf.compat.v1.profiler.ProfileOptionBuilder(
            tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        )
        .with_empty_output()
        .build()
    )
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # the profiler warns about its own use of a deprecated TF1 helper
    try:
        profile = tf.compat.v1.profiler.profile(
            graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="scope", options=options
        )
    finally:
        logger.setLevel(level)
    part_of_layer = {layer.name: "sampler" for layer in samplers}
    part_of_layer.update({layer.name: "backbone" for layer in backbones})
    counts = dict.fromkeys(PARTS, 0)
    for name, flops in _op_flops(profile):
        counts[part_of_layer.get(_layer_scope(name, part_of_layer), "aggregation")] += flops
    counts["total"] = sum(counts[part] for part in PARTS)
    counts["slices"] = sum(layer.num_selected for layer in samplers)
    return counts


def _parts_of(model):
    """The sampler layers and the nested backbone model(s) of a classifier, validated."""
    if not isinstance(model, keras.Model):
        raise ValueError(
            "`model` must be a keras.Model made by das_keras.models.build_classifier; "
            f"received {type(model).__name__}."
        )
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "flops_per_volume traces a TensorFlow graph: run it with KERAS_BACKEND=tensorflow "
            f"(pip install 'das-keras[cpu]'); the backend is {keras.backend.backend()!r}."
        )
    shape = model.input_shape
    if not isinstance(shape, tuple) or len(shape) != 5 or None in shape[1:]:
        raise ValueError(
            "`model` must take one (B, T, H, W, C) input with T, H, W and C fixed; received "
            f"input_shape={shape!r}."
        )
    samplers = samplers_of(model)
    backbones = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if not samplers:
        raise ValueError(
            f"`model` {model.name!r} holds no sampler layer: build it with "
            "das_keras.models.build_classifier."
        )
    return samplers, backbones


def _op_flops(node):
    """(op name, its own FLOPs) for every op under a profiler node (GraphNodeProto tree)."""
    for child in node.children:
        yield child.name, child.float_ops
        yield from _op_flops(child)


def _layer_scope(op_name, layer_names):
    """The top-level layer's name that an op's name scope starts with ("model/layer_1/...").

    TensorFlow makes name scopes unique within a graph by appending "_<n>"; the exact name
    wins where both exist.
    """
    scopes = op_name.split("/")
    if len(scopes) < 3:
        return None
    scope = scopes[1]
    if scope in layer_names:
        return scope
    return re.sub(r"_\d+$", "", scope)
