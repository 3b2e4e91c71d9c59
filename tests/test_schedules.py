"""Each schedule's learning-rate sequence equals its definition; reduce-on-plateau follows a scripted loss."""

import numpy as np
import pytest

from nncourse import fit, mlp
from nncourse.core.optim import SGD
from nncourse.core.schedules import Constant, ExponentialDecay, ReduceLROnPlateau, StepDecay, get_schedule


def _per_epoch_lr(schedule, lr0=0.4, epochs=12, rng=None):
    """Train a tiny model full batch (one step per epoch) and return history.lr: the rate of each epoch."""
    rng = np.random.default_rng(0) if rng is None else rng
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    hist = fit(mlp([2, 1], rng=rng), X, y, optimizer=SGD(lr0), epochs=epochs, callbacks=[schedule])
    return hist.lr


def test_constant():
    assert _per_epoch_lr(Constant()) == [0.4] * 12


def test_step_decay_sequence():
    lrs = _per_epoch_lr(StepDecay(factor=0.5, step_size=4))
    expected = [0.4] * 4 + [0.2] * 4 + [0.1] * 4
    assert lrs == pytest.approx(expected, rel=1e-15)


def test_exponential_decay_sequence():
    lrs = _per_epoch_lr(ExponentialDecay(gamma=0.9))
    assert lrs == pytest.approx([0.4 * 0.9**k for k in range(12)], rel=1e-14)


def test_history_lr_is_per_step_with_mini_batches():
    """With 3 mini-batches per epoch, each epoch's rate repeats 3 times."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(9, 2)), rng.normal(size=(9, 1))
    hist = fit(
        mlp([2, 1], rng=rng),
        X,
        y,
        optimizer=SGD(1.0),
        epochs=3,
        batch_size=3,
        rng=rng,
        callbacks=[StepDecay(factor=0.1, step_size=1)],
    )
    assert hist.lr == pytest.approx([1.0] * 3 + [0.1] * 3 + [0.01] * 3, rel=1e-14)


def _script(plateau, losses, lr=1.0):
    out = []
    for epoch, loss in enumerate(losses, start=1):
        lr = plateau.observe(loss, lr, epoch)
        out.append(lr)
    return out


def test_plateau_patience():
    """patience 2: the third epoch in a row without improvement cuts the rate (PyTorch's rule)."""
    p = ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.0, threshold=0.0)
    lrs = _script(p, [5, 4, 4, 4, 4, 3, 3, 3, 3])
    #           bad count: 0  0  1  2  3->cut  0  1  2  3->cut
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert p.reductions == [5, 9]


def test_plateau_patience_zero_cuts_at_first_bad_epoch():
    p = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.0, threshold=0.0)
    assert _script(p, [1, 2, 0.5]) == pytest.approx([1, 0.1, 0.1])


def test_plateau_cooldown_ignores_bad_epochs():
    """cooldown 2: after a cut, two epochs are not counted, so the next cut comes 2 epochs later."""
    p = ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.0, cooldown=2, threshold=0.0)
    lrs = _script(p, [3, 3, 3, 3, 3, 3, 3, 3])
    # epoch 1 sets best; 2 bad(1); 3 bad(2) > 1 -> cut, cooldown 2; 4, 5 in cooldown (count 0);
    # 6 bad(1); 7 bad(2) -> cut; 8, ... in cooldown
    assert lrs == [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert p.reductions == [3, 7]


def test_plateau_min_lr_and_threshold():
    p = ReduceLROnPlateau(factor=0.5, patience=0, min_lr=0.3, threshold=0.0)
    assert _script(p, [1, 1, 1, 1]) == [1, 0.5, 0.3, 0.3]
    assert p.reductions == [2, 3]  # the cut to the floor counts, staying there does not
    # a relative threshold of 10%: 0.95 is not an improvement over 1.0, 0.85 is
    q = ReduceLROnPlateau(factor=0.5, patience=0, min_lr=0.0, threshold=0.1)
    assert _script(q, [1.0, 0.95, 0.85]) == [1, 0.5, 0.5]


def test_plateau_in_fit_reads_epoch_loss():
    """A rate far too large makes the loss stall at once; the schedule must cut it during training."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    y = X @ np.array([[1.0], [-2.0]])
    sched = ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-3)
    hist = fit(mlp([2, 1], rng=rng), X, y, optimizer=SGD(1.2), epochs=40, callbacks=[sched])
    assert sched.reductions, "the rate was never cut"
    assert min(hist.lr) < 1.2
    assert not hist.diverged


def test_plateau_val_loss_needs_validation_data(rng):
    X, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    with pytest.raises(ValueError, match="needs X_val and y_val"):
        fit(mlp([2, 1], rng=rng), X, y, epochs=2, callbacks=[ReduceLROnPlateau(monitor="val_loss")])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepDecay(factor=1.0), "factor must be a number with 0 < factor < 1"),
        (lambda: StepDecay(factor=0), "factor must be a number with 0 < factor < 1"),
        (lambda: StepDecay(step_size=0), "step_size must be a positive integer"),
        (lambda: ExponentialDecay(gamma=1.2), "gamma must be a number with 0 < gamma < 1"),
        (lambda: ReduceLROnPlateau(factor=2), "factor must be a number with 0 < factor < 1"),
        (lambda: ReduceLROnPlateau(patience=-1), "patience must be a non-negative integer"),
        (lambda: ReduceLROnPlateau(patience=1.5), "patience must be a non-negative integer"),
        (lambda: ReduceLROnPlateau(cooldown=-2), "cooldown must be a non-negative integer"),
        (lambda: ReduceLROnPlateau(min_lr=-1e-3), "min_lr must be a non-negative number"),
        (lambda: ReduceLROnPlateau(monitor="acc"), "unknown monitor 'acc'; choose one of: 'loss', 'val_loss'"),
        (lambda: get_schedule("cosine"), "unknown schedule 'cosine'; choose one of: 'constant', 'step'"),
    ],
)
def test_bad_knobs_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()
