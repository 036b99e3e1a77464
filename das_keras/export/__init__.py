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

Modules: `serving` (the traced inference function both formats share), `onnx` (`to_onnx`,
`run_onnx`), `saved_model` (`to_saved_model`), `verify` (`verify_onnx`, `verify_saved_model`,
`indices_valid`).
"""

from das_keras.export.onnx import DEFAULT_OPSET, SUPPORTED_OPSETS, run_onnx, to_onnx
from das_keras.export.saved_model import to_saved_model, verify_saved_model
from das_keras.export.serving import (
    INDICES_NAME,
    INPUT_NAME,
    OUTPUT_NAME,
    ExportedModelError,
    sampler_layer,
    serving_function,
)
from das_keras.export.verify import indices_valid, verify_onnx

__all__ = [
    "DEFAULT_OPSET",
    "INDICES_NAME",
    "INPUT_NAME",
    "OUTPUT_NAME",
    "SUPPORTED_OPSETS",
    "ExportedModelError",
    "indices_valid",
    "run_onnx",
    "sampler_layer",
    "serving_function",
    "to_onnx",
    "to_saved_model",
    "verify_onnx",
    "verify_saved_model",
]
