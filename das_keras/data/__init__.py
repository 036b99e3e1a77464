"""Data sources as `tf.data.Dataset`s of (volume or clip (T, H, W, C), label)."""

from das_keras.data.synthetic import synthetic, synthetic_arrays

__all__ = ["synthetic", "synthetic_arrays"]
