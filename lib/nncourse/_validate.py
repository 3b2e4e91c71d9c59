"""Argument checks shared by the library: every bad input raises a ValueError (a TypeError for a value of the
wrong kind) that names the argument and says what is allowed.

Both are shown in a notebook as one line, `ValueError: lr must be ...`, not as a traceback through the
library's frames: the message says all a learner needs, and the frames would only hide it."""
import difflib
import numbers

import numpy as np


class _OneLine:
    """IPython renders an exception that has `_render_traceback_` with the lines it returns (ipykernel and
    papermill included); `traceback.print_exc()` still gives the whole traceback for debugging."""

    def _render_traceback_(self):
        kind = next(b.__name__ for b in type(self).__mro__ if b.__module__ == "builtins")
        return [f"\x1b[0;31m{kind}\x1b[0m: {self}"]


class InputError(_OneLine, ValueError):
    """A bad value given to the course: shown as one line."""


class InputTypeError(_OneLine, TypeError, ValueError):
    """A value of the wrong kind given to the course: shown as one line. Also a ValueError, so that one
    `except ValueError` (a panel's, a test's) catches every bad input the course reports."""


def positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def positive(name, value):
    """Return `value` as a float if it is a finite number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def non_negative(name, value):
    """Return `value` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def choice(name, value, allowed):
    """Return `value` if it is one of `allowed` (a dict or sequence of names), else raise listing them and,
    when a name is close (another case, a typo), suggesting it."""
    try:
        ok = value in allowed
    except TypeError:   # an unhashable value looked up in a dict
        ok = False
    if not ok:
        names = ", ".join(repr(a) for a in allowed)
        raise InputError(f"unknown {name} {value!r}; choose one of: {names}{did_you_mean(value, allowed)}")
    return value


def did_you_mean(value, allowed):
    """'; did you mean 'adam'?' when `value` is a near miss of one of `allowed` (strings only), else ''."""
    if not isinstance(value, str):
        return ""
    names = [a for a in allowed if isinstance(a, str)]
    lowered = {a.lower(): a for a in names}
    if value.lower() in lowered:
        return f"; did you mean {lowered[value.lower()]!r}?"
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def finite_array(name, x, ndim=None):
    """Return `x` as a float64 array; raise if it has the wrong number of dimensions or holds NaN/inf."""
    arr = np.asarray(x, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite values")
    return arr


def rng(value):
    """Return `value` if it is a numpy Generator, else raise (the course never uses global seeds)."""
    if not isinstance(value, np.random.Generator):
        raise InputTypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(value).__name__}")
    return value
