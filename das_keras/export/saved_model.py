"""Export to a TensorFlow SavedModel, and checking a SavedModel against Keras."""

import os

import keras
import tensorflow as tf

from das_keras.export.serving import INPUT_NAME, ExportedModelError, _check_path, serving_function
from das_keras.export.verify import _check_inputs_array, _compare
from das_keras.layers.frame_descriptors import plain_descriptor_ops


def to_saved_model(model, directory, return_indices=False):
    """Exports a Keras model's inference graph as a TensorFlow SavedModel.

    The SavedModel has the endpoint `serve` (also its "serving_default" signature), taking
    `inputs` (dynamic batch) and returning a dict with `output` (and `indices` with
    `return_indices`). It reloads with `tf.saved_model.load` without das-keras installed.

    Args:
        model: a single-input, single-output `keras.Model`, input shape fixed except the batch.
        directory: the folder to write (created; an existing SavedModel there is overwritten).
        return_indices: also return the sampler's chosen slices as `indices` (needs a
            `BaseSampler` layer, found by its class).

    Returns:
        str, `directory`.

    Shapes:
        inputs (B, T, H, W, C) -> {"output": (B, num_classes), "indices": (B, k) int32}.

    Example:
        >>> to_saved_model(model, "das_savedmodel")  # doctest: +SKIP
        'das_savedmodel'
        >>> import tensorflow as tf
        >>> loaded = tf.saved_model.load("das_savedmodel")  # doctest: +SKIP
        >>> serve = loaded.signatures["serving_default"]  # doctest: +SKIP
        >>> serve(inputs=x)["output"].shape  # doctest: +SKIP
        TensorShape([8, 2])
    """
    directory = _check_path(directory, "directory")
    serve, spec = serving_function(model, return_indices)
    # ExportArchive tracks every variable the endpoint captures, seed-generator states included.
    archive = keras.export.ExportArchive()
    archive.track(model)
    with plain_descriptor_ops():  # a graph that runs where TensorFlow has no XLA, too
        archive.add_endpoint("serve", serve, input_signature=[spec])
    archive.write_out(str(directory), verbose=False)
    return str(directory)


def verify_saved_model(model, directory, inputs):
    """Runs an exported SavedModel and compares it with Keras inference, as `verify_onnx` does.

    Args:
        model: the Keras model the SavedModel was exported from.
        directory: the SavedModel folder.
        inputs: float array (N, T, H, W, C).

    Returns:
        The dict of `verify_onnx`.

    Shapes:
        inputs (N, T, H, W, C).

    Example:
        >>> report = verify_saved_model(model, "das_savedmodel", x_test[:32])  # doctest: +SKIP
        >>> report["max_abs_diff"]  # doctest: +SKIP
        0.0
    """
    inputs = _check_inputs_array(inputs)
    serve = tf.saved_model.load(os.fspath(directory)).signatures["serving_default"]
    try:
        outputs = serve(**{INPUT_NAME: tf.constant(inputs)})
    except (ValueError, TypeError, tf.errors.OpError) as error:
        raise ExportedModelError(
            f"The SavedModel in {directory} failed on inputs of shape {inputs.shape} "
            f"(dtype {inputs.dtype}); TensorFlow said: {error}"
        ) from error
    return _compare(model, inputs, {name: value.numpy() for name, value in outputs.items()})
