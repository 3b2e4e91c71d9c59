"""Optimizers: each updates every trainable parameter of a model in place from the gradients in its layers.
Layers with `trainable = False` (frozen) are skipped."""
from . import _validate


class Optimizer:
    """Base: `step(model)` calls `update(param, grad, state)` for each trainable parameter, where `state` is a
    dict kept per parameter across steps (momentum buffers and the like)."""

    def __init__(self, lr):
        self.lr = _validate.positive("learning rate", lr)
        self.state = {}
        self.t = 0

    def step(self, model):
        self.t += 1
        for layer, name in model.parameters():
            key = (id(layer), name)
            state = self.state.get(key)
            if state is None:
                state = self.state[key] = {}
            self.update(layer.params[name], layer.grads[name], state)

    def update(self, param, grad, state):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: w <- w - lr * dL/dw."""

    def update(self, param, grad, state):
        param -= self.lr * grad

    def __repr__(self):
        return f"SGD(lr={self.lr:g})"


OPTIMIZERS = {"sgd": SGD}


def get_optimizer(name, lr, **kwargs):
    """An optimizer by name (one of OPTIMIZERS) with learning rate `lr`."""
    _validate.choice("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](lr, **kwargs)
