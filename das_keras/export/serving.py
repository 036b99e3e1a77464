"""The inference function both export formats trace, and the checks they share."""

import os
from pathlib import Path

import keras
import tensorflow as tf

from das_keras import checks
from das_keras.layers import functional as F
from das_keras.models import samplers_of

INPUT_NAME = "inputs"
OUTPUT_NAME = "output"
INDICES_NAME = "indices"


class ExportedModelError(RuntimeError):
    """An exported model (ONNX Runtime session or reloaded SavedModel) failed to run."""


def serving_function(model, return_indices=False):
    """The `tf.function` that both exports trace: the model's inference, with optional indices.

    With `return_indices`, the sampler selects once and the rest of the model runs on the slices
    it gathered, so `indices` are exactly the slices behind `output` (this matters for a
    `RandomSampler`, whose two separate calls would draw different slices).

    Args:
        model: a single-input, single-output `keras.Model`, input shape fixed except the batch.
        return_indices: also return the sampler's chosen slices.

    Returns:
        (function, spec): a `tf.function` with a fixed input signature returning
        {"output": ..., "indices": ...}, and its `tf.TensorSpec` named "inputs".

    Shapes:
        inputs (B, T, H, W, C) -> output (B, num_classes), indices (B, k) int32.

    Example:
        >>> serve, spec = serving_function(model, return_indices=True)  # doctest: +SKIP
        >>> sorted(serve(x))  # doctest: +SKIP
        ['indices', 'output']
    """
    _check_tensorflow_backend()
    checks.check_bool(return_indices, "return_indices")
    spec = _input_spec(model)
    if return_indices:
        return _serve_with_indices(model, spec), spec
    return _serve_output(model, spec), spec


def _serve_output(model, spec):
    # autograph=False: the layers use Python control flow on static values only, and skipping
    # autograph's source conversion makes tracing (and so export) about a quarter faster.
    @tf.function(input_signature=[spec], autograph=False)
    def serve(inputs):
        return {OUTPUT_NAME: model(inputs, training=False)}

    return serve


def _serve_with_indices(model, spec):
    sampler = first_sampler(model)
    if sampler is None:
        raise ValueError(
            "`return_indices=True` needs a model with a sampler layer (a BaseSampler), as "
            "das_keras.models.build_classifier makes; model "
            f"{model.name!r} has none. Export it with return_indices=False."
        )
    head = _model_after_sampler(model, sampler)

    @tf.function(input_signature=[spec], autograph=False)
    def serve(inputs):
        indices, _ = sampler.select(inputs, training=False)
        if head is None:
            output = model(inputs, training=False)
        else:
            chosen = F.gather_slices_with_context(inputs, indices, sampler.context)
            output = head(chosen, training=False)
        return {OUTPUT_NAME: output, INDICES_NAME: indices}

    return serve


def first_sampler(model):
    """The model's sampler (the first, for a multi-axis model), or None where it has none.

    Found by class (`das_keras.models.samplers_of`), whatever the layer's name.

    Args:
        model: a `keras.Model`.

    Returns:
        The `das_keras.layers.BaseSampler` layer, or None.

    Example:
        >>> model = build_classifier((12, 16, 16, 1), 2, "uniform", k=4, backbone="small_cnn")
        >>> type(first_sampler(model)).__name__  # doctest: +SKIP
        'UniformSampler'
    """
    samplers = samplers_of(model)
    return samplers[0] if samplers else None


# Deprecated alias (one release): use das_keras.models.sampler_of, which raises where there is none.
sampler_layer = first_sampler


def _check_tensorflow_backend():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "Export traces the model with TensorFlow (tf2onnx, SavedModel) and needs the "
            f"TensorFlow backend; the Keras backend is {keras.backend.backend()!r}. Set "
            "KERAS_BACKEND=tensorflow before importing keras, or move the weights with "
            "model.save_weights / load_weights."
        )


def _check_path(path, argument):
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise ValueError(f"`{argument}` must be a non-empty str or os.PathLike; received {path!r}.")
    return Path(os.fspath(path))


def _input_spec(model):
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model; received {type(model).__name__}.")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"`model` must have one input and one output to export; model {model.name!r} has "
            f"{len(model.inputs)} inputs and {len(model.outputs)} outputs."
        )
    shape = tuple(model.inputs[0].shape)
    if any(dim is None for dim in shape[1:]):
        raise ValueError(
            f"`model` must have a fixed input shape except the batch axis, e.g. "
            f"keras.Input((28, 28, 28, 1)); model {model.name!r} has input shape {shape}."
        )
    return tf.TensorSpec((None, *shape[1:]), model.inputs[0].dtype, name=INPUT_NAME)


def _model_after_sampler(model, sampler):
    """The part of `model` after its sampler, or None where the input also bypasses it."""
    try:
        return keras.Model(sampler.output, model.output, name=f"{model.name}_after_sampler")
    except (ValueError, AttributeError):
        if sampler.draws_at_inference:
            raise ValueError(
                f"`return_indices=True` with a {type(sampler).__name__} (random at inference) "
                "needs a model in which the input reaches the output only through the sampler, "
                f"so that one draw feeds both outputs; model {model.name!r} is not of that form."
            ) from None
        return None  # deterministic samplers choose the same slices when called twice
