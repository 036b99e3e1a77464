"""das_keras.checks: every check accepts what it documents and names the argument otherwise."""

import ast
import pathlib

import numpy as np
import pytest

from das_keras import checks
from das_keras.checks import (
    ArgumentTypeError,
    check_bool,
    check_choice,
    check_fraction,
    check_positive_int,
    check_positive_number,
    resolve_k,
)


def test_positive_int_accepts_and_normalises():
    assert check_positive_int(3, "n") == 3
    assert type(check_positive_int(np.int64(3), "n")) is int
    assert check_positive_int(0, "context", minimum=0) == 0
    assert check_positive_int(None, "num_batches", allow_none=True) is None


@pytest.mark.parametrize(
    "value, kwargs, error, message",
    [
        (0, {}, ValueError, r"`n` must be an int >= 1; received n=0\."),
        (-1, {"minimum": 0}, ValueError, r"`n` must be an int >= 0; received n=-1\."),
        (True, {}, ArgumentTypeError, r"`n` must be an int >= 1; received n=True\."),
        (2.0, {}, ArgumentTypeError, r"received n=2\.0"),
        ("3", {}, ArgumentTypeError, r"received n='3'"),
        (None, {}, ArgumentTypeError, r"received n=None"),
        (0, {"allow_none": True}, ValueError, r"an int >= 1 or None; received n=0"),
    ],
)
def test_positive_int_refuses(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_positive_int(value, "n", **kwargs)


def test_type_errors_are_also_value_errors():
    # callers (and the CLI) that catch ValueError still catch a wrong type
    with pytest.raises(ValueError):
        check_positive_int("x", "n")
    with pytest.raises(TypeError):
        check_positive_int("x", "n")


def test_positive_number():
    assert check_positive_number(2, "tau0") == 2.0
    assert check_positive_number(None, "lr", allow_none=True) is None
    for bad in (0, -0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"`tau0` must be a number > 0; received tau0="):
            check_positive_number(bad, "tau0")
    with pytest.raises(ArgumentTypeError, match="received tau0=False"):
        check_positive_number(False, "tau0")


def test_fraction_intervals():
    assert check_fraction(1, "f") == 1.0
    assert check_fraction(0.0, "f", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match=r"`f` must be a number in \(0, 1\]; received f=0"):
        check_fraction(0, "f")
    with pytest.raises(ValueError, match=r"in \[0, 1\); received f=1"):
        check_fraction(1, "f", allow_zero=True, allow_one=False)
    with pytest.raises(ArgumentTypeError, match="received f='half'"):
        check_fraction("half", "f")


def test_choice_and_bool():
    assert check_choice("mean", "aggregation", ["mean", "attention"]) == "mean"
    assert check_choice("a", "x", {"a": 1}) == "a"
    with pytest.raises(ValueError, match=r"`aggregation` must be one of \('mean',.*received agg"):
        check_choice("sum", "aggregation", ("mean", "attention"))
    with pytest.raises(ValueError, match="must be one of"):
        check_choice(["unhashable"], "x", {"a"})
    assert check_bool(np.bool_(True), "flag") is True
    for bad in (1, "yes", None):
        with pytest.raises(ArgumentTypeError, match="`flag` must be True or False"):
            check_bool(bad, "flag")


def test_resolve_k():
    assert resolve_k(0.5, 28) == 14
    assert resolve_k(7, 28) == 7
    assert resolve_k(np.int32(7), 28) == 7
    assert resolve_k(0.01, 28) == 1  # at least one slice
    assert resolve_k(0.5, None) == 0.5  # T unknown: the fraction as it is
    assert resolve_k(40, None) == 40
    with pytest.raises(ValueError, match=r"`k` must be <= T.*k=29 with T=28"):
        resolve_k(29, 28)
    with pytest.raises(ValueError, match=r"`k` as a fraction of T must be in \(0, 1\].*1\.5"):
        resolve_k(1.5, 28)
    with pytest.raises(ValueError, match=r"`k` must be >= 1; received k=0"):
        resolve_k(0, None)
    with pytest.raises(ArgumentTypeError, match=r"`k_slices` must be an int >= 1 or a float"):
        resolve_k("7", 28, name="k_slices")
    with pytest.raises(ArgumentTypeError):
        resolve_k(True, 28)


def test_checks_is_a_leaf_module():
    tree = ast.parse(pathlib.Path(checks.__file__).read_text())
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.startswith("das_keras")]
