"""How well a model does, beyond its loss: every accuracy the course computes, in one place.

label_accuracy(logits, y)         from the outputs: one logit per row (class 1 if > 0) against 0/1 labels, or
                                  K logits per row (the largest wins) against class labels or one-hot rows
accuracy(model, X, y)             label_accuracy of the model's outputs on X (inference mode)
sequence_accuracy(model, X, y)    for a sequence model: 0/1 predictions at every step t >= skip
"""

from typing import Any

import numpy as np

from nncourse.core import _validate


def label_accuracy(logits: np.ndarray, y: np.ndarray, name: str = "y") -> float:
    """Fraction of rows predicted right. One logit per row (class 1 if > 0): y holds 0/1 labels, (N,) or
    (N, 1). K logits per row (the class with the largest): y holds class labels (N,) or one-hot rows (N, K)."""
    logits = _validate.logits(logits)  # 2-D, numbers, at least one row
    return accuracy_of(logits, checked_labels(name, y, *logits.shape))


def checked_labels(name: str, y: Any, n: int, k: int) -> np.ndarray:
    """y checked for n rows of k logits and put in the form accuracy_of compares: for one logit, (n, 1) booleans
    (class 1); for k, (n,) class indices. What label_accuracy checks on every call, for a caller that checks once."""
    return _validate.binary_labels(name, y, n) > 0.5 if k == 1 else _validate.class_labels(name, y, n, k)


def accuracy_of(logits: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of rows of logits (n, k) predicting `labels` (from checked_labels), unchecked."""
    if logits.shape[1] == 1:
        return float(np.mean((logits > 0) == labels))
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    """label_accuracy of the model's outputs on X: for one logit per row (0/1 labels) or K (class labels)."""
    _validate.model(model, ("predict",))
    return label_accuracy(model.predict(_validate.model_input("X", X, model)), y)


def sequence_accuracy(model: Any, X: np.ndarray, y: np.ndarray, skip: int = 0) -> float:
    """Fraction of correct 0/1 predictions (class 1 if the logit > 0) over the steps t >= skip.
    X (N, T, D), y (N, T, D_out) of 0/1 labels, the shape of the model's output."""
    _validate.model(model, ("predict",))
    X = _validate.model_input("X", X, model, ndim=3)
    with np.errstate(over="ignore", invalid="ignore"):
        out = model.predict(X)
    y = _validate.data_array("y", y, ndim=3)
    if y.shape != out.shape:
        raise _validate.InputError(f"y must have the shape of the model's output {out.shape}, got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise _validate.InputError("y must hold 0/1 labels")
    skip = _validate.int_between("skip", skip, 0, X.shape[1] - 1, f"an integer in [0, T - 1] = [0, {X.shape[1] - 1}]")
    logits = out[:, skip:]
    return float(np.mean((logits > 0) == (y[:, skip:] > 0.5)))
