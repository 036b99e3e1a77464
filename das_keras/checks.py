"""Argument checks shared by the whole package (a leaf module: it imports nothing from das_keras).

Each check returns the value it accepted (normalised: `int(...)`, `float(...)`) and otherwise
raises an error that names the argument, the value received and what was expected, e.g.
"`heads` must be an int >= 1; received heads=0.". A value of the wrong type raises
`ArgumentTypeError`, which is both a TypeError and a ValueError (so `except ValueError` still
catches every invalid argument); a value of the right type out of range raises ValueError.

`resolve_k` is the one place where `k` (slices to keep, a count or a fraction of T) is turned
into a count and range-checked.
"""

import math
import numbers

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "check_bool",
    "check_choice",
    "check_fraction",
    "check_positive_int",
    "check_positive_number",
    "resolve_k",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a TypeError, and a ValueError for older callers)."""


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_positive_int(value, name, minimum=1, allow_none=False):
    """Checks an int argument >= `minimum` (bools refused; NumPy ints accepted).

    Args:
        value: the value received.
        name: the argument's name, for the error message.
        minimum: the smallest accepted value (1 by default; 0 for "an int >= 0").
        allow_none: also accept None (returned as is).

    Returns:
        `value` as a Python int (or None where allowed).

    Raises:
        ArgumentTypeError: `value` is not an int. ValueError: it is below `minimum`.

    Example:
        >>> check_positive_int(16, "num_frames")
        16
        >>> check_positive_int(0, "context", minimum=0)
        0
    """
    if value is None and allow_none:
        return None
    if _is_int(value) and value >= minimum:
        return int(value)
    expected = f"an int >= {minimum}" + (" or None" if allow_none else "")
    error = ValueError if _is_int(value) else ArgumentTypeError
    raise error(f"`{name}` must be {expected}; received {name}={value!r}.")


def check_positive_number(value, name, allow_none=False):
    """Checks a finite number > 0 (bools refused).

    Args:
        value: the value received.
        name: the argument's name, for the error message.
        allow_none: also accept None (returned as is).

    Returns:
        `value` as a Python float (or None where allowed).

    Raises:
        ArgumentTypeError: `value` is not a number. ValueError: it is <= 0, NaN or infinite.

    Example:
        >>> check_positive_number(2, "tau0")
        2.0
    """
    if value is None and allow_none:
        return None
    if _is_real(value) and math.isfinite(float(value)) and value > 0:
        return float(value)
    expected = "a number > 0" + (" or None" if allow_none else "")
    error = ValueError if _is_real(value) else ArgumentTypeError
    raise error(f"`{name}` must be {expected}; received {name}={value!r}.")


def check_fraction(value, name, allow_zero=False, allow_one=True):
    """Checks a fraction: a number in (0, 1] by default.

    Args:
        value: the value received.
        name: the argument's name, for the error message.
        allow_zero: accept 0 (the interval becomes [0, ...).
        allow_one: accept 1 (the interval ends ..., 1]); False for (..., 1).

    Returns:
        `value` as a Python float.

    Raises:
        ArgumentTypeError: `value` is not a number. ValueError: it is outside the interval.

    Example:
        >>> check_fraction(0.25, "dropout", allow_zero=True, allow_one=False)
        0.25
    """
    interval = f"{'[' if allow_zero else '('}0, 1{']' if allow_one else ')'}"
    if not _is_real(value):
        raise ArgumentTypeError(
            f"`{name}` must be a number in {interval}; received {name}={value!r}."
        )
    low_ok = value >= 0 if allow_zero else value > 0
    high_ok = value <= 1 if allow_one else value < 1
    if not (low_ok and high_ok):
        raise ValueError(f"`{name}` must be a number in {interval}; received {name}={value!r}.")
    return float(value)


def check_choice(value, name, choices):
    """Checks that `value` is one of `choices`.

    Args:
        value: the value received.
        name: the argument's name, for the error message.
        choices: the accepted values (any iterable; a mapping's keys).

    Returns:
        `value`.

    Raises:
        ValueError: `value` is not among `choices` (the message lists them).

    Example:
        >>> check_choice("mean", "aggregation", ("mean", "attention"))
        'mean'
    """
    choices = tuple(choices)
    try:
        found = value in choices
    except TypeError:  # an unhashable value against a set-like container
        found = False
    if not found:
        raise ValueError(f"`{name}` must be one of {choices}; received {name}={value!r}.")
    return value


def check_bool(value, name):
    """Checks a flag: True or False (NumPy bools accepted; 0, 1, "yes" refused).

    Args:
        value: the value received.
        name: the argument's name, for the error message.

    Returns:
        `value` as a Python bool.

    Raises:
        ArgumentTypeError: `value` is not a bool.

    Example:
        >>> check_bool(True, "learned_positions")
        True
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ArgumentTypeError(f"`{name}` must be True or False; received {value!r}.")


def resolve_k(k, num_slices, name="k"):
    """Turns `k` (a count, or a fraction of T) into a number of slices, checking its range.

    The one place `k` is range-checked: a sampler calls it when built (T known) and, with
    `num_slices=None`, when constructed (type and lower bound only).

    Args:
        k: int >= 1 (number of slices to keep) or float in (0, 1] (fraction of T, rounded, at
            least one slice).
        num_slices: int, T, the number of slices in the input; None where T is not known yet
            (then a fraction is returned unchanged and only the lower bound is checked).
        name: the argument name to use in error messages.

    Returns:
        int, the number of slices to keep, 1 <= k <= T (a float fraction where `num_slices` is
        None).

    Raises:
        ArgumentTypeError: `k` is neither an int nor a float. ValueError: out of range.

    Example:
        >>> resolve_k(0.5, 28), resolve_k(7, 28)
        (14, 7)
    """
    if _is_int(k):
        k = int(k)
    elif _is_real(k):
        k = float(k)
        if not 0.0 < k <= 1.0:
            raise ValueError(
                f"`{name}` as a fraction of T must be in (0, 1]; received {name}={k!r}."
            )
        if num_slices is None:
            return k
        k = max(1, int(round(k * num_slices)))
    else:
        raise ArgumentTypeError(
            f"`{name}` must be an int >= 1 or a float in (0, 1]; received {k!r}."
        )
    if k < 1:
        raise ValueError(f"`{name}` must be >= 1; received {name}={k}.")
    if num_slices is not None and k > num_slices:
        raise ValueError(
            f"`{name}` must be <= T, the number of slices in the input; received {name}={k} "
            f"with T={num_slices}."
        )
    return k
