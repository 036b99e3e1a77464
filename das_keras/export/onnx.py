"""Export to ONNX with tf2onnx, and running the file in ONNX Runtime.

tf2onnx, onnx and onnxruntime are the optional `export` extra: imported when first used, with an
install hint where they are missing.
"""

import importlib
import os

from das_keras.export.serving import (
    OUTPUT_NAME,
    ExportedModelError,
    _check_path,
    first_sampler,
    serving_function,
)
from das_keras.layers.frame_descriptors import plain_descriptor_ops
from das_keras.layers.random_sampler import uniform_draw_to_onnx
from das_keras.version import __version__

DEFAULT_OPSET = 17
# tf2onnx 1.17 converts to opsets 13-18; from 19 on it stops with "Opset 19 is not supported yet".
SUPPORTED_OPSETS = tuple(range(13, 19))
# Domains whose ops ONNX Runtime's CPU provider implements (tf2onnx may emit contrib ops).
_RUNTIME_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")


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
            `BaseSampler` layer in the model (as `build_classifier` makes; found by its class).

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
    tf2onnx, onnx = _import_extra("tf2onnx", "onnx")
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
    (ort,) = _import_extra("onnxruntime")
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


def _import_extra(*names):
    """The optional export modules `names`, or an ImportError with the install hint."""
    try:
        return tuple(importlib.import_module(name) for name in names)
    except ImportError as error:
        raise ImportError(
            f"ONNX export needs tf2onnx, onnx and onnxruntime ({error}). Install them with "
            "`pip install das-keras[export]`."
        ) from error


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


def _stateless_uniform_handler(model):
    """A tf2onnx handler mapping TF's stateless uniform draw to ONNX `RandomUniformLike`.

    TF's StatelessRandomUniformV2 (what `keras.random.uniform` emits) has no ONNX counterpart;
    tf2onnx leaves it unconverted and ONNX Runtime then rejects the file.
    """
    seed = getattr(first_sampler(model), "seed", None)

    def handler(ctx, node, name, args):
        uniform_draw_to_onnx(ctx, node, seed=seed)

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
    sampler = first_sampler(model)
    properties = {
        "producer": f"das-keras {__version__}",
        "keras_model_name": model.name,
        "input_shape": str(tuple(model.inputs[0].shape[1:])),
        "sampler": type(sampler).__name__ if sampler is not None else "none",
        "k": str(sampler.num_selected) if sampler is not None else "none",
    }
    onnx.helper.set_model_props(proto, properties)


def _session_input_shape(onnx_path):
    (ort,) = _import_extra("onnxruntime")
    try:
        session = ort.InferenceSession(os.fspath(onnx_path), providers=["CPUExecutionProvider"])
    except Exception:  # the file itself does not load: the caller reports that error
        return "an input the file could not describe (it does not load)"
    spec = session.get_inputs()[0]
    shape = tuple("B" if not isinstance(dim, int) else dim for dim in spec.shape)
    return f"{spec.name!r} of shape {shape} and type {spec.type}"
