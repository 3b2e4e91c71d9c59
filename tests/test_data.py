"""Data generators: seeded, right shapes, the stated target function, errors for bad arguments."""

import numpy as np
import pytest

from nncourse.datasets import synthetic as data


def test_quadratic_regression_is_the_stated_function():
    X, y = data.make_quadratic_regression(500, np.random.default_rng(0), noise=0.0)
    np.testing.assert_allclose(y[:, 0], X[:, 0] ** 2 + X[:, 1])
    assert X[:, 0].min() >= -5 and X[:, 0].max() <= 5 and X[:, 1].min() >= -10 and X[:, 1].max() <= 10
    X, _ = data.make_quadratic_regression(500, np.random.default_rng(0), x2_range=(-100, 100))
    assert X[:, 1].max() > 90


@pytest.mark.parametrize("name", sorted(data.CLASSIFICATION_SETS))
def test_classification_sets(name):
    X, y = data.make_classification(name, 201, np.random.default_rng(3))
    assert X.shape == (201, 2) and y.shape == (201, 1) and X.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    assert abs(y.mean() - 0.5) < 0.1
    X2, y2 = data.make_classification(name, 201, np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_xor_labels_follow_the_quadrants():
    X, y = data.make_classification("xor", 400, np.random.default_rng(0), noise=0.0)
    np.testing.assert_array_equal(y[:, 0], (X[:, 0] * X[:, 1] > 0).astype(float))


def test_split_and_standardize():
    rng = np.random.default_rng(0)
    X, y = data.make_quadratic_regression(100, rng, x2_range=(-100, 100))
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, rng, test_fraction=0.2)
    assert len(Xtr) == 80 and len(Xte) == 20
    assert sorted(np.r_[ytr[:, 0], yte[:, 0]]) == sorted(y[:, 0])
    s = data.Standardizer().fit(Xtr)
    Z = s.transform(Xtr)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1)


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown data set 'blobs'; choose one of: 'moons', 'circles'"):
        data.make_classification("blobs", 10, rng)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.make_quadratic_regression(0, rng)
    with pytest.raises(ValueError, match="x1_range must be"):
        data.make_quadratic_regression(10, rng, x1_range=(5, -5))
    with pytest.raises(ValueError, match="noise must be a non-negative"):
        data.make_classification("moons", 10, rng, noise=-0.1)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        data.make_quadratic_regression(10, 0)
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(np.zeros((4, 2)), np.zeros((4, 1)), rng, test_fraction=1.0)
