"""The training loop: forward, loss, backward, (clip), update; records a history and stops cleanly when the
loss or a gradient stops being finite."""

import math
from dataclasses import dataclass, field

import numpy as np

from nncourse.core import _validate
from nncourse.core.losses import get_loss
from nncourse.core.model import Sequential
from nncourse.core.optim import SGD


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
            return f"stopped early after epoch {self.stopped_at_epoch} ({self.steps} steps, loss {self.final_loss:.3g})"
        return f"finished {self.steps} steps, final loss {self.final_loss:.3g}"

    def grad_norm_array(self):
        """grad_norms as an array (steps, layers)."""
        return np.array(self.grad_norms, dtype=np.float64)


def layer_grad_norms(model):
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
        raise _validate.InputError("give either optimizer or lr, not both")
    return _validate.optimizer(optimizer)


def check_training(model, clip, rng):
    """The checks fit and fit_sequences share: a model with something to train, a clip function, an rng."""
    _validate.trainable(_validate.model(model))
    _validate.function("clip", clip, "clipping.clipper('global_norm', 1.0)")
    if rng is not None:
        _validate.rng(rng)


def check_batch_size(batch_size, n, rng):
    """batch_size as an int in 1..n, or None (full batch); mini-batches need rng to shuffle."""
    if batch_size is None:
        return None
    batch_size = _validate.int_between(
        "batch_size",
        batch_size,
        1,
        n,
        allowed=f"a positive integer at most the number of rows ({n}), or None for the full batch",
    )
    if batch_size < n and rng is None:
        raise _validate.InputError("mini-batches are shuffled: pass rng=np.random.default_rng(seed), a numpy Generator")
    return batch_size


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


def fit(
    model,
    X,
    y,
    loss="mse",
    optimizer=None,
    lr=None,
    epochs=100,
    batch_size=None,
    rng=None,
    X_val=None,
    y_val=None,
    clip=None,
    regularizer=None,
    callbacks=(),
    record_grad_norms=True,
):
    """Train `model` on (X, y) and return a History.

    X (N, D_in), y (N, D_out), numbers (lists are fine). loss: a name in losses.LOSSES or a callable
    (pred, y) -> (value, dpred). optimizer: an Optimizer, or None for SGD(lr). batch_size: None for full batch,
    else mini-batches of at most N rows shuffled every epoch with `rng`. clip: callable(list of gradient arrays)
    that rescales them in place. regularizer: object with value(model) -> float and add_gradients(model).
    callbacks: objects (a list, or just one) with on_epoch_end(epoch, history, model, optimizer) -> True to stop.
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
        model,
        X,
        y,
        loss="mse",
        optimizer=None,
        lr=None,
        epochs=100,
        batch_size=None,
        rng=None,
        X_val=None,
        y_val=None,
        clip=None,
        regularizer=None,
        callbacks=(),
        record_grad_norms=True,
    ):
        check_training(model, clip, rng)
        self.X = _validate.model_input("X", X, model, ndim=2)
        self.y = _validate.data_array("y", y, ndim=2)
        _validate.same_rows("X", self.X, "y", self.y)
        self.epochs = _validate.positive_int("epochs", epochs)
        self.loss_fn = get_loss(loss)
        self.optimizer = resolve_optimizer(optimizer, lr, default_lr=0.01)
        self.n = self.X.shape[0]
        self.batch_size = check_batch_size(batch_size, self.n, rng)
        if (X_val is None) != (y_val is None):
            raise _validate.InputError("give both X_val and y_val (the validation set), or neither")
        if X_val is not None:
            X_val = _validate.model_input("X_val", X_val, model, ndim=2)
            y_val = _validate.data_array("y_val", y_val, ndim=2)
            _validate.same_rows("X_val", X_val, "y_val", y_val)
            if y_val.shape[1] != self.y.shape[1]:
                raise _validate.InputError(
                    f"y_val must have the columns of y ({self.y.shape[1]}), got {y_val.shape[1]}"
                )
        _validate.regularizer(regularizer)
        self.callbacks = _validate.callbacks(callbacks)
        self.model, self.rng, self.X_val, self.y_val = model, rng, X_val, y_val
        self.clip, self.regularizer, self.record_grad_norms = clip, regularizer, record_grad_norms
        self.history, self.epoch, self.done = History(), 0, False

    def run(self):
        """Train to the end; the History."""
        return self.advance(self.epochs)

    def advance(self, epochs=1):
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
            value, dpred = self.loss_fn(_forward(model, xb, True), yb)
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
            hist.val_loss.append(self.loss_fn(_predict(model, self.X_val), self.y_val)[0])
        if any(cb.on_epoch_end(self.epoch, hist, model, self.optimizer) for cb in self.callbacks):
            hist.stopped_at_epoch = self.epoch
            self._finish()


def evaluate(model, X, y, loss="mse"):
    """The loss of `model` on (X, y) in inference mode. X (N, D_in), y (N, D_out)."""
    _validate.model(model, ("predict",))
    X = _validate.model_input("X", X, model)
    y = _validate.data_array("y", y, ndim=2)
    _validate.same_rows("X", X, "y", y)
    loss_fn = get_loss(loss)
    with np.errstate(over="ignore", invalid="ignore"):
        return loss_fn(_predict(model, X), y)[0]
