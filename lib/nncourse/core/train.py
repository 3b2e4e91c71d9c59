"""The training loop: forward, loss, backward, (clip), update; records a history and stops cleanly when the
loss or a gradient stops being finite. One loop for every model: rows X (N, D) or sequences X (N, T, D)."""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncourse.core import _validate
from nncourse.core.losses import get_loss
from nncourse.core.model import Sequential, takes_input_grad
from nncourse.core.optim import SGD, Optimizer

Loss = str | Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
Clip = Callable[[list[np.ndarray]], Any]


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
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final_loss(self) -> float:
        return self.loss[-1] if self.loss else float("nan")

    @property
    def status(self) -> str:
        """One line a lesson can print."""
        if self.diverged:
            return f"diverged at step {self.diverged_at} (loss = {self.diverged_value:.3g})"
        if self.stopped_at_epoch is not None:
            return f"stopped early after epoch {self.stopped_at_epoch} ({self.steps} steps, loss {self.final_loss:.3g})"
        return f"finished {self.steps} steps, final loss {self.final_loss:.3g}"

    def grad_norm_array(self) -> np.ndarray:
        """grad_norms as an array (steps, layers)."""
        return np.array(self.grad_norms, dtype=np.float64)


def layer_grad_norms(model: Sequential) -> list[float]:
    """Per parameterized layer: sqrt(sum of squares of all its parameter gradients)."""
    return [np.sqrt(sum(float(np.vdot(g, g)) for g in layer.grads.values())) for layer in model.param_layers]


def _forward(model, x, train):
    """The forward pass of a training step; a Sequential skips its input checks (fit checked X once)."""
    if isinstance(model, Sequential):
        return model._forward(x, train)
    return model.forward(x, train)


def _predict(model, x):
    """model.predict(x) for an x already checked (a Sequential skips the checks)."""
    if isinstance(model, Sequential):
        return model._forward(x, False)
    return model.predict(x)


def _backward(model, dpred):
    """Backpropagate dL/dpred; a model that can skip dL/dX (which training never uses) is asked to."""
    if takes_input_grad(model):
        model.backward(dpred, input_grad=False)
    else:
        model.backward(dpred)


def resolve_optimizer(optimizer: Optimizer | None, lr: float | None, default_lr: float) -> Optimizer:
    """The optimizer a training loop uses: the one given, or SGD(lr) (SGD(default_lr) when neither is given)."""
    if optimizer is None:
        return SGD(default_lr if lr is None else lr)
    if lr is not None:
        raise _validate.InputError("give either optimizer or lr, not both")
    return _validate.optimizer(optimizer)


def finish_step(
    hist: History, model: Sequential, optimizer: Optimizer, clip: Clip | None, value: float, step: int
) -> None:
    """The end of every training step, after backward: clip the gradients, update, record."""
    if clip is not None:
        clip([layer.grads[k] for layer, k in model.parameters()])
    hist.lr.append(optimizer.lr)
    optimizer.step(model)
    hist.loss.append(value)
    hist.steps = step


def check_final_weights(hist: History, model: Sequential) -> None:
    """A last update can overflow the weights without any loss seeing it: mark the run diverged if it did."""
    if not all(np.all(np.isfinite(layer.params[k])) for layer, k in model.parameters()):
        hist.diverged_at, hist.diverged_value = hist.steps + 1, float("nan")


def fit(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    loss: Loss = "mse",
    optimizer: Optimizer | None = None,
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    clip: Clip | None = None,
    regularizer: Any = None,
    callbacks: Iterable[Any] | Any = (),
    record_grad_norms: bool = True,
    skip: int = 0,
) -> History:
    """Train `model` on (X, y) and return a History.

    X (N, D_in), y (N, D_out), numbers (lists are fine); for a sequence model (its first layer an RNN)
    X (N, T, D_in), y (N, T, D_out), and the loss is taken over the steps t >= skip only (the earlier steps
    have no target; skip must be 0 for 2-D X). loss: a name in losses.LOSSES or a callable
    (pred, y) -> (value, dpred). optimizer: an Optimizer, or None for SGD(lr). batch_size: None for full batch,
    else mini-batches of at most N rows (sequences) shuffled every epoch with `rng`. X_val, y_val: a validation
    set of the same kind, its loss recorded after every epoch. clip: callable(list of gradient arrays) that
    rescales them in place, e.g. clipping.clipper('global_norm', 1.0). regularizer: object with value(model) ->
    float and add_gradients(model). callbacks: objects (a list, or just one) with
    on_epoch_end(epoch, history, model, optimizer) -> True to stop.
    Every argument is checked once, before the first step; a model whose layers are all frozen is refused.
    Stops at the first step whose loss or gradient norm is NaN or infinite, with history.diverged_at = step.
    `Training` is the same loop an epoch at a time (a panel that plays a run).
    """
    return Training(**locals()).run()  # fit's arguments are Training's, by the same names


class Training:
    """`fit`, an epoch at a time: `t = Training(model, X, y, ...)` (fit's arguments, checked at once), then
    `t.advance(k)` trains up to k more epochs and `t.history` is the History so far; `t.done` once the run has
    finished its epochs, stopped early or diverged. `t.run()` is `fit`. Any split into advances gives the same
    numbers as one `fit`."""

    def __init__(
        self,
        model: Sequential,
        X: np.ndarray,
        y: np.ndarray,
        loss: Loss = "mse",
        optimizer: Optimizer | None = None,
        lr: float | None = None,
        epochs: int = 100,
        batch_size: int | None = None,
        rng: np.random.Generator | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        clip: Clip | None = None,
        regularizer: Any = None,
        callbacks: Iterable[Any] | Any = (),
        record_grad_norms: bool = True,
        skip: int = 0,
    ) -> None:
        _validate.training(model, clip, rng)
        self.X = _validate.training_input("X", X, model)
        self.y = _validate.training_targets("X", self.X, "y", y)
        self.skip = _validate.sequence_skip(skip, self.X)
        self.epochs = _validate.positive_int("epochs", epochs)
        self.loss_fn = get_loss(loss)
        self.optimizer = resolve_optimizer(optimizer, lr, default_lr=0.01)
        self.n = self.X.shape[0]
        self.batch_size = _validate.batch_size(batch_size, self.n, rng)
        if (X_val is None) != (y_val is None):
            raise _validate.InputError("give both X_val and y_val (the validation set), or neither")
        if X_val is not None:
            X_val = _validate.model_input("X_val", X_val, model, ndim=self.X.ndim)
            y_val = _validate.training_targets("X_val", X_val, "y_val", y_val)
            if self.X.ndim == 2 and y_val.shape[1] != self.y.shape[1]:
                raise _validate.InputError(
                    f"y_val must have the columns of y ({self.y.shape[1]}), got {y_val.shape[1]}"
                )
            if self.X.ndim == 3 and y_val.shape[1:] != self.y.shape[1:]:
                raise _validate.InputError(
                    f"y_val must have the steps and outputs of y (T, D_out) = {self.y.shape[1:]}, got {y_val.shape[1:]}"
                )
        _validate.regularizer(regularizer)
        self.callbacks = _validate.callbacks(callbacks)
        self.model, self.rng, self.X_val, self.y_val = model, rng, X_val, y_val
        self.clip, self.regularizer, self.record_grad_norms = clip, regularizer, record_grad_norms
        self.history, self.epoch, self.done = History(), 0, False

    def run(self) -> History:
        """Train to the end; the History."""
        return self.advance(self.epochs)

    def advance(self, epochs: int = 1) -> History:
        """Train up to `epochs` more epochs (fewer if the run ends first); the History so far."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for _ in range(epochs):
                if self.done:
                    break
                self._epoch()
                if self.epoch == self.epochs and not self.done:
                    self._finish()
        return self.history

    def _finish(self):
        self.done = True
        check_final_weights(self.history, self.model)

    def _loss(self, out, y):
        """(loss, dL/d(out)) over the steps t >= skip: the gradient is zero on the steps left out."""
        if not self.skip:
            return self.loss_fn(out, y)
        value, dpred = self.loss_fn(out[:, self.skip :], y[:, self.skip :])
        dout = np.zeros_like(out)
        dout[:, self.skip :] = dpred
        return value, dout

    def _epoch(self):
        model, hist, X, y, n = self.model, self.history, self.X, self.y, self.n
        self.epoch += 1
        if self.batch_size is None or self.batch_size >= n:
            batches = [(X, y)]
        else:
            order = self.rng.permutation(n)
            batches = [(X[idx], y[idx]) for idx in np.array_split(order, int(np.ceil(n / self.batch_size)))]
        epoch_total = 0.0
        for xb, yb in batches:
            step = hist.steps + 1
            value, dpred = self._loss(_forward(model, xb, True), yb)
            if self.regularizer is not None:
                value += self.regularizer.value(model)
            if not np.isfinite(value):
                hist.diverged_at, hist.diverged_value = step, value
                self.done = True
                return
            _backward(model, dpred)
            if self.regularizer is not None:
                self.regularizer.add_gradients(model)
            if self.record_grad_norms:
                norms = layer_grad_norms(model)
                if not all(map(math.isfinite, norms)):
                    hist.diverged_at, hist.diverged_value = step, value
                    self.done = True
                    return
                hist.grad_norms.append(norms)
            finish_step(hist, model, self.optimizer, self.clip, value, step)
            epoch_total += value * xb.shape[0]
        hist.epoch_loss.append(epoch_total / n)
        if self.X_val is not None:
            hist.val_loss.append(self._loss(_predict(model, self.X_val), self.y_val)[0])
        if any(cb.on_epoch_end(self.epoch, hist, model, self.optimizer) for cb in self.callbacks):
            hist.stopped_at_epoch = self.epoch
            self._finish()


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray, loss: Loss = "mse") -> float:
    """The loss of `model` on (X, y) in inference mode. X (N, D_in), y (N, D_out)."""
    _validate.model(model, ("predict",))
    X = _validate.model_input("X", X, model)
    y = _validate.data_array("y", y, ndim=2)
    _validate.same_rows("X", X, "y", y)
    loss_fn = get_loss(loss)
    with np.errstate(over="ignore", invalid="ignore"):
        return loss_fn(_predict(model, X), y)[0]
