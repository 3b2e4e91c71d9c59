"""The recurrent layer: backpropagation through time against central differences and against the same recurrence
written in autograd; the time-distributed wrapper; the toy task; training on sequences with train.fit."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse.blocks.clipping import clipper
from nncourse.blocks.rnn import RNN, TimeDistributed, make_delayed_echo, recurrent_weights
from nncourse.core._validate import InputError
from nncourse.core.callbacks import EarlyStopping
from nncourse.core.gradcheck import check_layer, relative_error
from nncourse.core.layers import Dense, Layer
from nncourse.core.losses import get_loss
from nncourse.core.metrics import sequence_accuracy
from nncourse.core.model import Sequential
from nncourse.core.optim import SGD
from nncourse.core.train import Training, fit

ACTIVATIONS = ["tanh", "relu", "identity"]
INITS = ["normal", "orthogonal", "identity"]


def _autograd_rnn(Wx, Wh, b, x, activation, state_noise=None):
    """The same recurrence in autograd.numpy: h_t = f(x_t Wx + h_{t-1} Wh + b), h_{-1} = 0; returns (N, T, H).
    state_noise (N, T, H), added to each h_t, lets autograd give dL/dh_t (the gradient reaching a state)."""
    f = {"tanh": anp.tanh, "relu": lambda z: anp.maximum(z, 0.0), "identity": lambda z: z}[activation]
    n, steps, _ = x.shape
    h = anp.zeros((n, Wh.shape[0]))
    out = []
    for t in range(steps):
        h = f(anp.dot(x[:, t], Wx) + anp.dot(h, Wh) + b)
        if state_noise is not None:
            h = h + state_noise[:, t]
        out.append(h)
    return anp.stack(out, axis=1)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_rnn_gradients_match_central_differences(activation, rng):
    layer = RNN(3, 5, rng, activation, "normal", scale=1.2)
    x = rng.normal(size=(4, 6, 3))
    errors = check_layer(layer, x, rng)
    assert set(errors) == {"x", "Wx", "Wh", "b"}
    for name, err in errors.items():
        assert err < 1e-7, (activation, name, err)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_rnn_matches_autograd(activation, rng):
    layer = RNN(3, 5, rng, activation, "orthogonal")
    layer.params["b"][...] = rng.normal(scale=0.3, size=5)
    x = rng.normal(size=(4, 7, 3))
    dout = rng.normal(size=(4, 7, 5))
    h = layer.forward(x)
    dx = layer.backward(dout)
    p = layer.params
    assert np.allclose(h, _autograd_rnn(p["Wx"], p["Wh"], p["b"], x, activation), atol=1e-12)

    def loss(Wx, Wh, b, x, noise):
        return anp.sum(_autograd_rnn(Wx, Wh, b, x, activation, noise) * dout)

    noise = np.zeros_like(dout)
    args = (p["Wx"], p["Wh"], p["b"], x, noise)
    expected = {name: grad(loss, i)(*args) for i, name in enumerate(["Wx", "Wh", "b", "x", "state"])}
    for name in ["Wx", "Wh", "b"]:
        assert relative_error(layer.grads[name], expected[name]) < 1e-12, name
    assert relative_error(dx, expected["x"]) < 1e-12
    # dL/dh_t, the whole gradient reaching each state (directly and through later steps)
    assert relative_error(layer.state_grads, expected["state"]) < 1e-12


def test_rnn_backward_is_a_loop_over_time_not_a_shortcut(rng):
    """With a gradient on the last state only, the gradient reaching h_{T-1-k} is the last one multiplied k
    times by diag(f'(z)) Wh^T: check k = 1 by hand."""
    layer = RNN(2, 4, rng, "tanh", "normal")
    x = rng.normal(size=(3, 5, 2))
    h = layer.forward(x)
    dout = np.zeros_like(h)
    dout[:, -1] = rng.normal(size=(3, 4))
    layer.backward(dout)
    expected = (dout[:, -1] * (1 - h[:, -1] ** 2)) @ layer.params["Wh"].T
    assert np.allclose(layer.state_grads[:, -2], expected, atol=1e-14)
    assert np.array_equal(layer.state_grads[:, -1], dout[:, -1])


def test_rnn_is_a_layer_and_optimizers_update_it(rng):
    layer = RNN(1, 3, rng)
    assert isinstance(layer, Layer) and set(layer.params) == set(layer.grads) == {"Wx", "Wh", "b"}
    model = Sequential([layer, TimeDistributed(Dense(3, 1, rng))])
    assert [name for _, name in model.parameters()] == ["Wx", "Wh", "b", "W", "b"]
    x = rng.normal(size=(2, 4, 1))
    model.backward(np.ones_like(model.forward(x)))
    before = layer.params["Wh"].copy()
    SGD(0.5).step(model)
    assert np.allclose(layer.params["Wh"], before - 0.5 * layer.grads["Wh"])


def test_rnn_rejects_bad_input(rng):
    layer = RNN(2, 3, rng)
    with pytest.raises(ValueError, match=r"\(N, T, 2\)"):
        layer.forward(rng.normal(size=(4, 2)))
    with pytest.raises(ValueError, match=r"\(N, T, 2\)"):
        layer.forward(rng.normal(size=(4, 5, 3)))
    layer.forward(rng.normal(size=(4, 5, 2)))
    with pytest.raises(ValueError, match="shape of the output"):
        layer.backward(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="'tanh', 'relu', 'identity'"):
        RNN(2, 3, rng, "sigmoidal")
    with pytest.raises(ValueError, match="'normal', 'orthogonal', 'identity'"):
        RNN(2, 3, rng, "tanh", "uniform")
    with pytest.raises(ValueError, match="positive"):
        RNN(2, 3, rng, "tanh", "orthogonal", scale=0.0)
    with pytest.raises(ValueError, match="positive integer"):
        RNN(2, 0, rng)
    with pytest.raises(ValueError, match="Generator"):
        RNN(2, 3, 0)


@pytest.mark.parametrize("init", INITS)
def test_recurrent_weights_have_the_promised_gain(init):
    rng = np.random.default_rng(5)
    W = recurrent_weights(init, 400, rng, scale=0.8)
    if init == "orthogonal":
        assert np.allclose(W.T @ W, 0.64 * np.eye(400), atol=1e-12)  # every singular value is the scale
    elif init == "identity":
        assert np.array_equal(W, 0.8 * np.eye(400))
    else:
        # entries N(0, scale^2 / H): 160,000 draws give the variance to about 0.4%
        assert abs(W.var() / (0.64 / 400) - 1) < 0.02
        assert abs(W.mean()) < 3 * 0.8 / 400
    assert recurrent_weights(init, 400, np.random.default_rng(5), scale=0.8).tobytes() == W.tobytes()


def test_time_distributed_dense_gradients_and_shared_arrays(rng):
    dense = Dense(4, 2, rng)
    layer = TimeDistributed(dense)
    assert layer.params is dense.params and layer.grads is dense.grads
    x = rng.normal(size=(3, 5, 4))
    out = layer.forward(x)
    assert np.allclose(out[:, 2], x[:, 2] @ dense.params["W"] + dense.params["b"])
    for name, err in check_layer(layer, x, rng).items():
        assert err < 1e-7, name
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        layer.forward(rng.normal(size=(3, 4)))
    with pytest.raises(ValueError, match="Layer"):
        TimeDistributed("dense")


def test_whole_sequence_model_matches_central_differences(rng):
    from nncourse.core.gradcheck import check_model
    from nncourse.core.losses import bce_with_logits

    model = Sequential([RNN(1, 4, rng, "tanh", "normal"), TimeDistributed(Dense(4, 1, rng))])
    X, y = make_delayed_echo(5, 6, 2, rng)
    for name, err in check_model(model, bce_with_logits, X, y).items():
        assert err < 1e-7, name


def test_delayed_echo_targets_are_the_inputs_lag_steps_earlier(rng):
    X, y = make_delayed_echo(50, 12, 3, rng)
    assert X.shape == y.shape == (50, 12, 1)
    assert set(np.unique(X)) == {-1.0, 1.0}
    assert np.array_equal(y[:, 3:], (X[:, :-3] > 0).astype(float))
    assert np.all(y[:, :3] == 0)
    X0, y0 = make_delayed_echo(50, 12, 0, rng)
    assert np.array_equal(y0, (X0 > 0).astype(float))
    for bad in [12, -1, 2.5, True]:
        with pytest.raises(ValueError, match="lag"):
            make_delayed_echo(5, 12, bad, rng)


def _echo_model(rng, activation="tanh"):
    return Sequential([RNN(1, 8, rng, activation), TimeDistributed(Dense(8, 1, rng))])


def test_fit_on_sequences_learns_a_short_echo():
    rng = np.random.default_rng(0)
    X, y = make_delayed_echo(64, 10, 2, rng)
    model = _echo_model(rng)
    assert sequence_accuracy(model, X, y, skip=2) < 0.8
    hist = fit(model, X, y, loss="bce_with_logits", lr=1.0, epochs=150, skip=2)
    assert not hist.diverged and hist.steps == 150 and len(hist.grad_norms[0]) == 2
    assert hist.loss[-1] < 0.1 * hist.loss[0]
    assert sequence_accuracy(model, X, y, skip=2) == 1.0


def test_fit_on_sequences_ignores_the_steps_before_skip():
    """Targets before `skip` do not exist: changing them must not change training."""
    rng = np.random.default_rng(1)
    X, y = make_delayed_echo(16, 8, 3, rng)
    y_other = y.copy()
    y_other[:, :3] = 1.0
    runs = []
    for target in (y, y_other):
        model = _echo_model(np.random.default_rng(2))
        runs.append(fit(model, X, target, loss="bce_with_logits", lr=0.5, epochs=5, skip=3).loss)
    assert runs[0] == runs[1]


def test_fit_on_sequences_mini_batches_are_deterministic():
    X, y = make_delayed_echo(40, 6, 1, np.random.default_rng(3))
    losses = [
        fit(
            _echo_model(np.random.default_rng(4)),
            X,
            y,
            loss="bce_with_logits",
            lr=0.5,
            epochs=3,
            batch_size=16,
            rng=np.random.default_rng(5),
            skip=1,
        ).loss
        for _ in range(2)
    ]
    assert losses[0] == losses[1] and len(losses[0]) == 9
    with pytest.raises(ValueError, match="Generator"):
        fit(_echo_model(np.random.default_rng(4)), X, y, batch_size=16)


def test_fit_on_sequences_clips_the_update(rng):
    X, y = make_delayed_echo(16, 8, 2, rng)
    model = _echo_model(np.random.default_rng(6), "relu")
    before = [model.layers[0].params[k].copy() for k in ("Wx", "Wh", "b")]
    hist = fit(model, X, y, loss="bce_with_logits", lr=1.0, epochs=1, skip=2, clip=clipper("global_norm", 1e-3))
    moved = np.sqrt(sum(np.sum((model.layers[0].params[k] - b) ** 2) for k, b in zip(("Wx", "Wh", "b"), before)))
    assert np.sqrt(np.sum(np.square(hist.grad_norms[0]))) > 1e-3  # the norm before clipping is recorded
    assert moved <= 1e-3 * (1 + 1e-9)


def test_fit_on_sequences_stops_cleanly_when_the_state_overflows(rng):
    """ReLU with W_h = 50 I multiplies the state by 50 per step: 300 steps overflow float64. The run must stop at
    step 1 and report it, with no warning (pytest turns RuntimeWarnings into errors)."""
    model = Sequential([RNN(1, 4, rng, "relu", "identity", scale=50.0), TimeDistributed(Dense(4, 1, rng))])
    model.layers[0].params["b"][...] = 1.0
    X, y = make_delayed_echo(4, 300, 1, rng)
    hist = fit(model, X, y, loss="bce_with_logits", lr=0.1, epochs=10, skip=1)
    assert hist.diverged_at == 1 and hist.steps == 0
    assert "diverged at step 1" in hist.status


def test_fit_on_sequences_rejects_bad_arguments(rng):
    X, y = make_delayed_echo(4, 6, 1, rng)
    model = _echo_model(rng)
    with pytest.raises(ValueError, match=r"^X does not fit the model.*\(N, T, 1\), got \(4, 6\)"):
        fit(model, X[:, :, 0], y)
    with pytest.raises(ValueError, match="agree"):
        fit(model, X, y[:, :5])
    with pytest.raises(ValueError, match="skip"):
        fit(model, X, y, skip=6)
    with pytest.raises(ValueError, match="NaN"):
        fit(model, np.full_like(X, np.nan), y)
    with pytest.raises(ValueError, match="either"):
        fit(model, X, y, optimizer=SGD(0.1), lr=0.1)
    with pytest.raises(ValueError, match="unknown loss"):
        fit(model, X, y, loss="hinge")


def test_fit_on_sequences_is_the_loop_written_out():
    """fit on sequences: shuffled mini-batches (one permutation per epoch from rng), the loss over t >= skip and
    a zero gradient before it, then SGD; the same numbers as the loop written out here."""
    X, y = make_delayed_echo(40, 6, 2, np.random.default_rng(3))
    model, ref = _echo_model(np.random.default_rng(4)), _echo_model(np.random.default_rng(4))
    hist = fit(
        model, X, y, loss="bce_with_logits", lr=0.5, epochs=3, batch_size=16, rng=np.random.default_rng(5), skip=2
    )
    loss_fn, rng, losses = get_loss("bce_with_logits"), np.random.default_rng(5), []
    for _ in range(3):
        for idx in np.array_split(rng.permutation(40), 3):
            out = ref.forward(X[idx])
            value, dpred = loss_fn(out[:, 2:], y[idx, 2:])
            dout = np.zeros_like(out)
            dout[:, 2:] = dpred
            ref.backward(dout)
            for layer, k in ref.parameters():
                layer.params[k] -= 0.5 * layer.grads[k]
            losses.append(value)
    assert hist.loss == losses and hist.steps == 9
    for a, b in zip(model.get_weights(), ref.get_weights()):
        assert all(np.array_equal(a[k], b[k]) for k in a)


def test_fit_on_sequences_records_the_validation_loss_over_the_scored_steps():
    X, y = make_delayed_echo(32, 8, 3, np.random.default_rng(7))
    X_val, y_val = make_delayed_echo(16, 8, 3, np.random.default_rng(8))
    model = _echo_model(np.random.default_rng(9))
    hist = fit(model, X, y, loss="bce_with_logits", lr=0.5, epochs=4, X_val=X_val, y_val=y_val, skip=3)
    assert len(hist.val_loss) == 4
    loss_fn = get_loss("bce_with_logits")
    assert hist.val_loss[-1] == loss_fn(model.predict(X_val)[:, 3:], y_val[:, 3:])[0]
    y_other = y_val.copy()
    y_other[:, :3] = 1.0  # the steps before skip carry no target: the validation loss does not see them
    again = fit(
        _echo_model(np.random.default_rng(9)),
        X,
        y,
        loss="bce_with_logits",
        lr=0.5,
        epochs=4,
        X_val=X_val,
        y_val=y_other,
        skip=3,
    )
    assert again.val_loss == hist.val_loss


def test_fit_on_sequences_runs_callbacks():
    """Callbacks see sequence runs as any other: early stopping on a validation loss that cannot improve by 1."""
    X, y = make_delayed_echo(16, 6, 1, np.random.default_rng(10))
    hist = fit(
        _echo_model(np.random.default_rng(11)),
        X,
        y,
        loss="bce_with_logits",
        lr=0.1,
        epochs=50,
        X_val=X,
        y_val=y,
        skip=1,
        callbacks=EarlyStopping(patience=2, min_delta=1.0),
    )
    assert hist.stopped_at_epoch == 3 and hist.steps == 3 and len(hist.val_loss) == 3


def test_fit_refuses_skip_for_2d_data_and_validation_sets_of_another_shape(rng):
    model = Sequential([Dense(2, 1, rng)])
    with pytest.raises(InputError, match=r"^skip must be 0 for 2-D data X \(N, D\)"):
        fit(model, np.zeros((4, 2)), np.zeros((4, 1)), skip=1)
    X, y = make_delayed_echo(4, 6, 1, rng)
    with pytest.raises(InputError, match=r"^y_val must have the steps and outputs of y \(T, D_out\) = \(6, 1\)"):
        fit(_echo_model(rng), X, y, X_val=X[:, :5], y_val=y[:, :5])
    with pytest.raises(InputError, match=r"^X_val \(4, 6, 1\) and y_val \(4, 5, 1\) must agree in N and T"):
        fit(_echo_model(rng), X, y, X_val=X, y_val=y[:, :5])
    with pytest.raises(InputError, match=r"^X_val must be a 3-D array, got shape \(4, 6\)"):
        fit(_echo_model(rng), X, y, X_val=X[:, :, 0], y_val=y)


def test_training_an_epoch_at_a_time_on_sequences_gives_the_numbers_of_one_fit():
    X, y = make_delayed_echo(24, 6, 2, np.random.default_rng(12))
    settings = dict(loss="bce_with_logits", lr=0.5, epochs=5, batch_size=8, skip=2)
    hist = fit(_echo_model(np.random.default_rng(13)), X, y, rng=np.random.default_rng(14), **settings)
    run = Training(_echo_model(np.random.default_rng(13)), X, y, rng=np.random.default_rng(14), **settings)
    run.advance(2)
    run.advance(4)
    assert run.done and run.history.loss == hist.loss and run.history.epoch_loss == hist.epoch_loss
