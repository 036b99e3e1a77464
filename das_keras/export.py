"""Deployment: export a classifier to ONNX or a TensorFlow SavedModel, and check it against Keras.

The exported graph is the model's inference form (`model(x, training=False)`): learned samplers
take a deterministic top-k of their logits and only the k chosen slices are gathered and passed to
the backbone. The batch dimension is dynamic; T, H, W and C are fixed by the model.

Exported tensors are named `inputs` (B, T, H, W, C), `output` (the model's output, class
probabilities for `das_keras.models.build_classifier` models) and, with `return_indices=True`,
`indices` (B, k) int32, the slices the sampler chose, ascending.

RandomSampler: its draw has no deterministic ONNX form. The exported ONNX graph draws fresh
random keys on every run with ONNX's `RandomUniformLike` (seeded with the layer's `seed` when it
has one, so a new ONNX Runtime session repeats the same sequence of draws), then keeps the top-k
keys as the Keras layer does. The draws come from ONNX Runtime's generator, not Keras's, so
ONNX and Keras choose different slices for the same input: only shapes, the validity of the
indices and the distribution of the draws can be compared, not values. A SavedModel keeps the
layer's own TensorFlow generator state and draws afresh on every call, as Keras does.

Requires the TensorFlow backend and the `export` extra (tf2onnx, onnx, onnxruntime).
"""

import os
from pathlib import Path

import keras
import numpy as np

from das_keras.layers import BaseSampler, RandomSampler
from das_keras.layers import functional as F
from das_keras.layers.frame_descriptors import plain_descriptor_ops

DEFAULT_OPSET = 17
# tf2onnx 1.17 converts to opsets 13-18; from 19 on it stops with "Opset 19 is not supported yet".
SUPPORTED_OPSETS = tuple(range(13, 19))
INPUT_NAME = "inputs"
OUTPUT_NAME = "output"
INDICES_NAME = "indices"
SAMPLER_LAYER_NAME = "sampler"
# Domains whose ops ONNX Runtime's CPU provider implements (tf2onnx may emit contrib ops).
_RUNTIME_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")


class ExportedModelError(RuntimeError):
    """An exported model (ONNX Runtime session or reloaded SavedModel) failed to run."""


def to_onnx(model, path, opset=None, return_indices=False):
    """Exports a Keras model's inference graph to an ONNX file with a dynamic batch dimension.

    The graph is traced from `model(x, training=False)`: a learned sampler takes the deterministic
    top-k and only the k chosen slices are gathered for the backbone. The file loads in ONNX
    Runtime; its outputs match Keras inference to float precision (max abs difference about 1e-7
    on VesselMNIST3D volumes, small CNN and MobileNetV3-Small alike). A model whose sampler is a
    `RandomSampler` exports too, but ONNX Runtime then draws its own random slices (see the
    module docstring): its outputs cannot match Keras's value for value.

    Args:
        model: a single-input, single-output `keras.Model` whose input shape is fixed except for
            the batch axis, e.g. from `das_keras.models.build_classifier`.
        path: the .onnx file to write (str or os.PathLike); missing parent folders are created.
        opset: ONNX opset, an int in 13..18 (what tf2onnx 1.17 supports); None means 17.
        return_indices: also output the sampler's chosen slices as `indices`; needs a
            `BaseSampler` layer named "sampler" in the model (as `build_classifier` makes).

    Returns:
        str, `path`.

    Raises:
        ValueError: an invalid argument, or a model with ops that tf2onnx cannot convert (the
            message lists them).

    Shapes:
        ONNX input `inputs` (B, T, H, W, C) float32, B dynamic; output `output` (B, num_classes);
        with `return_indices`, `indices` (B, k) int32.

    Example:
        >>> from das_keras.models import build_classifier
        >>> model = build_classifier((28, 28, 28, 1), 2, sampler="das", k=14, backbone="small_cnn")
        >>> to_onnx(model, "das.onnx", return_indices=True)  # doctest: +SKIP
        'das.onnx'
    """
    path = _check_path(path, "path")
    opset = _check_opset(opset)
    tf2onnx, onnx = _import_export_dependencies()
    serve, spec = serving_function(model, return_indices)
    handlers = {"StatelessRandomUniformV2": (_stateless_uniform_handler(model), [])}
    with plain_descriptor_ops():  # tf2onnx cannot convert an XLA-compiled function
        proto, _ = tf2onnx.convert.from_function(
            serve, input_signature=[spec], opset=opset, custom_op_handlers=handlers
        )
    _check_runtime_ops(proto, onnx)
    _put_output_first(proto)
    _add_metadata(proto, model, onnx)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    return str(path)


def to_saved_model(model, directory, return_indices=False):
    """Exports a Keras model's inference graph as a TensorFlow SavedModel.

    The SavedModel has the endpoint `serve` (also its "serving_default" signature), taking
    `inputs` (dynamic batch) and returning a dict with `output` (and `indices` with
    `return_indices`). It reloads with `tf.saved_model.load` without das-keras installed.

    Args:
        model: a single-input, single-output `keras.Model`, input shape fixed except the batch.
        directory: the folder to write (created; an existing SavedModel there is overwritten).
        return_indices: also return the sampler's chosen slices as `indices` (needs a
            `BaseSampler` layer named "sampler").

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
    _check_flag(return_indices, "return_indices")
    spec = _input_spec(model)
    if return_indices:
        return _serve_with_indices(model, spec), spec
    return _serve_output(model, spec), spec


def _serve_output(model, spec):
    import tensorflow as tf

    # autograph=False: the layers use Python control flow on static values only, and skipping
    # autograph's source conversion makes tracing (and so export) about a quarter faster.
    @tf.function(input_signature=[spec], autograph=False)
    def serve(inputs):
        return {OUTPUT_NAME: model(inputs, training=False)}

    return serve


def _serve_with_indices(model, spec):
    import tensorflow as tf

    sampler = sampler_layer(model)
    if sampler is None:
        raise ValueError(
            f"`return_indices=True` needs a model with a sampler layer (a BaseSampler) named "
            f"{SAMPLER_LAYER_NAME!r}, as das_keras.models.build_classifier makes; model "
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


def sampler_layer(model):
    """The model's sampler: its `BaseSampler` layer named "sampler", or None where it has none.

    Args:
        model: a `keras.Model`.

    Returns:
        The `BaseSampler` layer, or None.

    Example:
        >>> model = build_classifier((12, 16, 16, 1), 2, "uniform", k=4, backbone="small_cnn")
        >>> type(sampler_layer(model)).__name__
        'UniformSampler'
    """
    try:
        layer = model.get_layer(SAMPLER_LAYER_NAME)
    except ValueError:
        return None
    return layer if isinstance(layer, BaseSampler) else None


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
        False when the sampler is a `RandomSampler` (then the two sides draw different slices and
        only the next entry is meaningful); "exported_indices_valid", whether every exported
        index row is ascending, distinct and in [0, T) (None without `indices`).

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
    import tensorflow as tf

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


def run_onnx(onnx_path, inputs):
    """Runs an ONNX file in ONNX Runtime (CPU) on a batch.

    Args:
        onnx_path: the .onnx file.
        inputs: array (N, T, H, W, C) of the model's input dtype.

    Returns:
        dict {output name: NumPy array}, e.g. {"output": (N, num_classes), "indices": (N, k)}.

    Raises:
        ExportedModelError: ONNX Runtime could not load the file or run it on `inputs`; the
            message includes ONNX Runtime's own.

    Example:
        >>> run_onnx("das.onnx", x_test[:4])["output"].shape  # doctest: +SKIP
        (4, 2)
    """
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(os.fspath(onnx_path), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        names = [output.name for output in session.get_outputs()]
        values = session.run(names, {input_name: inputs})
    except Exception as error:  # onnxruntime raises its own classes, not subclasses of one base
        expected = _session_input_shape(onnx_path)
        raise ExportedModelError(
            f"ONNX Runtime failed to run {onnx_path} on inputs of shape {tuple(inputs.shape)} "
            f"(dtype {inputs.dtype}); the file expects {expected}. ONNX Runtime said: {error}"
        ) from error
    return dict(zip(names, values))


def _compare(model, inputs, exported):
    sampler = sampler_layer(model)
    expected = keras.ops.convert_to_numpy(model(inputs, training=False))
    actual = exported[OUTPUT_NAME]
    report = {
        "num_samples": int(len(inputs)),
        "max_abs_diff": float(np.max(np.abs(actual.astype("float64") - expected))),
        "class_agreement": float(np.mean(actual.argmax(-1) == expected.argmax(-1))),
        "index_agreement": None,
        "deterministic": not isinstance(sampler, RandomSampler),
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


def _import_export_dependencies():
    try:
        import onnx
        import tf2onnx
    except ImportError as error:
        raise ImportError(
            f"ONNX export needs tf2onnx and onnx ({error}). Install them with "
            "`pip install das-keras[export]`."
        ) from error
    return tf2onnx, onnx


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


def _check_flag(value, argument):
    if not isinstance(value, bool):
        raise ValueError(f"`{argument}` must be True or False; received {value!r}.")


def _check_opset(opset):
    if opset is None:
        return DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, int) or opset not in SUPPORTED_OPSETS:
        raise ValueError(
            f"`opset` must be an int from {SUPPORTED_OPSETS[0]} to {SUPPORTED_OPSETS[-1]} "
            f"(the opsets tf2onnx 1.17 converts to) or None for {DEFAULT_OPSET}; "
            f"received opset={opset!r}."
        )
    return opset


def _input_spec(model):
    import tensorflow as tf

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
        if isinstance(sampler, RandomSampler):
            raise ValueError(
                f"`return_indices=True` with a RandomSampler needs a model in which the input "
                f"reaches the output only through the sampler, so that one draw feeds both "
                f"outputs; model {model.name!r} is not of that form."
            ) from None
        return None  # deterministic samplers choose the same slices when called twice


def _stateless_uniform_handler(model):
    """A tf2onnx handler mapping TF's stateless uniform draw to ONNX `RandomUniformLike`.

    TF's StatelessRandomUniformV2 (what `keras.random.uniform` emits) has no ONNX counterpart;
    tf2onnx leaves it unconverted and ONNX Runtime then rejects the file.
    """
    from onnx import TensorProto

    sampler = sampler_layer(model)
    seed = getattr(sampler, "seed", None)

    def handler(ctx, node, name, args):
        shape = ctx.make_node("Cast", [node.input[0]], attr={"to": TensorProto.INT64})
        zeros = ctx.make_node("ConstantOfShape", shape.output)
        ctx.replace_inputs(node, zeros.output)
        node.type = "RandomUniformLike"
        if seed is not None:
            node.set_attr("seed", float(seed))

    return handler


def _check_runtime_ops(proto, onnx):
    unsupported = sorted(
        {
            f"{node.op_type} (domain {node.domain!r})"
            for node in proto.graph.node
            if node.domain not in _RUNTIME_DOMAINS
            or (node.domain in ("", "ai.onnx") and not onnx.defs.has(node.op_type))
        }
    )
    if unsupported:
        raise ValueError(
            f"tf2onnx could not convert these TensorFlow ops of the model to ONNX: "
            f"{', '.join(unsupported)}. ONNX Runtime cannot load such a file. Replace the layers "
            "that emit them (e.g. keras.ops.argmax on floats emits Bitcast; use ops.top_k)."
        )


def _put_output_first(proto):
    # tf2onnx orders dict outputs by key ("indices" < "output"); users expect the output first.
    outputs = sorted(proto.graph.output, key=lambda value: value.name != OUTPUT_NAME)
    copies = [type(value)() for value in outputs]
    for copy, value in zip(copies, outputs):
        copy.CopyFrom(value)
    del proto.graph.output[:]
    proto.graph.output.extend(copies)


def _add_metadata(proto, model, onnx):
    from das_keras.version import __version__

    sampler = sampler_layer(model)
    properties = {
        "producer": f"das-keras {__version__}",
        "keras_model_name": model.name,
        "input_shape": str(tuple(model.inputs[0].shape[1:])),
        "sampler": type(sampler).__name__ if sampler is not None else "none",
        "k": str(sampler.num_selected) if sampler is not None else "none",
    }
    onnx.helper.set_model_props(proto, properties)


def _check_inputs_array(inputs):
    try:
        inputs = np.asarray(keras.ops.convert_to_numpy(inputs))
    except (TypeError, ValueError) as error:
        raise ValueError(f"`inputs` must be an array; received {type(inputs).__name__}.") from error
    if inputs.ndim < 1 or len(inputs) == 0:
        raise ValueError(f"`inputs` must hold at least one sample; received shape {inputs.shape}.")
    return inputs.astype("float32") if inputs.dtype == np.float64 else inputs


def _session_input_shape(onnx_path):
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(os.fspath(onnx_path), providers=["CPUExecutionProvider"])
    except Exception:  # the file itself does not load: the caller reports that error
        return "an input the file could not describe (it does not load)"
    spec = session.get_inputs()[0]
    shape = tuple("B" if not isinstance(dim, int) else dim for dim in spec.shape)
    return f"{spec.name!r} of shape {shape} and type {spec.type}"
