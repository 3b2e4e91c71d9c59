"""The training loop: forward, loss, backward, (clip), update; records a history and stops cleanly when the
loss or a gradient stops being finite."""
import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate
from .losses import get_loss
from .model import Sequential
from .optim import SGD, Optimizer


@dataclass
class History:
    """What a training run leaves behind. Steps count from 1: `loss[k-1]` is the loss computed at step k,
    before that step's update. `grad_norms` has one row per step and one column per parameterized layer
    (the norm of all that layer's parameter gradients, before any clipping)."""

    loss: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    diverged_at: int | None = None
    diverged_value: float | None = None
    stopped_at_epoch: int | None = None
    steps: int = 0

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def final_loss(self):
        return self.loss[-1] if self.loss else float("nan")

    @property
    def status(self):
        """One line a lesson can print."""
        if self.diverged:
            return f"diverged at step {self.diverged_at} (loss = {self.diverged_value:.3g})"
        if self.stopped_at_epoch is not None:
            return f"stopped early after epoch {self.stopped_at_epoch} ({self.steps} steps, loss {self.final_loss:.4g})"
        return f"finished {self.steps} steps, final loss {self.final_loss:.4g}"

    def grad_norm_array(self):
        """grad_norms as an array (steps, layers)."""
        return np.array(self.grad_norms, dtype=np.float64)


def layer_grad_norms(model):
    """Per parameterized layer: sqrt(sum of squares of all its parameter gradients)."""
    return [np.sqrt(sum(float(np.vdot(g, g)) for g in layer.grads.values())) for layer in model.param_layers]


def _backward(model, dpred):
    """Backpropagate dL/dpred; a Sequential skips dL/dX, which training never uses."""
    if isinstance(model, Sequential):
        model.backward(dpred, input_grad=False)
    else:
        model.backward(dpred)


def resolve_optimizer(optimizer, lr, default_lr):
    """The optimizer a training loop uses: the one given, or SGD(lr) (SGD(default_lr) when neither is given)."""
    if optimizer is None:
        return SGD(default_lr if lr is None else lr)
    if lr is not None:
        raise ValueError("give either optimizer or lr, not both")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer (e.g. SGD(0.1)), got {type(optimizer).__name__}")
    return optimizer


def finish_step(hist, model, optimizer, clip, value, step):
    """The end of every training step, after backward: clip the gradients, update, record."""
    if clip is not None:
        clip([layer.grads[k] for layer, k in model.parameters()])
    hist.lr.append(optimizer.lr)
    optimizer.step(model)
    hist.loss.append(value)
    hist.steps = step


def check_final_weights(hist, model):
    """A last update can overflow the weights without any loss seeing it: mark the run diverged if it did."""
    if not all(np.all(np.isfinite(layer.params[k])) for layer, k in model.parameters()):
        hist.diverged_at, hist.diverged_value = hist.steps + 1, float("nan")


def fit(model, X, y, loss="mse", optimizer=None, lr=None, epochs=100, batch_size=None, rng=None,
        X_val=None, y_val=None, clip=None, regularizer=None, callbacks=(), record_grad_norms=True):
    """Train `model` on (X, y) and return a History.

    X (N, D_in), y (N, D_out). loss: a name in losses.LOSSES or a callable (pred, y) -> (value, dpred).
    optimizer: an Optimizer, or None for SGD(lr). batch_size: None for full batch, else mini-batches shuffled
    every epoch with `rng`. clip: callable(list of gradient arrays) that rescales them in place.
    regularizer: object with value(model) -> float and add_gradients(model). callbacks: objects with
    on_epoch_end(epoch, history, model, optimizer) -> True to stop.
    Stops at the first step whose loss or gradient norm is NaN or infinite, with history.diverged_at = step.
    """
    X = _validate.finite_array("X", X, ndim=2)
    y = _validate.finite_array("y", y, ndim=2)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
    epochs = _validate.positive_int("epochs", epochs)
    loss_fn = get_loss(loss)
    optimizer = resolve_optimizer(optimizer, lr, default_lr=0.01)
    n = X.shape[0]
    if batch_size is not None:
        batch_size = _validate.positive_int("batch_size", batch_size)
        if batch_size < n and rng is None:
            raise ValueError("mini-batches are shuffled: pass rng=np.random.default_rng(seed)")
    if X_val is not None:
        X_val = _validate.finite_array("X_val", X_val, ndim=2)
        y_val = _validate.finite_array("y_val", y_val, ndim=2)

    hist = History()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            if batch_size is None or batch_size >= n:
                batches = [(X, y)]
            else:
                order = rng.permutation(n)
                batches = [(X[idx], y[idx]) for idx in np.array_split(order, int(np.ceil(n / batch_size)))]
            epoch_total = 0.0
            for xb, yb in batches:
                step = hist.steps + 1
                value, dpred = loss_fn(model.forward(xb, train=True), yb)
                if regularizer is not None:
                    value += regularizer.value(model)
                if not np.isfinite(value):
                    hist.diverged_at, hist.diverged_value = step, value
                    return hist
                _backward(model, dpred)
                if regularizer is not None:
                    regularizer.add_gradients(model)
                if record_grad_norms:
                    norms = layer_grad_norms(model)
                    if not all(map(math.isfinite, norms)):
                        hist.diverged_at, hist.diverged_value = step, value
                        return hist
                    hist.grad_norms.append(norms)
                finish_step(hist, model, optimizer, clip, value, step)
                epoch_total += value * xb.shape[0]
            hist.epoch_loss.append(epoch_total / n)
            if X_val is not None:
                hist.val_loss.append(loss_fn(model.predict(X_val), y_val)[0])
            if any(cb.on_epoch_end(epoch, hist, model, optimizer) for cb in callbacks):
                hist.stopped_at_epoch = epoch
                break
        check_final_weights(hist, model)
    return hist


def evaluate(model, X, y, loss="mse"):
    """The loss of `model` on (X, y) in inference mode."""
    with np.errstate(over="ignore", invalid="ignore"):
        return get_loss(loss)(model.predict(X), np.asarray(y, dtype=np.float64))[0]


def accuracy(model, X, y):
    """Fraction of correct 0/1 predictions for a model that outputs one logit per sample (class 1 if > 0)."""
    logits = model.predict(X)
    return float(np.mean((logits > 0) == (np.asarray(y) > 0.5)))
