"""RandomSampler: k slices drawn at random without replacement."""

import functools
import importlib.util

from keras import ops

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class RandomSampler(BaseSampler):
    """Keeps k slices drawn uniformly at random without replacement, anew for every input.

    It draws in training and at inference alike; the layer's `keras.random.SeedGenerator` makes
    the sequence of draws reproducible for a given `seed`.

    Args:
        k: how many slices each draw takes: an int >= 1, or a fraction of T in (0, 1].
        seed: optional int, seeds the draws.
        **kwargs: `context` and the Keras layer arguments (`BaseSampler`).

    Shapes:
        (B, T, H, W, C) -> (B, k, H, W, C), the drawn slices in temporal order.

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> RandomSampler(k=7, seed=1)(x).shape
        (2, 7, 28, 28, 1)
    """

    sampler_name = "random"
    draws_noise = True
    draws_at_inference = True

    def _select(self, inputs, training):
        if F.tf_trace() == "other":  # traced for an export, perhaps Keras's own to ONNX
            register_onnx_conversion()
        # replica_uniform: each tf.distribute replica draws its own keys (see its docstring)
        keys = F.replica_uniform((ops.shape(inputs)[0], self.num_slices), self.seed_generator)
        _, indices = ops.top_k(keys, k=self.num_selected)
        return self._fixed_selection(indices, inputs)


@functools.cache
def register_onnx_conversion():
    """Teaches tf2onnx (when installed) to convert the layer's random draw to ONNX.

    `keras.random.uniform` traces TensorFlow's StatelessRandomUniformV2, which tf2onnx does not
    know: Keras's own `model.export(path, format="onnx")` then writes a file that ONNX Runtime
    refuses. This registers a tf2onnx handler that maps it to ONNX `RandomUniformLike` (the
    mapping `das_keras.export.to_onnx` also uses, there with the layer's seed): the exported
    model draws its own random slices on every run, as the layer does, from ONNX Runtime's
    generator. The layer calls it when it is traced outside Keras's own steps (an export).

    Returns:
        bool: whether tf2onnx is installed (and the handler registered).

    Example:
        >>> register_onnx_conversion()  # doctest: +SKIP
        True
    """
    if importlib.util.find_spec("tf2onnx") is None:
        return False
    from tf2onnx.handler import tf_op

    # ConstantOfShape (for the dynamic batch) needs opset 9; tf2onnx's opsets start above it
    tf_op.register_handler(_stateless_uniform_to_onnx, 9, ["StatelessRandomUniformV2"], "", {})
    return True


def _stateless_uniform_to_onnx(ctx, node, **kwargs):
    """tf2onnx handler (the signature of tf_op handlers): see `uniform_draw_to_onnx`."""
    uniform_draw_to_onnx(ctx, node)


def uniform_draw_to_onnx(ctx, node, seed=None):
    """Rewrites a tf2onnx node StatelessRandomUniformV2(shape, key, counter, alg) in place into
    ONNX RandomUniformLike of zeros of that shape (U[0, 1), float32), seeded where `seed` is
    given. Used by `register_onnx_conversion` and by `das_keras.export.to_onnx`.

    Args:
        ctx: the tf2onnx graph being converted.
        node: the tf2onnx node of the draw.
        seed: optional int, the ONNX node's seed (ONNX Runtime's generator, not Keras's).

    Returns:
        None; `node` is changed in place.

    Example:
        >>> uniform_draw_to_onnx(ctx, node, seed=3)  # doctest: +SKIP
    """
    from onnx import TensorProto  # the export extra; only reached from a tf2onnx conversion

    shape = ctx.make_node("Cast", [node.input[0]], attr={"to": TensorProto.INT64})
    zeros = ctx.make_node("ConstantOfShape", shape.output)
    ctx.replace_inputs(node, zeros.output)
    node.type = "RandomUniformLike"
    if seed is not None:
        node.set_attr("seed", float(seed))
