"""Argument checks shared by the library: every bad input raises a ValueError that says what is allowed."""
import numbers

import numpy as np


def positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def positive(name, value):
    """Return `value` as a float if it is a finite number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def non_negative(name, value):
    """Return `value` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def choice(name, value, allowed):
    """Return `value` if it is one of `allowed` (a dict or sequence of names), else raise listing them."""
    if value not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"unknown {name} {value!r}; choose one of: {names}")
    return value


def finite_array(name, x, ndim=None):
    """Return `x` as a float64 array; raise if it has the wrong number of dimensions or holds NaN/inf."""
    arr = np.asarray(x, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def rng(value):
    """Return `value` if it is a numpy Generator, else raise (the course never uses global seeds)."""
    if not isinstance(value, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(value).__name__}")
    return value
