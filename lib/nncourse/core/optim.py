"""Optimizers: each updates every trainable parameter of a model in place from the gradients in its layers.
Layers with `trainable = False` (frozen) are skipped.

One `update(param, grad, state)` per rule, written as the textbook formula; `state` is a dict kept per
parameter across steps (momentum buffers, running averages, the step count t). The same classes drive the
networks (`fit`) and the 2-D loss-surface paths (`nncourse.blocks.surfaces`), so there is one implementation of each
rule. Sources: Polyak (1964) momentum; Nesterov (1983) / Sutskever et al. (2013) for the look-ahead form;
Duchi et al. (2011) Adagrad; Tieleman & Hinton (2012, Coursera lecture 6.5) RMSprop; Kingma & Ba (2015) Adam,
Algorithm 1.
"""

from typing import Any

import numpy as np

from nncourse.core import _validate


class Optimizer:
    """Base: `step(model)` calls `update(param, grad, state)` for each trainable parameter, where `state` is a
    dict kept per parameter across steps (momentum buffers and the like)."""

    def __init__(self, lr: float) -> None:
        self.lr = _validate.positive("learning rate", lr)
        self.state = {}
        self.t = 0

    def step(self, model: Any) -> None:
        self.t += 1
        for layer, name in model.parameters():
            key = (id(layer), name)
            state = self.state.get(key)
            if state is None:
                state = self.state[key] = {}
            self.update(layer.params[name], layer.grads[name], state)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def _settings(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self._settings()
        return f"{type(self).__name__}(lr={self.lr:g}{', ' + extra if extra else ''})"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (PyTorch's form, no dampening):

        plain:     w <- w - lr g
        momentum:  v <- mu v + g;            w <- w - lr v
        Nesterov:  v <- mu v + g;            w <- w - lr (g + mu v)   (the gradient taken "ahead")

    With a constant lr, `v` here is the velocity of Polyak's form (v' <- mu v' - lr g) divided by -lr."""

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = _validate.fraction("momentum", momentum)
        self.nesterov = _validate.flag("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise _validate.InputError("Nesterov momentum needs momentum > 0")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum == 0:
            param -= self.lr * grad
            return
        v = state.get("v")
        v = state["v"] = grad.copy() if v is None else self.momentum * v + grad
        param -= self.lr * (grad + self.momentum * v if self.nesterov else v)

    def _settings(self) -> str:
        if self.momentum == 0:
            return ""
        return f"momentum={self.momentum:g}" + (", nesterov=True" if self.nesterov else "")


class Momentum(SGD):
    """SGD with (heavy-ball) momentum, mu = 0.9 unless given."""

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr, momentum=momentum)


class Nesterov(SGD):
    """SGD with Nesterov momentum, mu = 0.9 unless given."""

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr, momentum=momentum, nesterov=True)


class Adagrad(Optimizer):
    """Per-coordinate steps shrinking with the sum of all past squared gradients (Duchi et al. 2011):

    G <- G + g^2;   w <- w - lr g / (sqrt(G) + eps)"""

    def __init__(self, lr: float, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.eps = _validate.positive("eps", eps)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        G = state.get("G")
        G = state["G"] = grad * grad if G is None else G + grad * grad
        param -= self.lr * grad / (np.sqrt(G) + self.eps)


class RMSprop(Optimizer):
    """Adagrad with a leaking memory (Tieleman & Hinton 2012): a running average instead of a sum,

    s <- rho s + (1 - rho) g^2;   w <- w - lr g / (sqrt(s) + eps),   s starts at 0."""

    def __init__(self, lr: float, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = _validate.fraction("rho", rho)
        self.eps = _validate.positive("eps", eps)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        s = state.get("s", 0.0)
        s = state["s"] = self.rho * s + (1 - self.rho) * grad * grad
        param -= self.lr * grad / (np.sqrt(s) + self.eps)

    def _settings(self) -> str:
        return f"rho={self.rho:g}"


class Adam(Optimizer):
    """Momentum plus RMSprop, with bias correction (Kingma & Ba 2015, Algorithm 1). With t the step count of
    this parameter (1, 2, ...), m and v starting at 0:

        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t);   v_hat = v / (1 - b2^t)
        w <- w - lr m_hat / (sqrt(v_hat) + eps)

    Without the correction the first steps would be too small, because m and v start at 0."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.beta1 = _validate.fraction("beta1", beta1)
        self.beta2 = _validate.fraction("beta2", beta2)
        self.eps = _validate.positive("eps", eps)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = self.beta1 * state.get("m", 0.0) + (1 - self.beta1) * grad
        v = state["v"] = self.beta2 * state.get("v", 0.0) + (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _settings(self) -> str:
        return f"beta1={self.beta1:g}, beta2={self.beta2:g}"


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def get_optimizer(name: str, lr: float, **kwargs: Any) -> Optimizer:
    """An optimizer by name (one of OPTIMIZERS) with learning rate `lr`; kwargs are its hyper-parameters
    (momentum; rho; beta1, beta2; eps)."""
    _validate.choice("optimizer", name, OPTIMIZERS)
    _validate.keywords(f"optimizer {name!r}", kwargs, OPTIMIZERS[name], given=("lr",))
    return OPTIMIZERS[name](lr, **kwargs)
