"""Argument checks shared by the library: every bad input raises a ValueError (a TypeError for a value of the
wrong kind) that names the argument and says what is allowed. All of the library's argument checks live here;
the public functions call them once, at the boundary (fit checks its arguments before the first step, not at
every step). numpy scalars and 0-d arrays count as numbers, bools do not; lists count as arrays, text does not.

Both are shown in a notebook as one line, `ValueError: lr must be ...`, not as a traceback through the
library's frames: the message says all a learner needs, and the frames would only hide it."""

import difflib
import inspect
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

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


def _shown(value):
    """A bad value as a message shows it, on one line: its repr when short, else its kind (and an array's shape)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 60 and "\n" not in text else f"a {type(value).__name__}"


def _number(name, value, allowed, ok, integral=False):
    """Return `value` (a 0-d array as the number it holds) if it is a real number (an integer if `integral`)
    for which ok(value) holds, else raise `{name} must be {allowed}, got ...`: an InputTypeError for something
    that is not a number at all (a string, None, a bool, a list), an InputError for a number out of range."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    kind = numbers.Integral if integral else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        raise InputTypeError(f"{name} must be {allowed}, got {_shown(value)}")
    try:
        in_range = (integral or math.isfinite(value)) and ok(value)
    except OverflowError:  # an int too large for a float
        in_range = False
    if not in_range:
        raise InputError(f"{name} must be {allowed}, got {_shown(value)}")
    return value


def positive_int(name: str, value: Any) -> int:
    """Return `value` as an int if it is an integer >= 1, else raise."""
    return int(_number(name, value, "a positive integer", lambda v: v >= 1, integral=True))


def non_negative_int(name: str, value: Any) -> int:
    """Return `value` as an int if it is an integer >= 0, else raise."""
    return int(_number(name, value, "a non-negative integer", lambda v: v >= 0, integral=True))


def int_between(name: str, value: Any, low: int, high: int, allowed: str | None = None) -> int:
    """Return `value` as an int if it is an integer with low <= value <= high, else raise."""
    allowed = allowed or f"an integer from {low} to {high}"
    return int(_number(name, value, allowed, lambda v: low <= v <= high, integral=True))


def positive(name: str, value: Any) -> float:
    """Return `value` as a float if it is a finite number > 0, else raise."""
    return float(_number(name, value, "a positive number", lambda v: v > 0))


def non_negative(name: str, value: Any) -> float:
    """Return `value` as a float if it is a finite number >= 0, else raise."""
    return float(_number(name, value, "a non-negative number", lambda v: v >= 0))


def real(name: str, value: Any) -> float:
    """Return `value` as a float if it is a finite number, else raise."""
    return float(_number(name, value, "a finite number", lambda v: True))


def fraction(name: str, value: Any) -> float:
    """Return `value` as a float if it is a number in [0, 1), else raise: a momentum or decay rate (1 would never
    forget, and breaks Adam's bias correction), a dropout or pruning rate (1 would remove everything)."""
    return float(_number(name, value, "a number in [0, 1)", lambda v: 0 <= v < 1))


def open_fraction(name: str, value: Any) -> float:
    """Return `value` as a float if 0 < value < 1 (a decay factor, a test fraction), else raise."""
    return float(_number(name, value, f"a number with 0 < {name} < 1", lambda v: 0 < v < 1))


def number_range(name: str, value: Any) -> tuple[float, float]:
    """Return `value` as (low, high) if it is a pair of finite numbers with low < high, else raise."""
    allowed = "(low, high) with low < high"
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray)) or len(value) != 2:
        raise InputTypeError(f"{name} must be {allowed}, got {_shown(value)}")
    low, high = (_number(name, v, allowed, lambda v: True) for v in value)
    if not low < high:
        raise InputError(f"{name} must be {allowed}, got {(low, high)}")
    return low, high


def shape(value: Any) -> tuple[int, ...]:
    """An initializer's shape as a tuple: (fan_in, fan_out) or (n,) of positive integers (an int n is (n,))."""
    allowed = "(fan_in, fan_out) or (n,) with positive integers"
    shape = (value,) if isinstance(value, (numbers.Integral, np.ndarray)) and np.ndim(value) == 0 else value
    if not isinstance(shape, (tuple, list)) or not 1 <= len(shape) <= 2:
        raise InputTypeError(f"shape must be {allowed}, got {_shown(value)}")
    try:
        return tuple(_number("shape", v, allowed, lambda v: v >= 1, integral=True) for v in shape)
    except InputError as err:
        raise type(err)(f"shape must be {allowed}, got {_shown(value)}") from None


def flag(name: str, value: Any) -> bool:
    """Return `value` as a bool if it is True or False (a numpy bool too), else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"{name} must be True or False, got {_shown(value)}")
    return bool(value)


def keywords(what: str, kwargs: dict[str, Any], fn: Callable, given: Iterable[str] = ()) -> None:
    """Raise if `kwargs` holds a name that `fn` (a function or class) does not take, listing the ones it does
    (leaving out `given`, the arguments the caller passes itself): "unknown setting 'gamma' for schedule
    'step'; it takes: factor, step_size"."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature: let the call itself decide
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    takes = [k for k, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in given]
    for key in kwargs:
        if key not in takes:
            listed = "it takes: " + ", ".join(takes) if takes else "it takes no settings"
            raise InputTypeError(f"unknown setting {key!r} for {what}; {listed}{did_you_mean(key, takes)}")


def choice(name: str, value: Any, allowed: Iterable) -> Any:
    """Return `value` if it is one of `allowed` (a dict or sequence of names), else raise listing them and,
    when a name is close (another case, a typo), suggesting it."""
    try:
        ok = value in allowed
    except TypeError:  # an unhashable value looked up in a dict
        ok = False
    if not ok:
        names = ", ".join(repr(a) for a in allowed)
        raise InputError(f"unknown {name} {value!r}; choose one of: {names}{did_you_mean(value, allowed)}")
    return value


def did_you_mean(value: Any, allowed: Iterable) -> str:
    """'; did you mean 'adam'?' when `value` is a near miss of one of `allowed` (strings only), else ''."""
    if not isinstance(value, str):
        return ""
    names = [a for a in allowed if isinstance(a, str)]
    lowered = {a.lower(): a for a in names}
    if value.lower() in lowered:
        return f"; did you mean {lowered[value.lower()]!r}?"
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def _float_array(name, x):
    """`x` as a float64 array (the same object when it already is one), or an InputTypeError when it is not
    numbers: None, a string, ragged lists, an array of text."""
    arr = None
    if not (x is None or isinstance(x, (str, bytes, dict, set))):
        try:
            arr = x if isinstance(x, np.ndarray) else np.asarray(x)
            if arr.dtype.kind in "biufO":
                return np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):  # ragged lists; an object array holding something not a number
            pass
    kind = type(x).__name__ + (f" of {arr.dtype}" if arr is not None and arr.dtype.kind != "O" else "")
    raise InputTypeError(
        f"{name} must be an array of numbers (a numpy array, or nested lists with rows of equal length), got {kind}"
    )


def finite_array(name: str, x: Any, ndim: int | None = None) -> np.ndarray:
    """Return `x` as a float64 array; raise if it has the wrong number of dimensions or holds NaN/inf."""
    arr = _float_array(name, x)
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite values")
    return arr


def has_rows(name: str, arr: np.ndarray) -> np.ndarray:
    """Return `arr` if it has at least one row and no empty axis, else raise ('X has no rows')."""
    if arr.ndim == 0:
        raise InputError(f"{name} must be an array with one row per sample, got a single number")
    if arr.shape[0] == 0:
        raise InputError(f"{name} has no rows (shape {arr.shape}): it needs at least one sample")
    if arr.size == 0:
        raise InputError(f"{name} has shape {arr.shape}: an axis of length 0 leaves it empty")
    return arr


def data_array(name: str, x: Any, ndim: int | None = None) -> np.ndarray:
    """finite_array that also needs at least one row: the data a model is trained or evaluated on."""
    return has_rows(name, finite_array(name, x, ndim))


def rows_of(name: str, x: Any) -> np.ndarray:
    """`x` as an array of at least one row, keeping its dtype (integer labels stay integers); rejects text."""
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise InputTypeError(f"{name} must be an array with one row per sample, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except ValueError:  # ragged lists
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise InputTypeError(
            f"{name} must be an array of numbers with one row per sample, got {type(x).__name__}"
            + (f" of {arr.dtype}" if arr is not None else "")
        )
    return has_rows(name, arr)


def same_rows(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise unless arrays a and b have the same number of rows (one per sample)."""
    if len(a) != len(b):
        raise InputError(f"{name_a} and {name_b} must have the same number of rows, got {len(a)} and {len(b)}")


def same_shape(name_a: str, a: Any, name_b: str, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """a and b as finite float64 arrays of the same, non-empty shape (two gradients to compare), else raise."""
    a, b = finite_array(name_a, a), finite_array(name_b, b)
    if a.shape != b.shape or a.size == 0:
        raise InputError(f"{name_a} and {name_b} must have the same non-empty shape, got {a.shape} and {b.shape}")
    return a, b


def predictions_and_targets(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """A loss's pred and target as arrays of the same, non-empty shape (lists are turned into arrays; arrays are
    used as given, since a loss runs at every step)."""
    if not isinstance(pred, np.ndarray):
        pred = finite_array("predictions", pred)
    if not isinstance(target, np.ndarray):
        target = finite_array("targets", target)
    if pred.shape != target.shape:
        raise InputError(f"predictions {pred.shape} and targets {target.shape} must have the same shape")
    if pred.size == 0:
        raise InputError(f"predictions and targets have shape {pred.shape}: no entries to average")
    return pred, target


def logit_rows(logits: np.ndarray, targets: np.ndarray) -> None:
    """Raise unless logits (and so targets, of the same shape) are 2-D: one row (N, K) of class scores a sample."""
    if logits.ndim != 2:
        raise InputError(f"logits {logits.shape} and targets {targets.shape} must have the same shape (N, K)")


def perturbable(name: str, x: Any) -> np.ndarray:
    """Return `x` if it is a float numpy array, which a numerical gradient perturbs in place, else raise."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        kind = f"an array of {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise InputTypeError(f"{name} must be a float numpy array (it is perturbed in place), got {kind}")
    return x


def pre_activations(name: str, z: Any) -> np.ndarray:
    """`z` as a pre-activation array (N, units) with at least one row (an array of numbers is used as given)."""
    if isinstance(z, np.ndarray) and z.ndim == 2 and z.size and z.dtype.kind in "biuf":
        return z
    z = rows_of(name, z)
    if z.ndim != 2:
        raise InputError(f"{name} must be (N, units), got shape {z.shape}")
    return z


def layer_input(what: str, x: Any, width: int) -> np.ndarray:
    """`x` as the input (N, width) of the layer `what` ('Dense(2, 3)'): lists become arrays, an array is used as
    given (a layer's forward runs at every step); raise naming the shape the layer expects."""
    if not isinstance(x, np.ndarray):
        x = finite_array("x", x)
    if x.ndim != 2 or x.shape[1] != width:
        raise InputError(f"{what} expects input of shape (N, {width}), got {x.shape}")
    return x


def integer_labels(name: str, labels: Any, n_classes: Any) -> tuple[np.ndarray, int]:
    """(labels, n_classes) if `labels` is a 1-D array of integers in 0..n_classes-1 and n_classes >= 1."""
    labels = rows_of(name, labels)
    n_classes = positive_int("n_classes", n_classes)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"{name} must be a 1-D array of integers, got {labels.dtype} shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise InputError(f"{name} must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    return labels, n_classes


def label_vector(name: str, y: Any) -> np.ndarray:
    """`y` as a 1-D array (N,) of class labels with at least one entry, else raise."""
    y = rows_of(name, y)
    if y.ndim != 1:
        raise InputError(f"{name} must be a 1-D array of class labels, got shape {y.shape}")
    return y


def digit_classes(classes: Any) -> tuple[int, ...]:
    """`classes` as a tuple of distinct digits 0..9 (at least one), else raise."""
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise InputTypeError(f"classes must be a list of digits such as (0, 1, 2), got {type(classes).__name__}")
    classes = tuple(int_between("each class", c, 0, 9, "a digit 0..9") for c in classes)
    if not classes or len(set(classes)) != len(classes):
        raise InputError(f"classes must be distinct digits 0..9, got {classes}")
    return classes


def split_fractions(test_fraction: Any, val_fraction: Any) -> tuple[float, float]:
    """(test_fraction, val_fraction) if 0 < test < 1, 0 <= val < 1 and test + val < 1 (some rows left to
    train on), else raise."""
    test, val = open_fraction("test_fraction", test_fraction), fraction("val_fraction", val_fraction)
    if not test + val < 1:
        raise InputError(
            f"test_fraction in (0, 1) and val_fraction in [0, 1) must sum to less than 1, "
            f"got {test_fraction} and {val_fraction}"
        )
    return test, val


def sample_settings(n: Any, rng_value: Any, noise: Any, **positive_knobs: Any) -> int:
    """The checks every synthetic data generator makes: `rng_value` (its rng) a Generator, noise >= 0, the named
    shape knobs > 0, and n >= 1 (returned as an int)."""
    rng(rng_value)
    non_negative("noise", noise)
    for knob, value in positive_knobs.items():
        positive(knob, value)
    return positive_int("n", n)


def _expected_input(layer):
    """(ndim, width, layer) that `layer` needs as input, or None when it takes any shape (an activation)."""
    if hasattr(layer, "layers") and layer.layers:  # ResidualBlock, a nested Sequential
        return _expected_input(layer.layers[0])
    if hasattr(layer, "layer"):  # TimeDistributed: the inner layer at every step
        inner = _expected_input(layer.layer)
        return None if inner is None else (inner[0] + 1, inner[1], layer)
    width = getattr(layer, "n_features", getattr(layer, "n_in", None))
    if width is None:
        return None
    return (3 if hasattr(layer, "n_hidden") else 2), width, layer


def model_input(name: str, x: Any, model: Any, ndim: int | None = None) -> np.ndarray:
    """`x` as a finite float64 array with at least one row (`ndim` dimensions, if given) and the shape the
    model's first layer takes: (N, D_in) for Dense, (N, T, D_in) for RNN. Names both shapes when they differ."""
    arr = data_array(name, x, ndim)
    layers = getattr(model, "layers", None)
    expected = _expected_input(layers[0]) if layers else None
    if expected is not None:
        ndim, width, layer = expected
        if arr.ndim != ndim or arr.shape[-1] != width:
            shape = "(N, " + "T, " * (ndim - 2) + f"{width})"
            hint = "; for one sample use x.reshape(1, -1)" if arr.ndim == 1 and ndim == 2 else ""
            raise InputError(
                f"{name} does not fit the model: its first layer {layer!r} expects input of shape "
                f"{shape}, got {arr.shape}{hint}"
            )
    return arr


def binary_labels(name: str, y: Any, n: int) -> np.ndarray:
    """0/1 labels for a model with one logit per row: y (N,) or (N, 1) -> (N, 1) array."""
    y = data_array(name, y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] != 1 or y.shape[0] != n:
        raise InputError(
            f"with one logit per row, {name} must be 0/1 labels of shape ({n},) or ({n}, 1), got shape {y.shape}"
        )
    if not np.all((y == 0) | (y == 1)):
        raise InputError(
            f"with one logit per row, {name} must hold 0/1 labels, got values from {y.min():g} to {y.max():g}"
        )
    return y


def class_labels(name: str, y: Any, n: int, k: int) -> np.ndarray:
    """Class indices for K logits per row: y (N,) integers 0..K-1 or (N, K) one-hot rows -> (N,) ints."""
    y = data_array(name, y)
    if y.shape == (n, k) and y.ndim == 2:
        if not np.all(((y == 0) | (y == 1)) & (y.sum(axis=1, keepdims=True) == 1)):
            raise InputError(f"{name} of shape {y.shape} must be one-hot: each row one 1 and {k - 1} zeros")
        return np.argmax(y, axis=1)
    if y.shape != (n,):
        raise InputError(
            f"with {k} logits per row, {name} must be class labels of shape ({n},) or one-hot "
            f"labels of shape ({n}, {k}), got shape {y.shape}"
        )
    if not np.all((y == np.round(y)) & (y >= 0) & (y < k)):
        raise InputError(f"{name} must hold class labels 0..{k - 1}, got values from {y.min():g} to {y.max():g}")
    return y.astype(np.int64)


def upstream(layer: Any, dout: Any, x: np.ndarray | None, width: int) -> None:
    """Raise unless `layer` has had a forward pass (its cached input `x` is not None) and `dout`, the
    gradient arriving at its output, is an array (N, width) with N the rows of that input."""
    if x is None:
        raise InputError(f"{layer!r}.backward needs a forward pass first: call forward(x), then backward(dout)")
    if not (isinstance(dout, np.ndarray) and dout.shape == (x.shape[0], width)):
        shape = dout.shape if isinstance(dout, np.ndarray) else type(dout).__name__
        raise InputError(f"dout must have the shape of {layer!r}'s output ({x.shape[0]}, {width}), got {shape}")


def layer_list(what: str, layers: Any, layer_class: type) -> list:
    """`layers` as a list, if it is an iterable of `layer_class` objects, else raise naming the first that is not."""
    if isinstance(layers, layer_class):
        raise InputTypeError(f"{what} takes a list of layers, got a single {layers!r}: pass [{layers!r}]")
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise InputTypeError(f"{what} takes a list of Layer objects, got {type(layers).__name__}")
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, layer_class):
            raise InputTypeError(
                f"{what} takes Layer objects, got {type(layer).__name__} at position {i}"
                + (" (a class: call it, e.g. ReLU())" if isinstance(layer, type) else "")
            )
    return layers


def weights(value: Any, layers: list) -> None:
    """Raise unless `value` is what `get_weights()` returns for these layers: one {name: array} per layer, with
    the same names and shapes."""
    if not isinstance(value, (list, tuple)):
        raise InputTypeError(f"weights must be a list of dicts from model.get_weights(), got {_shown(value)}")
    if len(value) != len(layers):
        raise InputError(f"expected weights for {len(layers)} layers, got {len(value)}")
    for i, (layer, w) in enumerate(zip(layers, value)):
        if not isinstance(w, dict) or set(w) != set(layer.params):
            got = sorted(w) if isinstance(w, dict) else type(w).__name__
            raise InputError(f"weights[{i}] must hold {sorted(layer.params)} for {layer!r}, got {got}")
        for k, v in w.items():
            if np.shape(v) != layer.params[k].shape:
                raise InputError(
                    f"weights[{i}][{k!r}] must have shape {layer.params[k].shape} for {layer!r}, got {np.shape(v)}"
                )


def logits(x: Any) -> np.ndarray:
    """`x` as a 2-D array (N, K) of scores with at least one row (NaN allowed: a diverged model's output)."""
    arr = _float_array("logits", x)
    if arr.ndim != 2:
        raise InputError(
            f"logits must be a 2-D array (N, K), one row of K class scores per sample, got shape {arr.shape}"
        )
    return has_rows("logits", arr)


def sequential(value: Any) -> Any:
    """Return `value` if it is a Sequential (pruning and freezing walk its list of layers), else raise."""
    from nncourse.core.model import Sequential

    if not isinstance(value, Sequential):
        raise InputTypeError(f"model must be a Sequential, e.g. mlp([2, 8, 1], rng=rng), got {type(value).__name__}")
    return value


def point(name: str, value: Any) -> np.ndarray:
    """A point (p1, p2) of two finite numbers, as a float64 array."""
    p = finite_array(name, value, ndim=1)
    if p.shape != (2,):
        raise InputError(f"{name} must be a point (p1, p2), got shape {p.shape}")
    return p


def positive_list(name: str, values: Any) -> Any:
    """Return `values` if it is a non-empty list (or array) of positive numbers, else raise."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise InputTypeError(
            f"{name} must be a list of positive numbers such as (1.0, 10.0), got {type(values).__name__}"
        )
    if len(values) == 0:
        raise InputError(f"{name} must hold at least one positive number, got none")
    for v in values:
        positive(f"each of {name}", v)
    return values


def _has_methods(value, methods):
    return all(callable(getattr(value, m, None)) for m in methods)


def model(value: Any, methods: Iterable[str] = ("forward", "backward", "parameters")) -> Any:
    """Return `value` if it is a model (a Sequential or anything with the given methods), else raise."""
    if not _has_methods(value, methods):
        hint = ": wrap the layers in Sequential([...])" if isinstance(value, (list, tuple)) else ""
        raise InputTypeError(
            f"model must be a Sequential, e.g. mlp([2, 8, 1], rng=rng), got {type(value).__name__}{hint}"
        )
    return value


def trainable(model: Any) -> Any:
    """Raise unless `model` has at least one trainable parameter (a model with every layer frozen would not
    change: training it would silently do nothing)."""
    if model.parameters():
        return model
    if any(layer.params for layer in getattr(model, "layers", [])):
        raise InputError(
            "every layer of the model is frozen, so nothing would train: unfreeze some with "
            "freezing.freeze(model, upto) (upto=0 unfreezes all)"
        )
    raise InputError("the model has no parameters to train: add a Dense layer")


def optimizer(value: Any) -> Any:
    """Return `value` if it is an Optimizer instance, else raise (saying how to make one)."""
    from nncourse.core.optim import Optimizer

    if isinstance(value, Optimizer):
        return value
    if isinstance(value, type) and issubclass(value, Optimizer):
        raise InputTypeError(
            f"optimizer must be an Optimizer (e.g. SGD(0.1)), got the class {value.__name__}: "
            f"call it with a learning rate, {value.__name__}(0.1)"
        )
    hint = f"; by name: optim.get_optimizer({value!r}, lr)" if isinstance(value, str) else ""
    raise InputTypeError(f"optimizer must be an Optimizer (e.g. SGD(0.1)), got {type(value).__name__}{hint}")


def function(name: str, value: Any, example: str, optional: bool = True) -> Callable | None:
    """Return `value` if it is callable (or None, when optional), else raise; `example` shows what to pass."""
    if not (callable(value) or optional and value is None):
        raise InputTypeError(
            f"{name} must be a function, e.g. {example}{', or None' if optional else ''}, got {_shown(value)}"
        )
    return value


def regularizer(value: Any) -> Any:
    """Return `value` if it is None or has value(model) and add_gradients(model), else raise."""
    if value is not None and not _has_methods(value, ("value", "add_gradients")):
        raise InputTypeError(
            f"regularizer must be a weight penalty, e.g. regularization.l2(1e-3), or None, got {_shown(value)}"
        )
    return value


def callbacks(value: Any) -> list:
    """A list of callbacks (objects with on_epoch_end) from a list, a single callback, or None."""
    if value is None:
        return []
    if _has_methods(value, ("on_epoch_end",)):
        return [value]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InputTypeError(f"callbacks must be a list of callbacks, e.g. [PrintProgress(10)], got {_shown(value)}")
    value = list(value)
    for i, cb in enumerate(value):
        if not _has_methods(cb, ("on_epoch_end",)):
            raise InputTypeError(
                f"callbacks[{i}] must have on_epoch_end(epoch, history, model, optimizer), got {_shown(cb)}"
            )
    return value


def gradients(grads: Any) -> list[np.ndarray] | tuple[np.ndarray, ...]:
    """Return `grads` if it is a list (or tuple) of numpy arrays, which clipping rescales in place."""
    if (
        isinstance(grads, np.ndarray)
        or not isinstance(grads, (list, tuple))
        or not all(isinstance(g, np.ndarray) for g in grads)
    ):
        raise InputTypeError(
            "grads must be a list of numpy arrays (they are clipped in place; for one array "
            f"pass [g]), got {_shown(grads)}"
        )
    return grads


def instance_of(name: str, value: Any, cls: type, example: str) -> Any:
    """Return `value` if it is a `cls`, else raise "layer must be a Layer such as Dense(2, 3, rng), got int"."""
    if not isinstance(value, cls):
        raise InputTypeError(f"{name} must be a {cls.__name__} such as {example}, got {type(value).__name__}")
    return value


def taken_by(what: str, value: Any, cls: type, described: str) -> Any:
    """Return `value` if it is a `cls`, else raise "prunable takes a Sequential, got list"."""
    if not isinstance(value, cls):
        raise InputTypeError(f"{what} takes {described}, got {type(value).__name__}")
    return value


def weight_mask(mask: Any, w_shape: tuple[int, ...]) -> np.ndarray:
    """`mask` as a float64 array of 0s (pruned) and 1s (kept) with the shape of the weights W, else raise."""
    mask = finite_array("mask", mask, ndim=2)
    if mask.shape != w_shape:
        raise InputError(f"mask must have W's shape {w_shape}, got {mask.shape}")
    if not np.all((mask == 0) | (mask == 1)):
        raise InputError("mask entries must be 0 (pruned) or 1 (kept)")
    return mask


def named_sets(what: str, sets: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{name: (X, y)} with X and y 2-D data arrays of the same number of rows, from at least one named pair."""
    if not sets:
        raise InputError(f"{what} needs at least one named data set, e.g. train=(X, y)")
    checked = {}
    for name, pair in sets.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InputTypeError(f"{what} {name} must be a pair (X, y), got {type(pair).__name__}")
        X = data_array(f"{name} X", pair[0], ndim=2)
        y = data_array(f"{name} y", pair[1], ndim=2)
        same_rows(f"{name} X", X, f"{name} y", y)
        checked[name] = X, y
    return checked


def dropout_rate(rate: Any) -> float:
    """Return `rate` as a float if it is a number in [0, 1), else raise."""
    return fraction("dropout rate", rate)


def slider_bounds(low: Any, high: Any) -> None:
    """Raise unless a slider's ends have low <= high."""
    if not low <= high:
        raise InputError(f"a slider needs low <= high, got low {low!r} and high {high!r}")


def slider_value(name: str, value: Any, low: float, high: float, whole: bool = False) -> float | int:
    """Return `value` (an int if `whole`) if a slider from low to high can take it, else raise by name: a slider
    would silently clamp it into its range. Within rounding of an end it is allowed (a log slider's ends are
    10 ** log10(x), not always x)."""
    wanted = f"{name} must be {'a whole number' if whole else 'a number'} from {low:g} to {high:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{wanted}, got {_shown(value)}")
    if not math.isfinite(value) or (whole and value != int(value)):
        raise InputError(f"{wanted}, got {_shown(value)}")
    slack = 1e-9 * (abs(low) + abs(high))
    if not low - slack <= value <= high + slack:
        raise InputError(f"{name} = {value:g} is outside the slider's range {low:g} to {high:g}")
    return int(value) if whole else value


def menu_value(name: str, value: Any, allowed: list) -> Any:
    """The entry of a menu's `allowed` values that `value` names, else raise (with a did-you-mean). A flag never
    stands for a number or a number for a flag, although True == 1."""
    choice(name, value, allowed)
    is_flag = isinstance(value, (bool, np.bool_))
    same = [a for a in allowed if a == value and isinstance(a, (bool, np.bool_)) == is_flag]
    if not same:
        names = ", ".join(repr(a) for a in allowed)
        raise InputTypeError(f"{name} must be one of: {names}; got {_shown(value)}")
    return same[0]


def rng(value: Any) -> np.random.Generator:
    """Return `value` if it is a numpy Generator, else raise (the course never uses global seeds)."""
    if not isinstance(value, np.random.Generator):
        seed = value if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0 else "seed"
        raise InputTypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng({seed})), got {type(value).__name__}"
        )
    return value


def generator(seed: Any, name: str = "seed") -> np.random.Generator:
    """np.random.default_rng(seed) for a lesson's seed: a non-negative whole number, a sequence of them (one
    stream per entry, e.g. [seed, 1]) or a SeedSequence; anything else is refused by name (numpy's own message,
    from deep inside, names neither the parameter nor what is allowed)."""
    if not isinstance(seed, np.random.SeedSequence):
        parts = list(seed) if isinstance(seed, (list, tuple)) else [seed]
        if not parts or any(
            isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Integral) or p < 0 for p in parts
        ):
            kind = InputTypeError if any(not isinstance(p, numbers.Real) for p in parts) else InputError
            raise kind(f"{name} must be a non-negative whole number (the seed of np.random.default_rng), got {seed!r}")
    return np.random.default_rng(seed)


# --- the training loop's arguments (train.fit and Training) -------------------------------------------------


def training(value: Any, clip: Any, rng_value: Any) -> Any:
    """The checks every training run makes first: `value` a model with something to train, `clip` a function
    (or None), `rng_value` a numpy Generator (or None). Returns the model."""
    trainable(model(value))
    function("clip", clip, "clipping.clipper('global_norm', 1.0)")
    if rng_value is not None:
        rng(rng_value)
    return value


def batch_size(value: Any, n: int, rng_value: Any) -> int | None:
    """`value` as an int in 1..n, or None (full batch); mini-batches need a Generator to shuffle them."""
    if value is None:
        return None
    value = int_between(
        "batch_size",
        value,
        1,
        n,
        allowed=f"a positive integer at most the number of rows ({n}), or None for the full batch",
    )
    if value < n and rng_value is None:
        raise InputError("mini-batches are shuffled: pass rng=np.random.default_rng(seed), a numpy Generator")
    return value


def sequence_skip(skip: Any, x: np.ndarray) -> int:
    """The number of leading steps a loss leaves out: an integer in [0, T - 1] for sequences x (N, T, D);
    only 0 for 2-D data x (N, D), which has no steps."""
    if x.ndim == 2:
        return int_between(
            "skip", skip, 0, 0, "0 for 2-D data X (N, D): skip leaves out the first steps of sequences (N, T, D)"
        )
    steps = x.shape[1]
    return int_between("skip", skip, 0, steps - 1, f"an integer in [0, T - 1] = [0, {steps - 1}]")


def training_targets(name_x: str, x: np.ndarray, name_y: str, y: Any) -> np.ndarray:
    """`y` as the targets of `x`: finite numbers with x's number of dimensions, (N, D_out) for x (N, D) and
    (N, T, D_out) for sequences x (N, T, D), one row (one sequence of the same T steps) per row of x."""
    y = data_array(name_y, y, ndim=x.ndim)
    if x.ndim == 3 and x.shape[:2] != y.shape[:2]:
        raise InputError(f"{name_x} {x.shape} and {name_y} {y.shape} must agree in N and T")
    same_rows(name_x, x, name_y, y)
    return y


def training_input(name: str, x: Any, model_value: Any) -> np.ndarray:
    """`x` as what a model trains on: the shape its first layer takes (model_input), 2-D (N, D) or, for a
    sequence model, 3-D (N, T, D)."""
    arr = model_input(name, x, model_value)
    if arr.ndim not in (2, 3):
        raise InputError(f"{name} must be a 2-D array (N, D), or 3-D (N, T, D) for sequences, got shape {arr.shape}")
    return arr
