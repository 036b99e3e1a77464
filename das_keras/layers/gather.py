"""Applying a selection: gather the chosen slices (inference) or P @ x (training).

Shapes use B = batch, T = slices in the input, k = slices kept, c = context.
"""

from keras import ops


def gather_slices(x, indices):
    """Takes slices `indices` of each sample: the cheap inference path (only k slices are read).

    Args:
        x: (B, T, H, W, C).
        indices: int (B, k).

    Returns:
        (B, k, H, W, C).
    """
    # One gather of whole slices from x viewed as (B * T, H, W, C): cheaper than
    # take_along_axis, which gathers element by element (also in the exported ONNX graph).
    # ops.shape: static sizes where known, run-time ones where not (e.g. H and W of None)
    num_slices, k, frame_shape = x.shape[1], indices.shape[1], ops.shape(x)[2:]
    offsets = ops.arange(ops.shape(x)[0], dtype="int32")[:, None] * num_slices
    flat = ops.reshape(ops.cast(indices, "int32") + offsets, (-1,))
    slices = ops.take(ops.reshape(x, (-1, *frame_shape)), flat, axis=0)
    return ops.reshape(slices, (-1, k, *frame_shape))


def context_indices(indices, num_slices, context):
    """The slices a chosen slice carries with `context`: itself and its c neighbours on each side.

    Neighbours beyond the first or last slice repeat the edge slice.

    Args:
        indices: int (B, k), chosen slices.
        num_slices: T.
        context: int >= 0, c.

    Returns:
        int32 (B, k, 2c + 1): indices[b, j] + (-c, ..., c), clipped to [0, T - 1].

    Example:
        >>> context_indices(ops.array([[0, 5]]), 6, 1).tolist()
        [[[0, 0, 1], [4, 5, 5]]]
    """
    offsets = ops.arange(-context, context + 1, dtype="int32")
    return ops.clip(ops.cast(indices, "int32")[..., None] + offsets, 0, num_slices - 1)


def stack_context(x, context):
    """Each slice of x with its c neighbours on each side as extra channels (2.5D input).

    Args:
        x: (B, T, H, W, C).
        context: int >= 0, c.

    Returns:
        (B, T, H, W, (2c + 1) * C); channel block o (o = 0..2c) holds slice t + o - c (edge
        slices repeated), so block c is x itself.

    Shapes:
        (B, T, H, W, C) -> (B, T, H, W, (2c + 1) C).

    Example:
        >>> stack_context(ops.zeros((2, 6, 8, 8, 1)), 1).shape
        (2, 6, 8, 8, 3)
    """
    if context == 0:
        return x
    num_slices = x.shape[1]
    positions = context_indices(ops.arange(num_slices, dtype="int32")[None], num_slices, context)
    shifted = [ops.take(x, positions[0, :, o], axis=1) for o in range(2 * context + 1)]
    return ops.concatenate(shifted, axis=-1)


def gather_slices_with_context(x, indices, context):
    """`gather_slices` where each chosen slice carries its c neighbours as channels.

    Only the k (2c + 1) slices used are read: the inference path with `context`.

    Args:
        x: (B, T, H, W, C).
        indices: int (B, k).
        context: int >= 0, c.

    Returns:
        (B, k, H, W, (2c + 1) C), equal to `gather_slices(stack_context(x, c), indices)`.

    Shapes:
        x (B, T, H, W, C), indices (B, k) -> (B, k, H, W, (2c + 1) C).

    Example:
        >>> x = ops.zeros((2, 6, 8, 8, 1))
        >>> gather_slices_with_context(x, ops.array([[1, 4], [0, 5]]), 1).shape
        (2, 2, 8, 8, 3)
    """
    if context == 0:
        return gather_slices(x, indices)
    k, width = indices.shape[1], 2 * context + 1
    neighbours = context_indices(indices, x.shape[1], context)  # (B, k, 2c + 1)
    slices = gather_slices(x, ops.reshape(neighbours, (-1, k * width)))  # (B, k (2c+1), H, W, C)
    slices = ops.reshape(slices, (-1, k, width, *ops.shape(slices)[2:]))
    slices = ops.transpose(slices, (0, 1, 3, 4, 2, 5))  # (B, k, H, W, 2c + 1, C)
    height, frame_width, channels = ops.shape(slices)[2], ops.shape(slices)[3], ops.shape(x)[-1]
    return ops.reshape(slices, (-1, k, height, frame_width, width * channels))


def apply_selection(x, selection_matrix):
    """Selected slices as P @ x, the differentiable training path.

    Args:
        x: (B, T, H, W, C), float.
        selection_matrix: (B, k, T).

    Returns:
        (B, k, H, W, C).
    """
    return ops.einsum("bkt,bthwc->bkhwc", ops.cast(selection_matrix, x.dtype), x)
