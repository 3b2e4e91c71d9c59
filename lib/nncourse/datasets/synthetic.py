"""Seeded data generators. Every function takes an explicit numpy Generator `rng`; X is (N, 2) float64 and
y is (N, 1): a real target for regression, 0.0 / 1.0 labels for classification."""

import numpy as np

from nncourse.core import _validate


def make_quadratic_regression(n, rng, x1_range=(-5.0, 5.0), x2_range=(-10.0, 10.0), noise=1.0):
    """The exercise report's target y = x1^2 + x2 + noise, with x1 and x2 uniform on their ranges and
    Gaussian noise of standard deviation `noise`."""
    n = _validate.positive_int("n", n)
    _validate.rng(rng)
    _validate.non_negative("noise", noise)
    _validate.number_range("x1_range", x1_range)
    _validate.number_range("x2_range", x2_range)
    x1 = rng.uniform(*x1_range, size=n)
    x2 = rng.uniform(*x2_range, size=n)
    y = x1**2 + x2 + noise * rng.normal(size=n)
    return np.column_stack([x1, x2]), y[:, None]


def _half(n):
    return n // 2, n - n // 2


def make_moons(n, rng, noise=0.1):
    """Two interleaving half circles."""
    n = _validate.sample_settings(n, rng, noise)
    n0, n1 = _half(n)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    a = np.column_stack([np.cos(t0), np.sin(t0)])
    b = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    return np.vstack([a, b]) + noise * rng.normal(size=(n, 2)), np.r_[np.zeros(n0), np.ones(n1)][:, None]


def make_circles(n, rng, noise=0.1, factor=0.5):
    """A small circle (label 1) inside a large one (label 0); `factor` (0 < factor < 1) is the ratio of their
    radii."""
    n = _validate.sample_settings(n, rng, noise)
    _validate.open_fraction("factor", factor)
    n0, n1 = _half(n)
    t0, t1 = rng.uniform(0, 2 * np.pi, n0), rng.uniform(0, 2 * np.pi, n1)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    return np.vstack([outer, inner]) + noise * rng.normal(size=(n, 2)), np.r_[np.zeros(n0), np.ones(n1)][:, None]


def make_xor(n, rng, noise=0.1):
    """Points in [-1, 1]^2 labelled 1 when x1 and x2 have the same sign; noise jitters the points."""
    n = _validate.sample_settings(n, rng, noise)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X + noise * rng.normal(size=(n, 2)), y[:, None]


def make_spiral(n, rng, noise=0.1, turns=1.5):
    """Two interleaved spirals (arms offset by half a turn)."""
    n = _validate.sample_settings(n, rng, noise, turns=turns)
    n0, n1 = _half(n)
    parts = []
    for k, m in ((0, n0), (1, n1)):
        r = rng.uniform(0.1, 1.0, m)
        t = 2 * np.pi * turns * r + k * np.pi
        parts.append(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    return np.vstack(parts) + noise * rng.normal(size=(n, 2)), np.r_[np.zeros(n0), np.ones(n1)][:, None]


def make_gaussians(n, rng, noise=0.5, distance=2.0):
    """Two Gaussian blobs of standard deviation `noise` whose centres are `distance` apart."""
    n = _validate.sample_settings(n, rng, noise)
    _validate.non_negative("distance", distance)
    n0, n1 = _half(n)
    c = distance / 2
    a = rng.normal(size=(n0, 2)) * noise + [-c, -c / 2]
    b = rng.normal(size=(n1, 2)) * noise + [c, c / 2]
    return np.vstack([a, b]), np.r_[np.zeros(n0), np.ones(n1)][:, None]


CLASSIFICATION_SETS = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spiral": make_spiral,
    "gaussians": make_gaussians,
}


def make_classification(name, n, rng, noise=None):
    """One of CLASSIFICATION_SETS by name, shuffled so the classes are interleaved."""
    _validate.choice("data set", name, CLASSIFICATION_SETS)
    n = _validate.positive_int("n", n)
    _validate.rng(rng)
    kwargs = {} if noise is None else {"noise": _validate.non_negative("noise", noise)}
    X, y = CLASSIFICATION_SETS[name](n, rng, **kwargs)
    order = rng.permutation(n)
    return X[order], y[order]


def train_test_split(X, y, rng, test_fraction=0.25):
    """Shuffle the rows and split them: returns X_train, X_test, y_train, y_test. Both parts get at least
    one row."""
    X, y = _validate.rows_of("X", X), _validate.rows_of("y", y)
    _validate.same_rows("X", X, "y", y)
    _validate.rng(rng)
    _validate.open_fraction("test_fraction", test_fraction)
    order = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    if not 0 < n_test < len(X):
        raise _validate.InputError(
            f"test_fraction={test_fraction:g} of {len(X)} rows leaves "
            f"{'no test' if n_test == 0 else 'no training'} rows"
        )
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


class Standardizer:
    """Rescales each feature to mean 0 and standard deviation 1 using statistics of the training set only."""

    def fit(self, X):
        X = _validate.data_array("X", X, ndim=2)
        self.mean = X.mean(axis=0)
        self.std = X.std(axis=0)
        self.std[self.std == 0] = 1.0
        return self

    def transform(self, X):
        """X (N, D) with the training set's D features, rescaled."""
        if not hasattr(self, "mean"):
            raise _validate.InputError("Standardizer.transform needs the training set's statistics: call fit(X) first")
        X = _validate.finite_array("X", X, ndim=2)
        if X.shape[1] != self.mean.size:
            raise _validate.InputError(
                f"X must have the {self.mean.size} columns the Standardizer was fit on, got shape {X.shape}"
            )
        return (X - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)
