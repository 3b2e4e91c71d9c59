"""Every layer, activation and loss: backward against central finite differences (random upstream gradient)
and against the independent autograd package, on fixed and randomly drawn architectures."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import nncourse as nc
from nncourse.core import gradcheck, init, losses
from nncourse.core.layers import ACTIVATIONS, Dense, Layer, LeakyReLU, get_activation

TOL = 1e-7  # relative error; float64 central differences with h = 1e-6 reach ~1e-9 on these


def _away_from_kinks(x, name):
    """ReLU-like functions have a kink at 0 where finite differences disagree; keep inputs away from it."""
    if name in ("relu", "leaky_relu", "selu"):
        x = np.where(np.abs(x) < 1e-3, 0.1, x)
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(name, rng):
    x = _away_from_kinks(rng.normal(size=(5, 4)) * 2, name)
    err = gradcheck.check_layer(get_activation(name), x, rng)
    assert err["x"] < TOL


def test_dense_backward_matches_finite_differences(rng):
    layer = Dense(4, 3, rng=rng, init="glorot_normal", bias_init=init.initializer("normal", std=0.5))
    errs = gradcheck.check_layer(layer, rng.normal(size=(6, 4)), rng)
    assert max(errs.values()) < TOL, errs


def test_a_wrong_backward_is_caught(rng):
    """The check must be able to fail: a Dense layer that forgets the transpose-free bias sum is flagged."""

    class Broken(Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["b"] = dout.mean(axis=0)  # should be the sum
            return dx

    errs = gradcheck.check_layer(Broken(3, 2, rng=rng), rng.normal(size=(5, 3)), rng)
    assert errs["b"] > 0.1 and errs["W"] < TOL


# --- the same computations written independently in autograd.numpy -------------------------------------
def _ag_sigmoid(z):
    return 0.5 * (anp.tanh(0.5 * z) + 1.0)


AG_ACT = {
    "identity": lambda z: z,
    "sigmoid": _ag_sigmoid,
    "tanh": anp.tanh,
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "selu": lambda z: 1.0507009873554805 * anp.where(z > 0, z, 1.6732632423543772 * (anp.exp(anp.minimum(z, 0.0)) - 1)),
}
AG_LOSS = {
    "mse": lambda p, t: anp.mean((p - t) ** 2),
    "half_sse": lambda p, t: 0.5 * anp.sum((t - p) ** 2),
    "absolute_error": lambda p, t: anp.mean(anp.abs(p - t)),
    "bce_with_logits": lambda z, t: anp.mean(-t * anp.log(_ag_sigmoid(z)) - (1 - t) * anp.log(1 - _ag_sigmoid(z))),
}


def _ag_forward(params, acts, x):
    for (W, b), act in zip(params, acts):
        x = AG_ACT[act](anp.dot(x, W) + b)
    return x


@pytest.mark.parametrize("trial", range(12))
def test_random_architectures_match_autograd(trial):
    rng = np.random.default_rng(100 + trial)
    depth = int(rng.integers(1, 5))
    sizes = [int(s) for s in rng.integers(1, 7, size=depth + 1)]
    acts = [str(a) for a in rng.choice(sorted(ACTIVATIONS), size=depth)]
    loss_name = str(rng.choice(sorted(AG_LOSS)))
    layers = []
    for n_in, n_out, act in zip(sizes[:-1], sizes[1:], acts):
        layers += [
            Dense(n_in, n_out, rng=rng, init="glorot_normal", bias_init=init.initializer("normal", std=0.3)),
            get_activation(act),
        ]
    model = nc.Sequential(layers)
    x = rng.normal(size=(7, sizes[0]))
    target = rng.uniform(size=(7, sizes[-1]))
    if loss_name == "bce_with_logits":
        target = (target > 0.5).astype(float)
    value, dpred = losses.get_loss(loss_name)(model.forward(x), target)
    model.backward(dpred)

    params = [(layer.params["W"].copy(), layer.params["b"].copy()) for layer in model.layers[::2]]
    ag_loss = lambda p: AG_LOSS[loss_name](_ag_forward(p, acts, x), target)  # noqa: E731
    assert value == pytest.approx(float(ag_loss(params)), rel=1e-12, abs=1e-14)
    ag_grads = grad(ag_loss)(params)
    for layer, (gW, gb) in zip(model.layers[::2], ag_grads):
        np.testing.assert_allclose(layer.grads["W"], gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.grads["b"], gb, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("trial", range(6))
def test_random_architectures_match_finite_differences(trial):
    rng = np.random.default_rng(200 + trial)
    sizes = [int(s) for s in rng.integers(1, 6, size=int(rng.integers(2, 5)))]
    act = str(rng.choice(["sigmoid", "tanh", "selu"]))  # smooth, so no kink can spoil the check
    model = nc.mlp(sizes, act, rng=rng, bias_init=init.initializer("normal", std=0.3))
    x, target = rng.normal(size=(5, sizes[0])), rng.normal(size=(5, sizes[-1]))
    errs = gradcheck.check_model(model, losses.mse, x, target)
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("name", sorted(AG_LOSS))
def test_loss_gradients_match_autograd(name, rng):
    pred = rng.normal(size=(6, 2)) * 3
    target = (rng.uniform(size=(6, 2)) > 0.5).astype(float) if name == "bce_with_logits" else rng.normal(size=(6, 2))
    value, dpred = losses.get_loss(name)(pred, target)
    assert value == pytest.approx(float(AG_LOSS[name](pred, target)), rel=1e-12)
    np.testing.assert_allclose(dpred, grad(lambda p: AG_LOSS[name](p, target))(pred), rtol=1e-10, atol=1e-14)
    num = gradcheck.numerical_gradient(lambda: np.array(losses.get_loss(name)(pred, target)[0]), pred, np.array(1.0))
    assert gradcheck.relative_error(dpred, num) < TOL


def test_bce_with_logits_does_not_overflow():
    z = np.array([[1000.0], [-1000.0], [0.0]])
    t = np.array([[0.0], [1.0], [1.0]])
    value, dz = losses.bce_with_logits(z, t)  # RuntimeWarnings are errors in this suite
    assert value == pytest.approx((1000 + 1000 + np.log(2)) / 3)
    np.testing.assert_allclose(dz.ravel(), [1 / 3, -1 / 3, -0.5 / 3])


def test_sigmoid_gives_what_both_branches_divided_separately_give():
    """_sigmoid picks its numerator (1 or e^-|x|) before one division: the same operations on the same numbers as
    np.where(x >= 0, 1 / (1 + e), e / (1 + e)), so every result is the same to the last bit."""
    from nncourse.core.layers import _sigmoid

    x = np.concatenate([np.linspace(-750, 750, 300_001), [0.0, -0.0, 1e-300, -1e-300, np.inf, -np.inf]])
    e = np.exp(-np.abs(x))
    assert np.array_equal(_sigmoid(x), np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def test_sigmoid_is_stable_at_extremes():
    s = ACTIVATIONS["sigmoid"].function(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_activation_derivative_maxima():
    z = np.linspace(-5, 5, 10001)
    assert ACTIVATIONS["sigmoid"].derivative(z).max() == pytest.approx(0.25)
    assert ACTIVATIONS["tanh"].derivative(z).max() == pytest.approx(1.0)
    assert LeakyReLU(0.1).derivative(np.array([-1.0, 1.0])).tolist() == [0.1, 1.0]


# --- skipping dL/dx in the first layer: any layer whose backward takes input_grad -----------------------------


class _Scale(Layer):
    """A custom layer y = x * s (s per feature) that takes part: its backward can skip dL/dx."""

    def __init__(self, n):
        super().__init__()
        self.params["s"] = np.linspace(0.5, 1.5, n)
        self.grads["s"] = np.zeros(n)
        self.skipped = 0

    def forward(self, x, train=True):
        self.x = x
        return x * self.params["s"]

    def backward(self, dout, input_grad=True):
        self.grads["s"] = (dout * self.x).sum(axis=0)
        if not input_grad:
            self.skipped += 1
            return None
        return dout * self.params["s"]


def _grads(model):
    return [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]


def _same(a, b):
    return all(x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x) for x, y in zip(a, b))


@pytest.mark.parametrize("first", ["dense", "custom"])
def test_a_first_layer_that_takes_input_grad_skips_dx_with_the_same_parameter_gradients(first, rng):
    head = Dense(3, 3, rng=rng) if first == "dense" else _Scale(3)
    model = nc.Sequential([head, get_activation("tanh"), Dense(3, 2, rng=rng)])
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model.forward(x)
    assert model.backward(dout).shape == (5, 3)
    full = _grads(model)
    model.forward(x)
    assert model.backward(dout, input_grad=False) is None
    assert _same(_grads(model), full)  # bit for bit: skipping dx changes no parameter gradient
    assert nc.core.model.takes_input_grad(head)


def test_fit_asks_the_first_layer_to_skip_dx(rng):
    model = nc.Sequential([_Scale(2), Dense(2, 1, rng=rng)])
    X, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    nc.fit(model, X, y, lr=0.1, epochs=3)
    assert model.layers[0].skipped == 3


def test_a_subclass_whose_backward_does_not_take_input_grad_gets_the_whole_backward(rng):
    """A Dense subclass that overrides backward (here a wrong bias gradient) is not bypassed by training."""

    class MeanBias(Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["b"] = dout.mean(axis=0)
            return dx

    layer = MeanBias(3, 2, rng=rng)
    model = nc.Sequential([layer])
    dout = rng.normal(size=(4, 2))
    model.forward(rng.normal(size=(4, 3)))
    assert model.backward(dout, input_grad=False).shape == (4, 3)
    assert np.array_equal(layer.grads["b"], dout.mean(axis=0))
    assert not nc.core.model.takes_input_grad(layer) and not nc.core.model.takes_input_grad(get_activation("relu"))
