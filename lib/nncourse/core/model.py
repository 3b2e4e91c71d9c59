"""A sequential model: runs its layers forward and backward over a batch and keeps, per layer, what the
plots need (inputs, outputs and the gradient arriving at each output)."""

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from nncourse.core import _validate
from nncourse.core.init import initializer
from nncourse.core.layers import Activation, Dense, Layer, get_activation

DEFAULT_INIT = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "selu": "lecun_normal",
    "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
    "identity": "glorot_uniform",
}


def takes_input_grad(layer: Any) -> bool:
    """Whether `layer` (or a model) can skip dL/d(input): its backward takes `input_grad`, as in
    `backward(self, dout, input_grad=True)`, and returns None when it is False. A layer takes part just by
    accepting the argument (Dense does); a subclass whose backward does not take it (MaskedDense) always gets
    the whole backward."""
    backward = getattr(type(layer), "backward", None)  # None: a model whose backward is set on the instance
    return backward is not None and _backward_takes_input_grad(backward)


@functools.cache
def _backward_takes_input_grad(backward: Callable) -> bool:
    """Once per backward function: reading a signature costs more than a small training step."""
    return "input_grad" in inspect.signature(backward).parameters


class Sequential:
    """Layers applied in order. After `forward`, `outputs[i]` is layer i's output; after `backward`,
    `output_grads[i]` is dL/d(outputs[i]) and each layer's `grads` holds its parameter gradients."""

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = _validate.layer_list("Sequential", layers, Layer)
        self.outputs, self.output_grads = [], []

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """x (N, D_in) -> output (N, D_out); records every layer's output. Checks x first: finite numbers
        (a list is fine), at least one row, the shape the first layer takes."""
        return self._forward(_validate.model_input("x", x, self), train)

    def _forward(self, x, train):
        """forward without the input checks: what `fit` runs every step, after checking X once."""
        self.input = x
        self.outputs = []
        for layer in self.layers:
            x = layer.forward(x, train)
            self.outputs.append(x)
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dout = dL/d(output) (N, D_out) -> dL/dx (N, D_in); fills every layer's grads.

        input_grad=False (what `fit` asks for) passes it on to the first layer if that layer can skip dL/dx
        (takes_input_grad: a Dense can), and returns None instead of dL/dx then: training never uses dL/dx, and
        for a wide input (64 pixels) its product dout W^T costs as much as the first layer's forward pass."""
        if self.layers and len(self.outputs) != len(self.layers):
            raise _validate.InputError(
                "backward needs a forward pass first: call model.forward(x), then model.backward(dout)"
            )
        grads = [None] * len(self.layers)
        for i in range(len(self.layers) - 1, -1, -1):
            grads[i] = dout
            layer = self.layers[i]
            if i == 0 and not input_grad and takes_input_grad(layer):
                dout = layer.backward(dout, input_grad=False)
            else:
                dout = layer.backward(dout)
        self.output_grads = grads
        return dout

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Forward pass in inference mode (dropout off, batch norm uses running statistics)."""
        return self.forward(x, train=False)

    def parameters(self) -> list[tuple[Layer, str]]:
        """[(layer, name)] for every trainable parameter, in layer order."""
        return [(layer, k) for layer in self.layers if layer.trainable for k in layer.params]

    def get_weights(self) -> list[dict[str, np.ndarray]]:
        """A deep copy of every layer's params: [{name: array}]."""
        return [{k: v.copy() for k, v in layer.params.items()} for layer in self.layers]

    def set_weights(self, weights: list[dict[str, np.ndarray]]) -> None:
        """Copy values from `get_weights()` output back in place."""
        _validate.weights(weights, self.layers)
        for layer, w in zip(self.layers, weights):
            for k, v in w.items():
                layer.params[k][...] = v

    @property
    def param_layers(self) -> list[Layer]:
        """The layers that have parameters (Dense, ...), in order."""
        return [layer for layer in self.layers if layer.params]

    def records(self) -> list[dict[str, Any]]:
        """One dict per Dense layer after a forward and backward pass:
        z (pre-activation), a (output of the activation after it, or z), dz, da, W, dW."""
        if len(self.outputs) != len(self.layers):
            raise _validate.InputError("records needs a forward pass first: call model.forward(x)")
        out = []
        n = len(self.layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Dense):
                continue
            j = i + 1 if i + 1 < n and isinstance(self.layers[i + 1], Activation) else i
            rec = {
                "index": len(out),
                "z": self.outputs[i],
                "a": self.outputs[j],
                "activation": self.layers[j].name if j != i else "identity",
                "W": layer.params["W"],
                "dW": layer.grads["W"],
            }
            if self.output_grads:
                rec["dz"], rec["da"] = self.output_grads[i], self.output_grads[j]
            out.append(rec)
        return out

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"


def mlp(
    sizes: Iterable[int],
    activation: str = "relu",
    output_activation: str = "identity",
    rng: np.random.Generator | None = None,
    init: str | Callable | None = None,
    bias_init: str | Callable = "zeros",
    **act_kwargs: float,
) -> Sequential:
    """A multi-layer perceptron: Dense(sizes[0], sizes[1]), activation, ..., Dense(sizes[-2], sizes[-1]),
    output activation.

    sizes: e.g. [2, 16, 16, 1]. init: an initializer name or callable; default by activation
    (He for ReLU, LeCun for SELU, Glorot otherwise). rng: numpy Generator (required for random inits).
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise _validate.InputTypeError(
            f"sizes must be a list of layer sizes such as [2, 16, 1], got {type(sizes).__name__}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise _validate.InputError(f"sizes needs at least an input and an output size, got {sizes}")
    for s in sizes:
        _validate.positive_int("layer size", s)
    if rng is None:
        raise _validate.InputError("mlp needs rng=np.random.default_rng(seed)")
    _validate.rng(rng)
    hidden_act = get_activation(activation, **act_kwargs)  # validates the name
    w_init = init if init is not None else DEFAULT_INIT[hidden_act.name]
    initializer(w_init), initializer(bias_init)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(n_in, n_out, rng=rng, init=w_init, bias_init=bias_init))
        last = i == len(sizes) - 2
        layers.append(get_activation(output_activation) if last else get_activation(activation, **act_kwargs))
    if layers and isinstance(layers[-1], Activation) and layers[-1].name == "identity":
        layers.pop()
    return Sequential(layers)
