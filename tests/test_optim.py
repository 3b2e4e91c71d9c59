"""Each optimizer's first steps equal its textbook update rule, computed here by hand with plain floats."""

import math

import numpy as np
import pytest

from nncourse import fit, mlp
from nncourse.blocks.surfaces import quadratic, run_path
from nncourse.core.layers import Dense
from nncourse.core.model import Sequential
from nncourse.core.optim import OPTIMIZERS, SGD, Adagrad, Adam, Momentum, Nesterov, Optimizer, RMSprop, get_optimizer

# f(w) = 1/2 * 3 w^2 on one scalar: gradient 3 w. Three steps from w = 2.
CURV, W0, STEPS = 3.0, 2.0, 3


def _run(opt, steps=STEPS):
    """Drive an optimizer on f(w) = 1/2 CURV w^2 through its `update`, as step(model) does."""
    w = np.array([W0])
    state = {}
    out = []
    for _ in range(steps):
        opt.update(w, CURV * w, state)
        out.append(float(w[0]))
    return out


def test_sgd_by_hand():
    lr, w, expected = 0.1, W0, []
    for _ in range(STEPS):
        w = w - lr * CURV * w
        expected.append(w)
    assert _run(SGD(lr)) == pytest.approx(expected, abs=1e-15)


def test_momentum_by_hand():
    lr, mu, w, v, expected = 0.1, 0.9, W0, 0.0, []
    for _ in range(STEPS):
        g = CURV * w
        v = mu * v + g
        w = w - lr * v
        expected.append(w)
    assert _run(Momentum(lr, momentum=mu)) == pytest.approx(expected, abs=1e-15)
    assert _run(SGD(lr, momentum=mu)) == pytest.approx(expected, abs=1e-15)
    # step 2 by hand: g1 = 6, v1 = 6, w1 = 2 - 0.6 = 1.4; g2 = 4.2, v2 = 5.4 + 4.2 = 9.6, w2 = 1.4 - 0.96
    assert expected[1] == pytest.approx(0.44, abs=1e-15)


def test_nesterov_by_hand():
    lr, mu, w, v, expected = 0.1, 0.9, W0, 0.0, []
    for _ in range(STEPS):
        g = CURV * w
        v = mu * v + g
        w = w - lr * (g + mu * v)
        expected.append(w)
    assert _run(Nesterov(lr, momentum=mu)) == pytest.approx(expected, abs=1e-15)
    assert expected[0] == pytest.approx(2 - 0.1 * (6 + 0.9 * 6), abs=1e-15)


def test_adagrad_by_hand():
    lr, eps, w, G, expected = 0.5, 1e-8, W0, 0.0, []
    for _ in range(STEPS):
        g = CURV * w
        G += g * g
        w = w - lr * g / (math.sqrt(G) + eps)
        expected.append(w)
    assert _run(Adagrad(lr, eps=eps)) == pytest.approx(expected, abs=1e-14)
    assert expected[0] == pytest.approx(1.5, abs=1e-8)  # the first step is lr * sign(g)


def test_rmsprop_by_hand():
    lr, rho, eps, w, s, expected = 0.01, 0.9, 1e-8, W0, 0.0, []
    for _ in range(STEPS):
        g = CURV * w
        s = rho * s + (1 - rho) * g * g
        w = w - lr * g / (math.sqrt(s) + eps)
        expected.append(w)
    assert _run(RMSprop(lr, rho=rho, eps=eps)) == pytest.approx(expected, abs=1e-14)
    # first step: s = 0.1 g^2, so the step is lr / sqrt(0.1) = 0.0316..., not lr
    assert W0 - expected[0] == pytest.approx(0.01 / math.sqrt(0.1), rel=1e-7)


def test_adam_by_hand_with_bias_correction():
    lr, b1, b2, eps, w, m, v, expected = 0.1, 0.8, 0.99, 1e-8, W0, 0.0, 0.0, []
    for t in range(1, STEPS + 1):
        g = CURV * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(w)
    assert _run(Adam(lr, beta1=b1, beta2=b2, eps=eps)) == pytest.approx(expected, abs=1e-14)
    # bias correction makes the first step lr * g / |g| = lr exactly (up to eps)
    assert W0 - expected[0] == pytest.approx(lr, rel=1e-7)


def test_adam_without_correction_would_differ():
    """The correction matters: without it the first step is lr (1 - b1) / sqrt(1 - b2) = 0.1 * 0.2 / 0.1."""
    uncorrected = W0 - 0.1 * (0.2 * 6) / math.sqrt(0.01 * 36)
    assert _run(Adam(0.1, beta1=0.8, beta2=0.99), 1)[0] != pytest.approx(uncorrected, abs=1e-6)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_matches_update_on_a_network_and_skips_frozen(name, rng):
    """step(model) applies the same rule to every trainable parameter and leaves frozen layers alone."""
    model = mlp([2, 3, 1], rng=rng)
    frozen = model.layers[0]
    frozen.trainable = False
    before = frozen.params["W"].copy()
    X, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    hist = fit(model, X, y, optimizer=get_optimizer(name, 0.01), epochs=3)
    assert not hist.diverged
    np.testing.assert_array_equal(frozen.params["W"], before)
    # one parameter driven by hand with a fresh optimizer gives the same first step as step(model)
    layer = Dense.from_arrays(np.array([[1.0, -2.0]]), np.array([0.5, 0.0]))
    layer.grads["W"], layer.grads["b"] = np.array([[0.3, -0.7]]), np.array([1.0, 0.2])
    net = Sequential([layer])
    by_step, by_hand = get_optimizer(name, 0.05), get_optimizer(name, 0.05)
    w = layer.params["W"].copy()
    by_step.step(net)
    by_hand.update(w, np.array([[0.3, -0.7]]), {})
    np.testing.assert_allclose(layer.params["W"], w, rtol=0, atol=1e-15)


def test_state_is_per_parameter():
    """Two parameters with different gradients keep separate Adam moments."""
    layer = Dense.from_arrays(np.zeros((1, 1)), np.zeros(1))
    layer.grads["W"], layer.grads["b"] = np.array([[1.0]]), np.array([-4.0])
    opt = Adam(0.1)
    opt.step(Sequential([layer]))
    assert layer.params["W"][0, 0] == pytest.approx(-0.1, rel=1e-6)
    assert layer.params["b"][0] == pytest.approx(0.1, rel=1e-6)
    assert len(opt.state) == 2


def test_the_surface_uses_the_same_classes():
    """A surface path with SGD on f = 1/2 (p1^2 + 10 p2^2) is p <- (1 - lr lam) p, coordinate-wise."""
    path = run_path(quadratic(1.0, 10.0), SGD(0.05), start=(1.0, 1.0), steps=4)
    k = np.arange(5)
    np.testing.assert_allclose(path.points[:, 0], 0.95**k, rtol=1e-14)
    np.testing.assert_allclose(path.points[:, 1], 0.5**k, rtol=1e-14)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD(0), "learning rate must be a positive number"),
        (lambda: SGD(float("nan")), "learning rate must be a positive number"),
        (lambda: SGD(0.1, momentum=1.0), r"momentum must be a number in \[0, 1\)"),
        (lambda: SGD(0.1, momentum=-0.1), r"momentum must be a number in \[0, 1\)"),
        (lambda: SGD(0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
        (lambda: Adam(0.1, beta1=1.0), r"beta1 must be a number in \[0, 1\)"),
        (lambda: Adam(0.1, beta2=1.5), r"beta2 must be a number in \[0, 1\)"),
        (lambda: Adam(0.1, eps=0), "eps must be a positive number"),
        (lambda: RMSprop(0.1, rho=True), r"rho must be a number in \[0, 1\)"),
        (lambda: Adagrad(0.1, eps=-1), "eps must be a positive number"),
        (lambda: get_optimizer("adamw", 0.1), "unknown optimizer 'adamw'; choose one of: 'sgd', 'momentum'"),
    ],
)
def test_bad_settings_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_repr_and_base():
    assert repr(SGD(0.1)) == "SGD(lr=0.1)"
    assert repr(Nesterov(0.1)) == "Nesterov(lr=0.1, momentum=0.9, nesterov=True)"
    assert repr(Adam(0.01)) == "Adam(lr=0.01, beta1=0.9, beta2=0.999)"
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).update(np.zeros(1), np.zeros(1), {})
