"""Numerical gradient checks (central differences), as a learner would use them on their own backward pass.

The upstream gradient `dout` is random: checking with all ones can let a wrong backward pass through (for
example one that forgets a term that sums to zero across the batch)."""

from collections.abc import Callable
from typing import Any

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import Layer
from nncourse.core.losses import get_loss


def numerical_gradient(f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d/dx of sum(f(x) * dout) by central differences, perturbing `x` in place (and restoring it).
    f: function of no arguments that reads x and returns an array shaped like dout."""
    _validate.function("f", f, "lambda: layer.forward(x)", optional=False)
    _validate.perturbable("x", x)
    _validate.positive("h", h)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(f() * dout)
        x[i] = old - h
        minus = np.sum(f() * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|) over all entries; near 1e-7 or below means the two agree."""
    a, b = _validate.same_shape("a", a, "b", b)
    _validate.positive("floor", floor)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), floor))


def check_layer(layer: Layer, x: np.ndarray, rng: np.random.Generator, h: float = 1e-6) -> dict[str, float]:
    """Relative errors between a layer's analytic and numerical gradients, for its input ('x') and every
    parameter, with a random upstream gradient drawn from `rng`."""
    _validate.instance_of("layer", layer, Layer, "Dense(2, 3, rng)")
    _validate.rng(rng)
    x = np.array(_validate.data_array("x", x), dtype=np.float64)
    out = layer.forward(x, train=True)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {"x": relative_error(dx, numerical_gradient(lambda: layer.forward(x, True), x, dout, h))}
    for k, p in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(lambda: layer.forward(x, True), p, dout, h))
    return errors


def check_model(model: Any, loss_fn: str | Callable, X: np.ndarray, y: np.ndarray, h: float = 1e-6) -> dict[str, float]:
    """Relative error per parameter ('layer i: name') between backprop and central differences on the
    scalar loss of `model` on (X, y). loss_fn: a loss function or its name in losses.LOSSES."""
    _validate.model(model, ("forward", "backward"))
    loss_fn = get_loss(loss_fn)
    X = _validate.model_input("X", X, model)
    y = _validate.data_array("y", y)
    _validate.same_rows("X", X, "y", y)
    value, dpred = loss_fn(model.forward(X), y)
    model.backward(dpred)
    errors = {}
    for i, layer in enumerate(model.layers):
        for k, p in layer.params.items():
            num = numerical_gradient(lambda: np.array(loss_fn(model.forward(X), y)[0]), p, np.array(1.0), h)
            errors[f"layer {i}: {k}"] = relative_error(layer.grads[k], num)
    # the numerical passes overwrote each layer's grads-cache inputs: leave the model as backprop left it
    model.backward(loss_fn(model.forward(X), y)[1])
    return errors


AGREES = 1e-6  # a relative error below this is rounding noise: the backward pass is right


def format_error(err: float, tol: float = AGREES) -> str:
    """A relative error as a lesson prints it: '< 1e-06' when it is below `tol`, else two significant figures.
    Below `tol` the digits are rounding noise, and rounding differs between machines (BLAS kernels, CPUs),
    so they are not printed; a wrong backward pass gives errors far above it, and those digits are stable."""
    return f"< {tol:.0e}" if err < tol else f"{err:.1e}"
