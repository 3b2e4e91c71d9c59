"""Batch normalization and dropout: backward passes against central differences and against autograd, with a
random upstream gradient; training versus inference behaviour; bad input."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse.blocks.normalization import BatchNorm, Dropout
from nncourse.core import gradcheck
from nncourse.core.layers import Dense, ReLU
from nncourse.core.model import Sequential

TOL = 1e-7


def _bn(rng, d=4):
    """A batch norm layer with non-trivial gamma and beta (ones and zeros would hide a wrong dgamma)."""
    layer = BatchNorm(d)
    layer.params["gamma"][...] = rng.normal(1.0, 0.5, size=d)
    layer.params["beta"][...] = rng.normal(0.0, 0.5, size=d)
    return layer


def test_batchnorm_backward_matches_finite_differences(rng):
    layer = _bn(rng)
    x = rng.normal(2.0, 3.0, size=(7, 4))
    errs = gradcheck.check_layer(layer, x, rng)
    assert max(errs.values()) < TOL, errs


def _ag_batchnorm(x, gamma, beta, eps=1e-5):
    mu = anp.mean(x, axis=0)
    var = anp.mean((x - mu) ** 2, axis=0)
    return gamma * (x - mu) / anp.sqrt(var + eps) + beta


def test_batchnorm_backward_matches_autograd(rng):
    layer = _bn(rng, d=5)
    x = rng.normal(-1.0, 2.0, size=(9, 5))
    dout = rng.normal(size=(9, 5))
    layer.forward(x, train=True)
    dx = layer.backward(dout)
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    scalar = lambda x_, g_, b_: anp.sum(_ag_batchnorm(x_, g_, b_) * dout)  # noqa: E731
    assert np.allclose(layer.forward(x, True), _ag_batchnorm(x, gamma, beta), rtol=0, atol=1e-12)
    for i, ours in enumerate((dx, layer.grads["gamma"], layer.grads["beta"])):
        theirs = grad(scalar, i)(x, gamma, beta)
        assert gradcheck.relative_error(ours, theirs) < 1e-12


def test_an_all_ones_upstream_gradient_catches_a_missing_mean_but_not_a_missing_xhat_term(rng):
    """Why the checks use a random dout. With dout = 1 the true dx is 0 (sum(out) = N * beta does not depend on x).
    A backward pass that forgets both batch terms (dx = dout * gamma / sigma) is then wrong and caught; but g is
    constant over the batch, so mean(g * x_hat) = 0, and one that forgets only x_hat * mean(g * x_hat) still
    returns 0 and passes. A random dout exposes it."""

    def variant(keep_mean, keep_xhat):
        class Variant(BatchNorm):
            def backward(self, dout):
                super().backward(dout)
                g = dout * self.params["gamma"]
                return (
                    g - keep_mean * g.mean(axis=0) - keep_xhat * self.x_hat * (g * self.x_hat).mean(axis=0)
                ) * self.inv_std

        return Variant(3)

    x = rng.normal(size=(6, 3))
    ones = np.ones((6, 3))
    probe = BatchNorm(3)
    num = gradcheck.numerical_gradient(lambda: probe.forward(x, True), x, ones)
    assert np.allclose(num, 0, atol=1e-8)  # the true gradient is 0
    for keep, ones_passes in (((1, 1), True), ((0, 0), False), ((0, 1), False), ((1, 0), True)):
        layer = variant(*keep)
        layer.forward(x, True)
        assert (np.max(np.abs(layer.backward(ones))) < 1e-12) == ones_passes, keep
        err = gradcheck.check_layer(variant(*keep), x, rng)["x"]
        assert (err < TOL) == (keep == (1, 1)), (keep, err)  # a random dout catches every wrong one


def test_batchnorm_training_mode_normalizes_each_feature(rng):
    layer = BatchNorm(3)
    out = layer.forward(rng.normal(5.0, 4.0, size=(50, 3)), train=True)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(out.std(axis=0), 1, atol=1e-5)  # eps = 1e-5 keeps it slightly below 1


def test_batchnorm_running_statistics_and_inference_mode(rng):
    layer = BatchNorm(2, momentum=0.9)
    x = rng.normal([3.0, -1.0], [2.0, 0.5], size=(40, 2))
    layer.forward(x, train=True)
    assert np.allclose(layer.buffers["running_mean"], 0.1 * x.mean(axis=0))
    assert np.allclose(layer.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1))
    for _ in range(300):
        layer.forward(x, train=True)
    assert np.allclose(layer.buffers["running_mean"], x.mean(axis=0), atol=1e-10)
    assert np.allclose(layer.buffers["running_var"], x.var(axis=0, ddof=1), atol=1e-10)
    # inference: one sample at a time gives the same answer as the whole batch (no batch dependence)
    whole = layer.forward(x, train=False)
    single = np.vstack([layer.forward(x[i : i + 1], train=False) for i in range(len(x))])
    assert np.array_equal(whole, single)
    expected = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5)
    assert np.allclose(whole, expected)
    before = layer.buffers["running_mean"].copy()
    layer.forward(x + 10, train=False)
    assert np.array_equal(layer.buffers["running_mean"], before), "inference must not move the statistics"


def test_batchnorm_inference_backward_matches_finite_differences(rng):
    layer = _bn(rng, d=3)
    layer.buffers["running_mean"][...] = rng.normal(size=3)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, size=3)
    x = rng.normal(size=(5, 3))
    dout = rng.normal(size=(5, 3))
    layer.forward(x, train=False)
    dx = layer.backward(dout)
    num = gradcheck.numerical_gradient(lambda: layer.forward(x, False), x, dout)
    assert gradcheck.relative_error(dx, num) < TOL


def test_batchnorm_inside_a_model_matches_finite_differences(rng):
    model = Sequential([Dense(3, 4, rng=rng), BatchNorm(4), ReLU(), Dense(4, 1, rng=rng)])
    model.layers[1].params["gamma"][...] = rng.uniform(0.5, 1.5, size=4)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    from nncourse.core.losses import mse

    errs = gradcheck.check_model(model, mse, X, y)
    # the bias just before batch norm is subtracted out again with the batch mean: its gradient is exactly 0
    # (both ways), so a relative error is meaningless there and we check it absolutely
    assert np.max(np.abs(model.layers[0].grads["b"])) < 1e-12
    num_b = gradcheck.numerical_gradient(
        lambda: np.array(mse(model.forward(X), y)[0]), model.layers[0].params["b"], np.array(1.0)
    )
    assert np.max(np.abs(num_b)) < 1e-8
    del errs["layer 0: b"]
    assert max(errs.values()) < TOL, errs


def test_batchnorm_bad_input():
    with pytest.raises(ValueError, match="expects input of shape"):
        BatchNorm(3).forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        BatchNorm(3).forward(np.zeros((1, 3)), train=True)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.0)
    with pytest.raises(ValueError, match="positive integer"):
        BatchNorm(0)


# --- dropout ------------------------------------------------------------------------------------------------
def test_dropout_backward_matches_finite_differences_and_autograd_with_the_mask_fixed(rng):
    layer = Dropout(0.4, rng=np.random.default_rng(0))
    x = rng.normal(size=(6, 5))
    layer.forward(x, train=True)
    layer.fix_mask(layer.mask)
    errs = gradcheck.check_layer(layer, x, rng)
    assert errs["x"] < TOL
    dout = rng.normal(size=x.shape)
    layer.forward(x, True)
    mask = layer.mask
    theirs = grad(lambda x_: anp.sum(x_ * mask * dout))(x)
    assert gradcheck.relative_error(layer.backward(dout), theirs) < 1e-15


def test_dropout_is_inverted_and_off_at_inference(rng):
    layer = Dropout(0.25, rng=np.random.default_rng(1))
    x = np.ones((400, 50))
    out = layer.forward(x, train=True)
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs(np.mean(out == 0) - 0.25) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # expected value preserved
    assert np.array_equal(layer.forward(x, train=False), x)
    assert np.array_equal(layer.backward(x), x)  # and its backward is the identity too


def test_dropout_is_reproducible_from_its_seed():
    x = np.arange(20.0).reshape(4, 5)
    a = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    b = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    c = Dropout(0.5, rng=np.random.default_rng(8)).forward(x)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_dropout_rate_zero_is_identity_and_bad_rates_raise(rng):
    x = rng.normal(size=(3, 3))
    assert np.array_equal(Dropout(0.0, rng=rng).forward(x), x)
    for rate in (1.0, -0.1, "half", True):
        with pytest.raises(ValueError, match="dropout rate"):
            Dropout(rate, rng=rng)
    with pytest.raises(ValueError, match="Generator"):
        Dropout(0.5, rng=1)
