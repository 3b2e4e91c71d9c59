"""The bundled digits data set and the 10-class pieces: the data equal scikit-learn's own loader; the softmax
cross-entropy and its gradient against central differences and against autograd; accuracy by argmax."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse import SGD, fit, mlp
from nncourse.core import gradcheck
from nncourse.core.metrics import accuracy, label_accuracy
from nncourse.datasets.digits import few_labels, load_digits, one_hot, softmax, softmax_cross_entropy, split_digits

TOL = 1e-7


def test_digits_are_the_bundled_scikit_learn_set():
    from sklearn.datasets import load_digits as sklearn_digits

    X, y = load_digits()
    ref = sklearn_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert np.array_equal(X * 16.0, ref.data) and np.array_equal(y, ref.target)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(np.bincount(y), np.bincount(ref.target)) and np.bincount(y).min() >= 174


def test_load_digits_returns_fresh_arrays():
    X, _ = load_digits()
    X[0, 0] = 99.0
    assert load_digits()[0][0, 0] != 99.0


def test_split_renumbers_the_chosen_classes_and_keeps_the_parts_apart():
    d = split_digits(np.random.default_rng(0), classes=(5, 6, 7, 8, 9), test_fraction=0.3, val_fraction=0.2)
    X, labels = load_digits()
    n = int(np.isin(labels, [5, 6, 7, 8, 9]).sum())
    assert len(d["X_train"]) + len(d["X_val"]) + len(d["X_test"]) == n
    assert d["y_train"].min() == 0 and d["y_train"].max() == 4
    assert np.array_equal(d["Y_test"].argmax(axis=1), d["y_test"])
    # no image is in two parts (the digits have no exact duplicates across these parts)
    rows = {tuple(r) for r in d["X_train"]}
    assert not any(tuple(r) in rows for r in d["X_test"])
    # digit 5 was renumbered 0: its rows are images of fives
    fives = X[labels == 5]
    assert all(any(np.array_equal(r, f) for f in fives) for r in d["X_train"][d["y_train"] == 0][:5])


def test_split_is_deterministic_and_validates():
    a = split_digits(np.random.default_rng(3))
    b = split_digits(np.random.default_rng(3))
    assert np.array_equal(a["X_train"], b["X_train"])
    for bad in (
        {"classes": (1, 1)},
        {"classes": (10,)},
        {"test_fraction": 0.0},
        {"test_fraction": 0.6, "val_fraction": 0.5},
    ):
        with pytest.raises(ValueError):
            split_digits(np.random.default_rng(0), **bad)


def test_one_hot_and_its_errors():
    assert np.array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="0..2"):
        one_hot(np.array([3]), 3)
    with pytest.raises(ValueError):
        one_hot(np.array([0.5]), 3)


def test_few_labels_draws_per_class_without_replacement(rng):
    y = np.repeat(np.arange(4), 10)
    idx = few_labels(y, 3, rng)
    assert np.array_equal(np.bincount(y[idx]), [3, 3, 3, 3]) and len(set(idx)) == 12
    with pytest.raises(ValueError, match="only 10"):
        few_labels(y, 11, rng)


def _ag_softmax_ce(z, t):
    """The same loss written independently: log softmax via autograd's own logsumexp-free formula."""
    logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    return -anp.sum(t * logp) / z.shape[0]


def test_softmax_cross_entropy_value_and_gradient_match_autograd(rng):
    z = rng.normal(size=(6, 5)) * 2
    t = one_hot(rng.integers(0, 5, size=6), 5)
    value, dz = softmax_cross_entropy(z, t)
    assert abs(value - _ag_softmax_ce(z, t)) < 1e-12
    assert gradcheck.relative_error(dz, grad(_ag_softmax_ce)(z, t)) < 1e-12


def test_softmax_cross_entropy_gradient_matches_finite_differences(rng):
    z = rng.normal(size=(7, 4))
    t = softmax(rng.normal(size=(7, 4)))  # soft targets (rows sum to 1) are allowed too
    _, dz = softmax_cross_entropy(z, t)
    num = gradcheck.numerical_gradient(lambda: np.array(softmax_cross_entropy(z, t)[0]), z, np.array(1.0))
    assert gradcheck.relative_error(dz, num) < TOL


def test_model_gradient_with_softmax_cross_entropy_matches_finite_differences(rng):
    model = mlp([5, 6, 3], activation="tanh", rng=rng)
    X = rng.normal(size=(8, 5))
    Y = one_hot(rng.integers(0, 3, size=8), 3)
    errs = gradcheck.check_model(model, softmax_cross_entropy, X, Y)
    assert max(errs.values()) < TOL, errs


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])
    t = one_hot(np.array([0, 2]), 3)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is harmless
        value, dz = softmax_cross_entropy(z, t)
    assert np.isclose(value, 800.0 / 2) and np.all(np.isfinite(dz))
    # a uniform prediction over K classes costs log K
    assert np.isclose(softmax_cross_entropy(np.zeros((2, 10)), one_hot(np.array([1, 4]), 10))[0], np.log(10))


def test_softmax_cross_entropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        softmax_cross_entropy(np.zeros((2, 3)), np.zeros((2, 4)))


def test_class_accuracy_counts_argmax_hits():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    assert label_accuracy(logits, np.array([0, 1, 1, 0])) == 0.5
    assert label_accuracy(logits, one_hot(np.array([0, 1, 0, 1]), 2)) == 1.0


def test_a_small_network_learns_the_digits():
    rng = np.random.default_rng(0)
    d = split_digits(rng)
    model = mlp([64, 32, 10], rng=rng)
    hist = fit(
        model,
        d["X_train"],
        d["Y_train"],
        loss=softmax_cross_entropy,
        optimizer=SGD(0.3),
        epochs=10,
        batch_size=32,
        rng=rng,
    )
    assert not hist.diverged and hist.loss[-1] < hist.loss[0]
    assert accuracy(model, d["X_test"], d["y_test"]) > 0.9
