"""Callbacks for `fit(..., callbacks=[...])`: each has on_epoch_end(epoch, history, model, optimizer) and returns
True to stop training."""

from collections.abc import Callable
from typing import Any

import numpy as np

from nncourse.core import _validate
from nncourse.core.losses import LOSS_VALUES, get_loss
from nncourse.core.metrics import accuracy_of, checked_labels
from nncourse.core.train import _predict


def snapshot_state(model: Any) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """Parameters and buffers (batch norm's running statistics) of every layer, copied."""
    return (
        [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers],
        [{k: v.copy() for k, v in getattr(layer, "buffers", {}).items()} for layer in model.layers],
    )


def restore_state(model: Any, snapshot: tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]) -> None:
    weights, buffers = snapshot
    model.set_weights(weights)
    for layer, buf in zip(model.layers, buffers):
        for k, v in buf.items():
            layer.buffers[k][...] = v


class EarlyStopping:
    """Stop when the validation loss has not improved by more than `min_delta` for `patience` epochs in a row,
    and (restore_best) put back the weights of the best epoch. Needs `fit(..., X_val=, y_val=)`.

    After training: best_epoch, best_loss, and stopped_epoch (None if training ran to the end; then the
    model keeps its last weights unless you call `restore_best_weights(model)`)."""

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True) -> None:
        self.patience = _validate.positive_int("patience", patience)
        self.min_delta = _validate.non_negative("min_delta", min_delta)
        self.restore_best = _validate.flag("restore_best", restore_best)
        self.best_loss, self.best_epoch, self.stopped_epoch = np.inf, None, None
        self._best, self._wait = None, 0

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        if not history.val_loss:
            raise _validate.InputError("EarlyStopping watches the validation loss: pass X_val and y_val to fit")
        loss = history.val_loss[-1]
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self._wait = loss, epoch, 0
            self._best = snapshot_state(model)
            return False
        self._wait += 1
        if self._wait < self.patience:
            return False
        self.stopped_epoch = epoch
        if self.restore_best:
            self.restore_best_weights(model)
        return True

    def restore_best_weights(self, model: Any) -> None:
        """Put back the weights (and batch norm statistics) of the best epoch seen."""
        if self._best is not None:
            restore_state(model, self._best)


class StopAtLoss:
    """Stop once an epoch's training loss is at or below `target`; `epoch` records when (None if it never was)."""

    def __init__(self, target: float) -> None:
        self.target = _validate.positive("target", target)
        self.epoch: int | None = None

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        if history.epoch_loss[-1] <= self.target:
            self.epoch = epoch
            return True
        return False


class Recorder:
    """Record `measure(model)` after every epoch, in `values` (one entry per epoch); `record(model)` adds one
    now (e.g. before training, for epoch 0). Never stops training."""

    def __init__(self, measure: Callable[[Any], Any]) -> None:
        self.measure = _validate.function("measure", measure, "lambda model: model.predict(x)", optional=False)
        self.values: list = []

    def record(self, model: Any) -> None:
        self.values.append(self.measure(model))

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        self.record(model)
        return False


class EvalCurves:
    """Records, after every epoch, the loss and the accuracy on each named (X, y) set in inference mode
    (dropout off, batch norm on running statistics, no penalty term): `loss[name]` and `accuracy[name]` are
    lists with one entry per epoch. Accuracy as in `metrics.label_accuracy`: for one logit per sample (class 1 if
    > 0) y holds 0/1 labels; for K logits, one-hot rows. Never stops.

    The sets are checked against the model once, at the first epoch, and then run through it together, as one
    stack of rows: one forward pass an epoch instead of one per set (each row's outputs are the same either
    way, up to the last binary digit, which BLAS may round differently in a product of another shape), and each
    set's loss is computed without its gradient where the loss has a value-only form (losses.LOSS_VALUES). For
    lesson 06's panels that takes a fifth off the playground's training time and 30% off the over-fitting
    panel's."""

    def __init__(self, loss: str | Callable = "bce_with_logits", **sets: tuple[np.ndarray, np.ndarray]) -> None:
        self.sets = _validate.named_sets("EvalCurves", sets)
        self.loss_fn = get_loss(loss)
        self.loss = {name: [] for name in sets}
        self.accuracy = {name: [] for name in sets}
        self._model, self._X, self._rows, self._labels = None, None, {}, {}
        self._value = LOSS_VALUES.get(self.loss_fn)  # the loss's value without its gradient, where it has one

    def _check(self, model: Any) -> None:
        """Each set's X fits the model and its y the model's outputs; the stack of all the sets' rows."""
        start = 0
        for name, (X, y) in self.sets.items():
            out = _predict(model, _validate.model_input(f"{name} X", X, model))
            _validate.predictions_and_targets(out, y)  # what the loss checks on every call
            self._labels[name] = checked_labels(f"{name} y", y, *_validate.logits(out).shape)
            self._rows[name] = slice(start, start + len(X))
            start += len(X)
        self._X = np.concatenate([X for X, _ in self.sets.values()])
        self._model = model

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        if model is not self._model:
            self._check(model)
        logits = _predict(model, self._X)
        for name, (_, y) in self.sets.items():
            out = logits[self._rows[name]]
            self.loss[name].append(self._value(out, y) if self._value else self.loss_fn(out, y)[0])
            self.accuracy[name].append(accuracy_of(out, self._labels[name]))
        return False


class PrintProgress:
    """Prints the epoch loss (and validation loss) every `every` epochs, rounded so reruns print the same."""

    def __init__(self, every: int = 10) -> None:
        self.every = _validate.positive_int("every", every)

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        if epoch % self.every == 0:
            line = f"epoch {epoch}: loss {history.epoch_loss[-1]:.4f}"
            if history.val_loss:
                line += f", validation loss {history.val_loss[-1]:.4f}"
            print(line)
        return False
