"""Value syntax of `das-keras tune`: fixed values, choices (1,2,4) and ranges (0.1:5)."""

import argparse

from das_keras.commands.common import parse_k


def split(text):
    """The entries of a comma-separated list."""
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
    return parts


def one_or_tuple(values):
    """One value (fixed) or a tuple (a choice)."""
    return values[0] if len(values) == 1 else tuple(values)


def _values(text, kind, expected):
    """One value or a choice of values of `kind` (a parser of one entry)."""
    try:
        return one_or_tuple([kind(p) for p in split(text)])
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}") from None


def parse_k_values(text):
    """--k: 0.5 (fraction of T), 7,14 (counts) or 0.25,0.5 (fractions)."""
    expected = "counts like 7 or 7,14, or fractions like 0.5 or 0.25,0.5"
    return _values(text, parse_k, expected)


def int_values(text):
    """--heads, --hidden-units: 4 or a choice 1,2,4."""
    return _values(text, int, "ints like 4 or 1,2,4")


def float_values(text):
    """--width: 1.0 or a choice 0.5,1."""
    return _values(text, float, "numbers like 1.0 or 0.5,1")


def str_values(text):
    """--aggregation: mean or a choice mean,conv1d."""
    return one_or_tuple(split(text))


def continuous_values(text):
    """ "1.0" fixed, "0.1:5" a (low, high) range, "0.5,1,2" a choice (a list)."""
    try:
        if ":" in text:
            low, high = text.split(":")
            return (float(low), float(high))
        values = [float(p) for p in split(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number (1.0), a range low:high (0.1:5) or a list (0.5,1,2); "
            f"received {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values
