"""Freezing layers and swapping heads, for transfer learning.

A layer with `trainable = False` is skipped by every Optimizer (see optim.py): its parameters get no update,
though gradients still flow through it to the layers below. Transfer learning keeps the early layers of a
network trained on one task, freezes them, and trains a new output layer (a "head") for a related task
(Yosinski et al. 2014, "How transferable are features in deep neural networks?").
"""

import copy

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import Dense
from nncourse.core.model import Sequential


def freeze(model, upto):
    """Freeze the first `upto` layers that have parameters (0 freezes nothing) and unfreeze the rest.
    Returns the model."""
    layers = _validate.sequential(model).param_layers
    upto = _validate.int_between(
        "upto", upto, 0, len(layers), f"an integer from 0 to {len(layers)} (the layers with parameters)"
    )
    for i, layer in enumerate(layers):
        layer.trainable = i >= upto
    return model


def frozen_count(model):
    """How many layers with parameters are frozen."""
    return sum(not layer.trainable for layer in _validate.sequential(model).param_layers)


def replace_head(model, n_out, rng, init="glorot_uniform"):
    """A new Sequential: a deep copy of every layer of `model` before its last Dense layer (the body, keeping
    its `trainable` flags), then a freshly initialized Dense(n_in, n_out) head. The original is untouched."""
    _validate.rng(rng)
    n_out = _validate.positive_int("n_out", n_out)
    dense = [i for i, layer in enumerate(_validate.sequential(model).layers) if isinstance(layer, Dense)]
    if not dense:
        raise _validate.InputError("the model has no Dense layer to replace")
    last = dense[-1]
    body = [copy.deepcopy(layer) for layer in model.layers[:last]]
    head = Dense(model.layers[last].n_in, n_out, rng=rng, init=init)
    return Sequential(body + [head])


def weight_changes(before, model):
    """The largest |change| of any parameter of each layer that has parameters, between `before` (from
    `model.get_weights()`) and now: 0.0 exactly for a frozen layer."""
    _validate.weights(before, _validate.sequential(model).layers)
    return [
        max(float(np.max(np.abs(layer.params[k] - w[k]))) for k in layer.params)
        for layer, w in zip(model.layers, before)
        if layer.params
    ]
