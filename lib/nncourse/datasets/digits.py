"""A real, small data set that needs no download: the 8x8 handwritten digits shipped inside scikit-learn
(1,797 images, UCI "Optical Recognition of Handwritten Digits", each pixel a count 0..16), plus what a
10-class problem needs: one-hot targets, the softmax cross-entropy loss and argmax accuracy.

The pixels are read from the very file `sklearn.datasets.load_digits()` reads (`digits.csv.gz` inside the
installed scikit-learn); we read it ourselves because importing scikit-learn costs about a second per kernel.
A test checks that both give the same arrays.
"""

import functools
import importlib.util
import pathlib

import numpy as np

from nncourse.core import _validate, losses

softmax_cross_entropy = losses.softmax_cross_entropy  # defined in losses; the digit lessons import it here

N_CLASSES = 10


@functools.lru_cache(maxsize=1)
def _digits_file():
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise _validate.InputError("the digits data set ships with scikit-learn: pip install scikit-learn")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")
    data.flags.writeable = False
    return data


def load_digits():
    """X (1797, 64) float64 pixels scaled to [0, 1] (divided by 16), labels (1797,) int64 in 0..9.
    Rows are in the file's order; split them with `split_digits`."""
    data = _digits_file()
    return data[:, :-1] / 16.0, data[:, -1].astype(np.int64)


def one_hot(labels, n_classes):
    """labels (N,) ints in 0..n_classes-1 -> (N, n_classes) float64 rows with a single 1."""
    labels, n_classes = _validate.integer_labels("labels", labels, n_classes)
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def softmax(logits):
    """Row-wise softmax p_k = e^{z_k} / sum_j e^{z_j}, computed after subtracting each row's max so that no
    exponential overflows (the shift cancels between numerator and denominator). logits (N, K)."""
    logits = _validate.logits(logits)
    z = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predicted_class(logits):
    """The index of the largest logit in each row: (N, K) -> (N,)."""
    return np.argmax(_validate.logits(logits), axis=1)


def split_digits(rng, classes=tuple(range(10)), test_fraction=0.3, val_fraction=0.0):
    """The digits of the given classes, shuffled with `rng` and split into train / (validation) / test.

    Labels are renumbered 0..len(classes)-1 in the order `classes` lists them (digits 5..9 become 0..4), so a
    head with len(classes) outputs fits. Returns a dict with X_train, y_train (int labels), Y_train (one-hot),
    the same for 'test' (and 'val' if val_fraction > 0), plus 'classes'."""
    _validate.rng(rng)
    classes = _validate.digit_classes(classes)
    _validate.split_fractions(test_fraction, val_fraction)
    X, labels = load_digits()
    keep = np.isin(labels, classes)
    X, labels = X[keep], labels[keep]
    remap = np.full(10, -1)
    remap[list(classes)] = np.arange(len(classes))
    labels = remap[labels]
    order = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    n_val = int(round(val_fraction * len(X)))
    parts = {"test": order[:n_test], "val": order[n_test : n_test + n_val], "train": order[n_test + n_val :]}
    out = {"classes": classes}
    for name, idx in parts.items():
        if name == "val" and n_val == 0:
            continue
        out[f"X_{name}"], out[f"y_{name}"] = X[idx], labels[idx]
        out[f"Y_{name}"] = one_hot(labels[idx], len(classes))
    return out


def few_labels(y, per_class, rng):
    """Indices of `per_class` examples of each class in y (N,) ints, drawn without replacement with `rng`:
    the small labelled set of a transfer-learning experiment."""
    per_class = _validate.positive_int("per_class", per_class)
    _validate.rng(rng)
    y = _validate.label_vector("y", y)
    chosen = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if per_class > idx.size:
            raise _validate.InputError(f"asked for {per_class} examples of class {c}, only {idx.size} available")
        chosen.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))
