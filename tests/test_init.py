"""Each initializer draws a large matrix and delivers the variance its formula promises (the one-line test that
would have caught numpy-ml's precedence bug and its unscaled truncated normal)."""

import numpy as np
import pytest

from nncourse.core import init

SHAPE = (400, 600)  # 240,000 draws: the sample variance is within ~1% of the true one


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("uniform", {"low": -0.3, "high": 0.1}),
        ("normal", {"std": 0.7}),
        ("glorot_uniform", {}),
        ("glorot_normal", {}),
        ("glorot_standard", {}),
        ("he_normal", {}),
        ("he_uniform", {}),
        ("lecun_normal", {}),
        ("orthogonal", {"gain": 1.0}),
        ("orthogonal", {"gain": 2.0}),
    ],
)
def test_variance_matches_formula(name, kwargs):
    W = init.initializer(name, **kwargs)(SHAPE, np.random.default_rng(7))
    assert W.shape == SHAPE and W.dtype == np.float64
    promised = init.promised_variance(name, SHAPE, **kwargs)
    assert np.var(W) == pytest.approx(promised, rel=0.02)


def test_formulas_are_the_published_ones():
    fan_in, fan_out = SHAPE
    assert init.promised_variance("glorot_uniform", SHAPE) == pytest.approx(2 / (fan_in + fan_out))
    assert init.promised_variance("he_normal", SHAPE) == pytest.approx(2 / fan_in)
    assert init.promised_variance("lecun_normal", SHAPE) == pytest.approx(1 / fan_in)
    # the uniform bound of Glorot's eq. 16 is sqrt(6 / (fan_in + fan_out))
    W = init.glorot_uniform(SHAPE, np.random.default_rng(0))
    assert np.abs(W).max() <= np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(W).max() > 0.99 * np.sqrt(6 / (fan_in + fan_out))


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30)])
def test_orthogonal_is_orthogonal(shape):
    W = init.orthogonal(shape, np.random.default_rng(1), gain=1.5)
    small = min(shape)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(small), atol=1e-12)


def test_constant_and_zeros():
    assert np.all(init.zeros((3, 4)) == 0)
    assert np.all(init.constant((3, 4), value=0.5) == 0.5)


def test_same_seed_same_weights():
    a = init.he_normal((10, 10), np.random.default_rng(3))
    b = init.he_normal((10, 10), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown initializer 'he'.*'he_normal'"):
        init.initializer("he")


def test_bad_arguments():
    with pytest.raises(ValueError, match="low < high"):
        init.uniform((2, 2), np.random.default_rng(0), low=1, high=1)
    with pytest.raises(ValueError, match="std must be a non-negative"):
        init.normal((2, 2), np.random.default_rng(0), std=-1)
    with pytest.raises(ValueError, match="orthogonal needs a 2-D shape"):
        init.orthogonal((4,), np.random.default_rng(0))
