"""Learning-rate schedules as `fit` callbacks: `on_epoch_end(epoch, history, model, optimizer)` sets
`optimizer.lr` for the next epoch and returns False (a schedule never stops training). `history.lr` then
records the rate used at every step.

The first call remembers the optimizer's rate as lr0. Epochs count from 1; `lr_for_epoch(lr0, e)` is the
rate used during epoch e, so epoch 1 always runs at lr0. Schedules keep state (lr0, the plateau's best loss):
use a fresh one for each training run (`get_schedule` makes one).
"""

from typing import Any

from nncourse.core import _validate


class Schedule:
    """Base: a rate that depends only on lr0 and the epoch."""

    def __init__(self) -> None:
        self.lr0: float | None = None

    def lr_for_epoch(self, lr0: float, epoch: int) -> float:
        raise NotImplementedError

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        if self.lr0 is None:
            self.lr0 = optimizer.lr
        optimizer.lr = self.lr_for_epoch(self.lr0, epoch + 1)
        return False


class Constant(Schedule):
    """lr_e = lr0: no schedule."""

    def lr_for_epoch(self, lr0: float, epoch: int) -> float:
        return lr0


class StepDecay(Schedule):
    """lr_e = lr0 * factor ** floor((e - 1) / step_size): multiply by `factor` every `step_size` epochs."""

    def __init__(self, factor: float = 0.5, step_size: int = 10) -> None:
        super().__init__()
        self.factor = _validate.open_fraction("factor", factor)
        self.step_size = _validate.positive_int("step_size", step_size)

    def lr_for_epoch(self, lr0: float, epoch: int) -> float:
        return lr0 * self.factor ** ((epoch - 1) // self.step_size)


class ExponentialDecay(Schedule):
    """lr_e = lr0 * gamma ** (e - 1): a smooth version of step decay."""

    def __init__(self, gamma: float = 0.97) -> None:
        super().__init__()
        self.gamma = _validate.open_fraction("gamma", gamma)

    def lr_for_epoch(self, lr0: float, epoch: int) -> float:
        return lr0 * self.gamma ** (epoch - 1)


class ReduceLROnPlateau:
    """Multiply the rate by `factor` when the monitored loss has not improved for more than `patience` epochs
    (the rule of PyTorch's ReduceLROnPlateau, mode 'min', relative threshold):

    - an epoch improves if loss < best * (1 - threshold); it then becomes `best` and the bad count resets;
      otherwise the bad count grows by one;
    - for `cooldown` epochs after a reduction, bad epochs are not counted;
    - when the bad count exceeds `patience`: lr <- max(lr * factor, min_lr), start the cooldown, reset the
      count. Reductions smaller than 1e-12 (already at min_lr) are skipped.

    monitor: 'loss' (the epoch's training loss) or 'val_loss'. `reductions` lists the epochs after which the
    rate was cut.
    """

    def __init__(
        self,
        factor: float = 0.5,
        patience: int = 5,
        min_lr: float = 1e-5,
        cooldown: int = 0,
        threshold: float = 1e-4,
        monitor: str = "loss",
    ) -> None:
        self.factor = _validate.open_fraction("factor", factor)
        self.patience = _validate.non_negative_int("patience", patience)
        self.min_lr = _validate.non_negative("min_lr", min_lr)
        self.cooldown = _validate.non_negative_int("cooldown", cooldown)
        self.threshold = _validate.non_negative("threshold", threshold)
        self.monitor = _validate.choice("monitor", monitor, ("loss", "val_loss"))
        self.best = float("inf")
        self.bad_epochs = 0
        self.cooldown_left = 0
        self.reductions = []

    def observe(self, value: float, lr: float, epoch: int | None = None) -> float:
        """Feed one epoch's loss; return the rate for the next epoch. Pure bookkeeping, used by on_epoch_end
        and directly by tests with a scripted loss sequence."""
        if value < self.best * (1 - self.threshold):
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            new = max(lr * self.factor, self.min_lr)
            if lr - new > 1e-12:
                lr = new
                self.reductions.append(epoch)
            self.cooldown_left, self.bad_epochs = self.cooldown, 0
        return lr

    def on_epoch_end(self, epoch: int, history: Any, model: Any, optimizer: Any) -> bool:
        series = history.epoch_loss if self.monitor == "loss" else history.val_loss
        if not series:
            raise _validate.InputError("ReduceLROnPlateau(monitor='val_loss') needs X_val and y_val in fit")
        optimizer.lr = self.observe(series[-1], optimizer.lr, epoch)
        return False


SCHEDULES: dict[str, type] = {
    "constant": Constant,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "plateau": ReduceLROnPlateau,
}


def get_schedule(name: str, **kwargs: Any) -> Schedule | ReduceLROnPlateau:
    """A fresh schedule by name (one of SCHEDULES) with its knobs; pass it in fit(callbacks=[...])."""
    _validate.choice("schedule", name, SCHEDULES)
    _validate.keywords(f"schedule {name!r}", kwargs, SCHEDULES[name])
    return SCHEDULES[name](**kwargs)
