"""Checking an exported model against Keras inference."""

import keras
import numpy as np

from das_keras.export.onnx import run_onnx
from das_keras.export.serving import INDICES_NAME, OUTPUT_NAME, first_sampler


def verify_onnx(model, onnx_path, inputs):
    """Runs an exported ONNX file in ONNX Runtime and compares it with Keras inference.

    ONNX Runtime runs first, so an input that it rejects (e.g. of the wrong shape) raises an
    `ExportedModelError` that quotes ONNX Runtime's own message.

    Args:
        model: the Keras model the file was exported from.
        onnx_path: the .onnx file (str or os.PathLike).
        inputs: float array (N, T, H, W, C), e.g. test volumes scaled to [0, 1].

    Returns:
        dict with "num_samples"; "max_abs_diff" of the outputs; "class_agreement", the fraction
        of samples whose arg-max class agrees; "index_agreement", the fraction whose chosen
        slices are identical (None when the file has no `indices` output); "deterministic",
        False when the sampler draws at inference, as `RandomSampler` does (then the two sides
        draw different slices and only the next entry is meaningful); "exported_indices_valid",
        whether every exported index row is ascending, distinct and in [0, T) (None without
        `indices`).

    Shapes:
        inputs (N, T, H, W, C).

    Example:
        >>> report = verify_onnx(model, "das.onnx", x_test[:32])  # doctest: +SKIP
        >>> report["max_abs_diff"] < 1e-4, report["class_agreement"]  # doctest: +SKIP
        (True, 1.0)
    """
    inputs = _check_inputs_array(inputs)
    exported = run_onnx(onnx_path, inputs)
    return _compare(model, inputs, exported)


def _compare(model, inputs, exported):
    sampler = first_sampler(model)
    expected = keras.ops.convert_to_numpy(model(inputs, training=False))
    actual = exported[OUTPUT_NAME]
    report = {
        "num_samples": int(len(inputs)),
        "max_abs_diff": float(np.max(np.abs(actual.astype("float64") - expected))),
        "class_agreement": float(np.mean(actual.argmax(-1) == expected.argmax(-1))),
        "index_agreement": None,
        "deterministic": not getattr(sampler, "draws_at_inference", False),
        "exported_indices_valid": None,
    }
    if INDICES_NAME in exported and sampler is not None:
        indices, _ = sampler.select(inputs, training=False)
        same_rows = np.all(exported[INDICES_NAME] == keras.ops.convert_to_numpy(indices), axis=1)
        report["index_agreement"] = float(np.mean(same_rows))
        report["exported_indices_valid"] = indices_valid(exported[INDICES_NAME], inputs.shape[1])
    return report


def indices_valid(indices, num_slices):
    """Whether every row of `indices` is strictly ascending (so distinct) and in [0, T).

    Args:
        indices: int array (N, k).
        num_slices: T.

    Returns:
        bool.

    Example:
        >>> indices_valid(np.array([[0, 3, 5]]), 6), indices_valid(np.array([[3, 3, 5]]), 6)
        (True, False)
    """
    indices = np.asarray(indices)
    ascending = np.all(np.diff(indices, axis=1) > 0)
    return bool(ascending and indices.min() >= 0 and indices.max() < num_slices)


def _check_inputs_array(inputs):
    try:
        inputs = np.asarray(keras.ops.convert_to_numpy(inputs))
    except (TypeError, ValueError) as error:
        raise ValueError(f"`inputs` must be an array; received {type(inputs).__name__}.") from error
    if inputs.ndim < 1 or len(inputs) == 0:
        raise ValueError(f"`inputs` must hold at least one sample; received shape {inputs.shape}.")
    return inputs.astype("float32") if inputs.dtype == np.float64 else inputs
