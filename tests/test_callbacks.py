"""Early stopping (patience, best weights restored, batch norm statistics too), the evaluation curves and the
progress printer."""

import numpy as np
import pytest

import nncourse as nc
from nncourse.blocks.normalization import BatchNorm, Dropout
from nncourse.core.callbacks import EarlyStopping, EvalCurves, PrintProgress, restore_state, snapshot_state
from nncourse.core.layers import Dense, ReLU
from nncourse.core.model import Sequential
from nncourse.core.train import History


def _feed(stopper, losses, model):
    """Drive a callback with a scripted validation-loss sequence; the model's weights record the epoch."""
    hist = History()
    for epoch, loss in enumerate(losses, start=1):
        model.layers[0].params["W"][...] = epoch
        hist.val_loss.append(loss)
        if stopper.on_epoch_end(epoch, hist, model, None):
            return epoch
    return None


def test_early_stopping_waits_patience_epochs_and_restores_the_best(rng):
    model = Sequential([Dense(2, 1, rng=rng)])
    stopper = EarlyStopping(patience=3)
    stopped = _feed(stopper, [1.0, 0.8, 0.9, 0.7, 0.75, 0.71, 0.72, 0.5], model)
    assert stopped == 7 and stopper.stopped_epoch == 7
    assert stopper.best_epoch == 4 and stopper.best_loss == 0.7
    assert np.all(model.layers[0].params["W"] == 4), "weights of epoch 4 restored"


def test_early_stopping_min_delta_and_no_restore(rng):
    model = Sequential([Dense(2, 1, rng=rng)])
    stopper = EarlyStopping(patience=2, min_delta=0.05, restore_best=False)
    stopped = _feed(stopper, [1.0, 0.97, 0.96, 0.5], model)  # 0.97 and 0.96 are not better by 0.05
    assert stopped == 3 and stopper.best_epoch == 1
    assert np.all(model.layers[0].params["W"] == 3), "restore_best=False keeps the last weights"


def test_early_stopping_never_triggered_keeps_last_weights_until_asked(rng):
    model = Sequential([Dense(2, 1, rng=rng)])
    stopper = EarlyStopping(patience=5)
    assert _feed(stopper, [1.0, 0.9, 0.95], model) is None and stopper.stopped_epoch is None
    assert np.all(model.layers[0].params["W"] == 3)
    stopper.restore_best_weights(model)
    assert np.all(model.layers[0].params["W"] == 2)


def test_early_stopping_in_fit_stops_and_reports(rng):
    X = rng.normal(size=(40, 2))
    y = (X[:, :1] + 0.8 * rng.normal(size=(40, 1)) > 0).astype(float)
    model = nc.mlp([2, 32, 32, 1], "relu", rng=np.random.default_rng(0))
    stopper = EarlyStopping(patience=10)
    hist = nc.fit(
        model,
        X[:30],
        y[:30],
        loss="bce_with_logits",
        lr=0.5,
        epochs=500,
        X_val=X[30:],
        y_val=y[30:],
        callbacks=[stopper],
    )
    assert hist.stopped_at_epoch == stopper.stopped_epoch == stopper.best_epoch + 10
    assert len(hist.val_loss) == hist.stopped_at_epoch < 500
    assert nc.evaluate(model, X[30:], y[30:], "bce_with_logits") == pytest.approx(stopper.best_loss, rel=1e-12)


def test_early_stopping_needs_a_validation_set(rng):
    model = nc.mlp([2, 3, 1], rng=rng)
    with pytest.raises(ValueError, match="X_val"):
        nc.fit(model, rng.normal(size=(5, 2)), rng.normal(size=(5, 1)), epochs=3, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)


def test_snapshot_and_restore_include_batchnorm_statistics(rng):
    model = Sequential([Dense(2, 3, rng=rng), BatchNorm(3), ReLU(), Dense(3, 1, rng=rng)])
    model.forward(rng.normal(size=(10, 2)), train=True)
    snap = snapshot_state(model)
    before = model.predict(np.ones((1, 2))).copy()
    model.forward(rng.normal(5.0, 2.0, size=(10, 2)), train=True)  # moves the running statistics
    model.layers[0].params["W"] += 1.0
    assert not np.allclose(model.predict(np.ones((1, 2))), before)
    restore_state(model, snap)
    assert np.array_equal(model.predict(np.ones((1, 2))), before)


def test_eval_curves_record_inference_mode_loss_and_accuracy(rng):
    X = rng.normal(size=(30, 2))
    y = (X[:, :1] > 0).astype(float)
    model = nc.mlp([2, 4, 1], "tanh", rng=np.random.default_rng(1))
    curves = EvalCurves(train=(X, y))
    nc.fit(model, X, y, loss="bce_with_logits", lr=0.5, epochs=7, callbacks=[curves])
    assert len(curves.loss["train"]) == len(curves.accuracy["train"]) == 7
    assert curves.loss["train"][-1] == pytest.approx(nc.evaluate(model, X, y, "bce_with_logits"), rel=1e-14)
    assert curves.accuracy["train"][-1] == nc.accuracy(model, X, y)
    with pytest.raises(ValueError, match="at least one"):
        EvalCurves()


def test_eval_curves_stack_the_sets_and_record_what_each_alone_would_give(rng):
    """Two sets (and a network of every kind of layer the lessons evaluate) run through the model as one stack:
    each set's loss is what the loss gives on that set alone, to the last digit or two (BLAS may round a product
    of another shape differently), and its accuracy exactly."""
    X, Xt = rng.normal(size=(30, 2)), rng.normal(size=(11, 2))
    y, yt = (X[:, :1] > 0).astype(float), (Xt[:, :1] > 0).astype(float)
    r = np.random.default_rng(2)
    model = Sequential([Dense(2, 8, rng=r), BatchNorm(8), ReLU(), Dropout(0.3, rng=r), Dense(8, 1, rng=r)])
    curves = EvalCurves(train=(X, y), test=(Xt, yt))
    seen = []

    class Alone:
        def on_epoch_end(self, epoch, history, model, optimizer):
            seen.append(
                {
                    n: (nc.evaluate(model, A, b, "bce_with_logits"), nc.accuracy(model, A, b))
                    for n, (A, b) in curves.sets.items()
                }
            )

    nc.fit(model, X, y, loss="bce_with_logits", lr=0.3, epochs=5, callbacks=[curves, Alone()])
    for name in ("train", "test"):
        assert curves.loss[name] == pytest.approx([s[name][0] for s in seen], rel=1e-15, abs=0)
        assert curves.accuracy[name] == [s[name][1] for s in seen]


def test_eval_curves_check_their_sets_against_the_model_at_the_first_epoch(rng):
    X, y = rng.normal(size=(6, 2)), np.zeros((6, 1))
    model = nc.mlp([2, 3, 1], rng=rng)
    with pytest.raises(ValueError, match="^test X does not fit the model"):
        nc.fit(model, X, y, loss="bce_with_logits", epochs=2, callbacks=[EvalCurves(test=(np.zeros((4, 3)), y[:4]))])
    with pytest.raises(ValueError, match="test y must hold 0/1 labels"):
        nc.fit(model, X, y, loss="bce_with_logits", epochs=2, callbacks=[EvalCurves(test=(X, y + 2))])


def test_print_progress(rng, capsys):
    X, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    nc.fit(nc.mlp([2, 3, 1], rng=rng), X, y, epochs=4, X_val=X, y_val=y, callbacks=[PrintProgress(every=2)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 2", "epoch 4"]
    assert "validation loss" in lines[0]
