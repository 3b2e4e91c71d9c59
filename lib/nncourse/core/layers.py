"""Layers with explicit forward and backward passes (batch-first: x is (N, D_in)).

Every layer keeps `params` and `grads` dicts with the same keys, caches what its backward pass needs during
forward, and returns the gradient with respect to its input from `backward(dout)`, where `dout` is the
gradient of the loss with respect to its output.
"""

from collections.abc import Callable

import numpy as np

from nncourse.core import _validate
from nncourse.core.init import initializer, needs_rng


class Layer:
    """Base class: no parameters, identity forward/backward."""

    trainable = True

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Fully connected layer y = x @ W + b.

    Shapes: x (N, D_in), W (D_in, D_out), b (D_out,), y (N, D_out).
    Backward: dW = x^T dout, db = sum_n dout, dx = dout W^T; backward(dout, input_grad=False) skips dx and
    returns None (a model's first layer in training, where no one needs dx: for 64 pixels it costs as much as
    the forward product).
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rng: np.random.Generator | None = None,
        init: str | Callable[..., np.ndarray] = "glorot_uniform",
        bias_init: str | Callable[..., np.ndarray] = "zeros",
    ) -> None:
        super().__init__()
        self.n_in = _validate.positive_int("n_in", n_in)
        self.n_out = _validate.positive_int("n_out", n_out)
        w_init, b_init = initializer(init), initializer(bias_init)
        if rng is not None:
            _validate.rng(rng)
        elif needs_rng(w_init) or needs_rng(b_init):
            # no hidden default seed: a random initializer gets its Generator from the caller
            raise _validate.InputError(
                f"Dense({n_in}, {n_out}) with a random initializer needs "
                f"rng=np.random.default_rng(seed); only 'zeros' and 'constant' work "
                f"without one"
            )
        self.params["W"] = np.asarray(w_init((n_in, n_out), rng), dtype=np.float64)
        self.params["b"] = np.asarray(b_init((n_out,), rng), dtype=np.float64)
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["b"] = np.zeros_like(self.params["b"])
        self.x = None

    @classmethod
    def from_arrays(cls, W: np.ndarray, b: np.ndarray) -> "Dense":
        """A Dense layer holding copies of the given W (D_in, D_out) and b (D_out,)."""
        W = _validate.finite_array("W", W, ndim=2)
        b = _validate.finite_array("b", b, ndim=1)
        if b.shape[0] != W.shape[1]:
            raise _validate.InputError(f"b must have shape ({W.shape[1]},) to match W {W.shape}, got {b.shape}")
        layer = cls(W.shape[0], W.shape[1], init="zeros")
        layer.params["W"][...] = W
        layer.params["b"][...] = b
        return layer

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.x = x = _validate.layer_input(f"Dense({self.n_in}, {self.n_out})", x, self.n_in)
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        self.parameter_grads(dout)
        return dout @ self.params["W"].T if input_grad else None

    def parameter_grads(self, dout: np.ndarray) -> None:
        """dW = x^T dout, db = sum_n dout: the part of backward that updates the weights."""
        _validate.upstream(self, dout, self.x, self.n_out)
        self.grads["W"] = self.x.T @ dout
        self.grads["b"] = dout.sum(axis=0)

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out})"


class Activation(Layer):
    """Element-wise activation a = f(z); backward multiplies by f'(z). Subclasses give `function` and
    `derivative` (used for plots and by their own backward)."""

    name = "activation"

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.x = x
        self.out = self.function(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.derivative(self.x)

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def derivative(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Identity(Activation):
    """f(z) = z, f'(z) = 1: the output of a regression head."""

    name = "identity"

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.x = self.out = x
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def derivative(x: np.ndarray) -> np.ndarray:
        return np.ones_like(x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: with e = e^-|x|, never larger than 1, it is 1 / (1 + e) for x >= 0 and
    e / (1 + e) for x < 0 (numerator chosen first, then one division: a quarter faster on small arrays)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Activation):
    """f(z) = 1 / (1 + e^-z), f'(z) = f(z) (1 - f(z)) <= 1/4."""

    name = "sigmoid"

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)

    function = staticmethod(_sigmoid)

    @staticmethod
    def derivative(x: np.ndarray) -> np.ndarray:
        s = _sigmoid(x)
        return s * (1.0 - s)


class Tanh(Activation):
    """f(z) = tanh z, f'(z) = 1 - tanh^2 z <= 1."""

    name = "tanh"

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out * self.out)

    function = staticmethod(np.tanh)

    @staticmethod
    def derivative(x: np.ndarray) -> np.ndarray:
        return 1.0 - np.tanh(x) ** 2


class ReLU(Activation):
    """f(z) = max(0, z), f'(z) = 1 if z > 0 else 0 (we take 0 at z = 0)."""

    name = "relu"

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (self.x > 0)

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)

    @staticmethod
    def derivative(x: np.ndarray) -> np.ndarray:
        return (x > 0).astype(np.float64)


class LeakyReLU(Activation):
    """f(z) = z if z > 0 else alpha z; f'(z) = 1 or alpha."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = _validate.non_negative("alpha", alpha)

    def function(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * x)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, 1.0, self.alpha)


class SELU(Activation):
    """Klambauer et al. (2017): f(z) = lambda z if z > 0 else lambda alpha (e^z - 1), with the constants that
    make mean 0 / variance 1 a fixed point under lecun_normal weights."""

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    @classmethod
    def function(cls, x: np.ndarray) -> np.ndarray:
        return cls.scale * np.where(x > 0, x, cls.alpha * np.expm1(np.minimum(x, 0.0)))

    @classmethod
    def derivative(cls, x: np.ndarray) -> np.ndarray:
        return cls.scale * np.where(x > 0, 1.0, cls.alpha * np.exp(np.minimum(x, 0.0)))


ACTIVATIONS = {cls.name: cls for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, SELU)}


def get_activation(name: str | Activation, **kwargs: float) -> Activation:
    """A new activation layer by name: one of ACTIVATIONS ('identity', 'sigmoid', 'tanh', 'relu',
    'leaky_relu', 'selu')."""
    if isinstance(name, Activation):
        return name
    _validate.choice("activation", name, ACTIVATIONS)
    _validate.keywords(f"activation {name!r}", kwargs, ACTIVATIONS[name])
    return ACTIVATIONS[name](**kwargs)
