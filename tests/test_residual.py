"""The residual block: backward against central finite differences and against autograd (random upstream
gradient), parameters shared with the inner layers, and shape checks."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse import SGD, Dense, Sequential, fit
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import gradcheck
from nncourse.core.layers import ReLU, Sigmoid, Tanh

TOL = 1e-7


def _block(rng, act=Tanh):
    return ResidualBlock(
        [
            Dense(4, 5, rng=rng, init="glorot_normal", bias_init="normal"),
            act(),
            Dense(5, 4, rng=rng, init="glorot_normal", bias_init="normal"),
        ]
    )


@pytest.mark.parametrize("act", [Tanh, Sigmoid])
def test_residual_backward_matches_finite_differences(rng, act):
    errs = gradcheck.check_layer(_block(rng, act), rng.normal(size=(6, 4)), rng)
    assert set(errs) == {"x", "0.W", "0.b", "2.W", "2.b"}
    assert max(errs.values()) < TOL, errs


def test_residual_backward_matches_autograd(rng):
    block = _block(rng)
    x, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    block.forward(x)
    dx = block.backward(dout)
    W1, b1, W2, b2 = (block.params[k].copy() for k in ("0.W", "0.b", "2.W", "2.b"))

    def scalar(x, W1, b1, W2, b2):  # sum(y * dout) with y = x + tanh(x W1 + b1) W2 + b2, written independently
        return anp.sum((x + anp.dot(anp.tanh(anp.dot(x, W1) + b1), W2) + b2) * dout)

    args = (x, W1, b1, W2, b2)
    ours = {
        "x": dx,
        "0.W": block.grads["0.W"],
        "0.b": block.grads["0.b"],
        "2.W": block.grads["2.W"],
        "2.b": block.grads["2.b"],
    }
    for i, name in enumerate(ours):
        assert gradcheck.relative_error(ours[name], grad(scalar, i)(*args)) < 1e-12, name


def test_identity_path_passes_the_gradient_unchanged(rng):
    """With the branch's last weights at zero the block is the identity, forward and backward."""
    block = ResidualBlock([Dense(3, 3, rng=rng), ReLU(), Dense(3, 3, init="zeros")])
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert np.array_equal(block.forward(x), x)
    assert np.array_equal(block.backward(dout), dout)


def test_parameters_are_the_inner_layers_arrays(rng):
    """An optimizer step on the block updates the inner Dense layers (same arrays, not copies)."""
    block = _block(rng)
    model = Sequential([block])
    X, y = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
    w_before = block.layers[0].params["W"].copy()
    fit(model, X, y, loss="mse", optimizer=SGD(0.1), epochs=3)
    assert block.params["0.W"] is block.layers[0].params["W"]
    assert not np.array_equal(block.layers[0].params["W"], w_before)
    assert block.grads["0.W"] is block.layers[0].grads["W"]


def test_bad_blocks_raise(rng):
    with pytest.raises(ValueError, match="Layer objects"):
        ResidualBlock([np.eye(3)])
    with pytest.raises(ValueError, match="keep the shape"):
        ResidualBlock([Dense(3, 2, rng=rng)]).forward(np.ones((2, 3)))
