"""L1/L2 weight penalties: value and gradient against central differences and autograd, biases untouched, and
their effect inside `fit`."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import nncourse as nc
from nncourse.blocks.regularization import WeightPenalty, l1, l2, near_zero_fraction, penalized, weight_penalty
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import gradcheck, init, losses
from nncourse.core.layers import Dense, Tanh
from nncourse.core.model import Sequential


def _model(rng):
    return Sequential(
        [
            Dense(3, 4, rng=rng, init="glorot_normal", bias_init=init.initializer("normal")),
            Tanh(),
            ResidualBlock([Dense(4, 4, rng=rng, init="glorot_normal"), Tanh()]),
            Dense(4, 2, rng=rng, init="glorot_normal"),
        ]
    )


def _ag_penalty(ws, a, b):
    return sum(a * anp.sum(anp.abs(w)) + 0.5 * b * anp.sum(w**2) for w in ws)


def test_penalty_value_matches_its_formula(rng):
    model = _model(rng)
    ws = [layer.params[k] for layer, k in penalized(model)]
    assert len(ws) == 3  # two Dense W and the one inside the residual block
    pen = WeightPenalty(l1=0.3, l2=0.7)
    expected = sum(0.3 * np.abs(w).sum() + 0.35 * (w**2).sum() for w in ws)
    assert pen.value(model) == pytest.approx(expected, rel=1e-14)
    assert pen.value(model) == pytest.approx(_ag_penalty(ws, 0.3, 0.7), rel=1e-14)


def test_penalty_gradient_matches_finite_differences_and_autograd(rng):
    model = _model(rng)
    pen = WeightPenalty(l1=0.2, l2=0.5)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    value, dpred = losses.mse(model.forward(X), y)
    model.backward(dpred)
    before = {(id(layer), k): layer.grads[k].copy() for layer, k in model.parameters()}
    pen.add_gradients(model)
    for layer, k in model.parameters():
        added = layer.grads[k] - before[(id(layer), k)]
        w = layer.params[k]
        if k.endswith("W"):
            num = gradcheck.numerical_gradient(lambda: np.array(pen.value(model)), w, np.array(1.0))
            assert gradcheck.relative_error(added, num) < 1e-7
            ag = grad(lambda w_: 0.2 * anp.sum(anp.abs(w_)) + 0.25 * anp.sum(w_**2))(w.copy())
            assert gradcheck.relative_error(added, ag) < 1e-14
        else:
            assert np.array_equal(added, np.zeros_like(w)), f"{k} must not be penalized"


def test_total_loss_gradient_with_penalty_matches_finite_differences(rng):
    """Backprop plus add_gradients is the gradient of loss + penalty, for every weight."""
    model = _model(rng)
    pen = WeightPenalty(l1=0.05, l2=0.3)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    model.backward(losses.mse(model.forward(X), y)[1])
    pen.add_gradients(model)
    total = lambda: np.array(losses.mse(model.forward(X), y)[0] + pen.value(model))  # noqa: E731
    for layer, k in penalized(model):
        analytic = layer.grads[k].copy()
        num = gradcheck.numerical_gradient(total, layer.params[k], np.array(1.0))
        assert gradcheck.relative_error(analytic, num) < 1e-7


def test_l1_drives_weights_to_zero_and_l2_only_shrinks(rng):
    """A wide model on 20 points: with L1 most weights end near zero, with L2 they shrink but few reach it."""
    X = rng.normal(size=(20, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    frac = {}
    for name, reg in (("none", None), ("l2", l2(0.01)), ("l1", l1(0.003))):
        model = nc.mlp([2, 32, 32, 1], "relu", rng=np.random.default_rng(0))
        nc.fit(model, X, y, loss="bce_with_logits", lr=0.5, epochs=300, regularizer=reg)
        frac[name] = near_zero_fraction(model)
    assert frac["l1"] > 0.5 > frac["none"]
    assert frac["none"] < frac["l2"] < frac["l1"]


def test_constructors_and_bad_strengths():
    assert weight_penalty(0, 0) is None
    assert isinstance(weight_penalty(0.1, 0), WeightPenalty)
    assert l1(0.1).l1 == 0.1 and l1(0.1).l2 == 0 and l2(0.2).l2 == 0.2
    for bad in (-1.0, float("nan"), "big"):
        with pytest.raises(ValueError, match="strength"):
            WeightPenalty(l1=bad)
        with pytest.raises(ValueError, match="strength"):
            WeightPenalty(l2=bad)
