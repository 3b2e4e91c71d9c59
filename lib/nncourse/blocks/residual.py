"""Residual (skip) connection: y = x + f(x), where f is a stack of layers whose output has x's shape.

Backward: dL/dx = dout + (df/dx)^T dout. The identity path carries the gradient past f unchanged, so a deep
stack of blocks does not multiply it down to nothing (He et al. 2016, "Deep residual learning").
"""

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import Layer


class ResidualBlock(Layer):
    """Wraps `layers` (e.g. [Dense(d, d), ReLU(), Dense(d, d)]). Exposes their parameters as 'i.name' keys, the
    same arrays, so optimizers update them in place."""

    def __init__(self, layers):
        super().__init__()
        self.layers = _validate.layer_list("ResidualBlock", layers, Layer)
        self._refresh()

    def _refresh(self):
        self.params = {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}
        self.grads = {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def forward(self, x, train=True):
        if not isinstance(x, np.ndarray):
            x = _validate.finite_array("x", x)
        out = x
        for layer in self.layers:
            out = layer.forward(out, train)
        if out.shape != x.shape:
            raise _validate.InputError(f"the residual branch must keep the shape {x.shape}, it returned {out.shape}")
        return x + out

    def backward(self, dout):
        d = dout
        for layer in reversed(self.layers):
            d = layer.backward(d)
        self._refresh()
        return dout + d

    def __repr__(self):
        return "ResidualBlock(" + ", ".join(repr(layer) for layer in self.layers) + ")"
