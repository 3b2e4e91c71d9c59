"""The training loop: determinism, clean divergence, mini-batches, hooks, and every bad-input error."""

import numpy as np
import pytest

import nncourse as nc
from nncourse.core.layers import Dense
from nncourse.datasets import synthetic as data


def _run(seed, **kw):
    rng = np.random.default_rng(seed)
    X, y = data.make_classification("moons", 120, rng)
    model = nc.mlp([2, 8, 8, 1], "tanh", rng=rng)
    hist = nc.fit(model, X, y, loss="bce_with_logits", lr=0.5, epochs=20, batch_size=32, rng=rng, **kw)
    return model, hist


def test_same_seed_is_bit_identical():
    (m1, h1), (m2, h2) = _run(5), _run(5)
    assert h1.loss == h2.loss
    for w1, w2 in zip(m1.get_weights(), m2.get_weights()):
        for k in w1:
            np.testing.assert_array_equal(w1[k], w2[k])


def test_different_seed_differs():
    assert _run(5)[1].loss != _run(6)[1].loss


def test_training_reduces_loss_and_records_history():
    model, hist = _run(1)
    assert hist.steps == 20 * 4 == len(hist.loss) == len(hist.grad_norms) == len(hist.lr)
    assert hist.grad_norm_array().shape == (80, 3)
    assert len(hist.epoch_loss) == 20
    assert hist.loss[-1] < 0.6 * hist.loss[0]
    assert not hist.diverged and hist.status.startswith("finished 80 steps")


def test_divergence_stops_cleanly_and_reports_the_step():
    rng = np.random.default_rng(0)
    X, y = data.make_quadratic_regression(100, rng, x2_range=(-100, 100))
    model = nc.mlp([2, 8, 1], "relu", rng=rng)
    hist = nc.fit(model, X, y, lr=0.5, epochs=500)  # RuntimeWarnings are errors in this suite
    assert hist.diverged
    assert hist.diverged_at == len(hist.loss) + 1  # the step whose loss was no longer finite
    assert all(np.isfinite(hist.loss))
    assert hist.status.startswith(f"diverged at step {hist.diverged_at}")


def test_worked_sgd_step_by_hand():
    """One SGD step on y = w x with MSE: w <- w - lr * 2 mean((w x - y) x)."""
    layer = Dense.from_arrays([[2.0]], [0.0])
    X, y = np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]])
    nc.fit(nc.Sequential([layer]), X, y, lr=0.1, epochs=1)
    g = 2 * np.mean((2 * X - y) * X)
    assert layer.params["W"][0, 0] == pytest.approx(2.0 - 0.1 * g, abs=1e-15)


def test_frozen_layers_do_not_change():
    rng = np.random.default_rng(0)
    X, y = data.make_quadratic_regression(50, rng)
    model = nc.mlp([2, 4, 1], "tanh", rng=rng)
    model.layers[0].trainable = False
    before = model.get_weights()
    nc.fit(model, X / 10, y / 30, lr=0.1, epochs=5)
    np.testing.assert_array_equal(model.layers[0].params["W"], before[0]["W"])
    assert not np.array_equal(model.layers[2].params["W"], before[2]["W"])


def test_callbacks_and_validation_loss():
    class StopAt3:
        def on_epoch_end(self, epoch, history, model, optimizer):
            return epoch == 3

    rng = np.random.default_rng(0)
    X, y = data.make_classification("xor", 80, rng)
    model = nc.mlp([2, 4, 1], "tanh", rng=rng)
    hist = nc.fit(model, X, y, loss="bce_with_logits", epochs=10, X_val=X[:20], y_val=y[:20], callbacks=[StopAt3()])
    assert hist.stopped_at_epoch == 3 and len(hist.val_loss) == 3 and "stopped early" in hist.status


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"lr": 0.0}, "learning rate must be a positive number"),
        ({"lr": -1}, "learning rate must be a positive number"),
        ({"lr": float("nan")}, "learning rate must be a positive number"),
        ({"loss": "hinge"}, "unknown loss 'hinge'; choose one of: 'mse', 'half_sse'.*'softmax_cross_entropy'"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"batch_size": 10}, "pass rng="),
        ({"optimizer": "adam"}, "optimizer must be an Optimizer"),
    ],
)
def test_bad_training_arguments(kwargs, match):
    rng = np.random.default_rng(0)
    X, y = data.make_quadratic_regression(20, rng)
    with pytest.raises(ValueError, match=match):
        nc.fit(nc.mlp([2, 3, 1], rng=rng), X, y, **kwargs)


def test_bad_data():
    rng = np.random.default_rng(0)
    model = nc.mlp([2, 3, 1], rng=rng)
    X, y = data.make_quadratic_regression(20, rng)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        nc.fit(model, X_nan, y)
    with pytest.raises(ValueError, match="same number of rows"):
        nc.fit(model, X, y[:10])
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 2\), got \(20, 3\)"):
        nc.fit(model, np.hstack([X, X[:, :1]]), y)
    with pytest.raises(ValueError, match="y must be a 2-D array"):
        nc.fit(model, X, y.ravel())
    with pytest.raises(ValueError, match=r"predictions \(20, 1\) and targets \(20, 2\)"):
        nc.fit(model, X, np.hstack([y, y]))


def test_bad_model_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown activation 'gelu'; choose one of: 'identity', 'sigmoid'"):
        nc.mlp([2, 3, 1], "gelu", rng=rng)
    with pytest.raises(ValueError, match="layer size must be a positive integer, got 0"):
        nc.mlp([2, 0, 1], rng=rng)
    with pytest.raises(ValueError, match="needs rng"):
        nc.mlp([2, 3, 1])
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        nc.mlp([2, 3, 1], rng=42)
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        Dense(2, -1, rng=rng)
    with pytest.raises(ValueError, match=r"Dense\(2, 3\) with a random initializer needs rng="):
        Dense(2, 3)
    assert np.all(Dense(2, 3, init="constant").params["W"] == 1.0)  # nothing random: no Generator needed


def test_training_an_epoch_at_a_time_gives_fit_s_numbers():
    from nncourse import fit, mlp

    """Training (what a playing panel advances) is fit's loop: any split into advances, the same run."""
    from nncourse.core.callbacks import EarlyStopping
    from nncourse.core.train import Training

    def setup():
        rng = np.random.default_rng(4)
        X = rng.normal(size=(64, 2))
        y = (X[:, :1] * X[:, 1:] > 0).astype(float)
        return mlp([2, 8, 1], activation="tanh", rng=np.random.default_rng(5)), X, y

    model, X, y = setup()
    whole = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        lr=0.5,
        epochs=30,
        batch_size=16,
        rng=np.random.default_rng(6),
        X_val=X[:16],
        y_val=y[:16],
        callbacks=[EarlyStopping(patience=50)],
    )
    model2, X, y = setup()
    t = Training(
        model2,
        X,
        y,
        loss="bce_with_logits",
        lr=0.5,
        epochs=30,
        batch_size=16,
        rng=np.random.default_rng(6),
        X_val=X[:16],
        y_val=y[:16],
        callbacks=[EarlyStopping(patience=50)],
    )
    for k in (1, 4, 7, 100):
        t.advance(k)
    assert t.done and t.epoch == 30
    assert t.history.loss == whole.loss and t.history.val_loss == whole.val_loss
    assert np.array_equal(model.predict(X), model2.predict(X))
    assert t.advance(5) is t.history and t.epoch == 30  # a finished run stays finished


def test_a_diverging_training_is_done_at_the_step_it_diverges():
    from nncourse import mlp
    from nncourse.core.train import Training

    X = np.linspace(-1, 1, 20)[:, None] * 100
    t = Training(mlp([1, 4, 1], rng=np.random.default_rng(0)), X, X**2, lr=10.0, epochs=50)
    t.advance(2)
    while not t.done:
        t.advance(1)
    assert t.history.diverged and t.epoch < 50
