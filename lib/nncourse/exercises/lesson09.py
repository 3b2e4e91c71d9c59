"""Lesson 09's exercises: one step of the recurrent layer forward, one step of backpropagation through time, and
the factor by which a linear recurrent network multiplies the gradient per step back."""

import numpy as np

from nncourse.blocks.rnn import RNN
from nncourse.core.seeds import stream
from nncourse.exercises import SEED, Case, Exercise, Mistake, register

# the layers below get their weights from the arguments: the initial ones they draw are overwritten or multiply
# a zero state or input, so no result depends on this stream (the exercises' own seed, lesson 9)
_INIT_STREAM = (SEED, 9)


def _one_step_rnn(Wx, Wh, b=None, activation="tanh"):
    """The library's RNN holding the stacked weights [Wx; Wh] as its input weights, so that one step from the
    zero state on the input [x_t, h_prev] computes x_t Wx + h_prev Wh + b: the step of a sequence whose previous
    state is h_prev, whatever that state is."""
    d, h = Wx.shape
    layer = RNN(d + h, h, stream(*_INIT_STREAM), activation=activation)
    layer.params["Wx"] = np.vstack([Wx, Wh]).astype(np.float64)
    if b is not None:
        layer.params["b"] = np.asarray(b, dtype=np.float64)
    return layer


# --- Exercise 9.1: one step forward ----------------------------------------------------------------------------


def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    """h_t = tanh(x_t Wx + h_prev Wh + b): x_t (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) -> (N, H).
    One step of the library's RNN.forward."""
    layer = _one_step_rnn(Wx, Wh, b)
    return layer.forward(np.concatenate([x_t, h_prev], axis=1)[:, None, :])[:, 0]


def _forward_cases(rng):
    out = []
    for n, d, h, about in (
        (4, 3, 5, ""),
        (1, 1, 3, ""),
        (7, 2, 6, ""),
        (3, 4, 4, ", h_prev = 0 (the first step)"),
        (5, 3, 2, ", large inputs (tanh saturates)"),
    ):
        h_prev = np.zeros((n, h)) if "first" in about else np.tanh(rng.normal(size=(n, h)))
        scale = 10.0 if "large" in about else 1.0
        out.append(
            Case(
                (
                    rng.normal(size=(n, d)) * scale,
                    h_prev,
                    rng.normal(size=(d, h)),
                    rng.normal(size=(h, h)) / np.sqrt(h),
                    rng.normal(size=h),
                ),
                about=f"x_t of shape ({n}, {d}), H = {h}{about}",
            )
        )
    return out


register(
    Exercise(
        name="rnn_step_forward",
        lesson=9,
        title="One step of the recurrent layer",
        reference=rnn_step_forward,
        cases=_forward_cases,
        first_hint="the input part (x_t times Wx), the recurrent part (h_prev times Wh) and the bias add up "
        "first; then one tanh",
        mistakes=[
            Mistake(
                "forgot the tanh",
                lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b,
                "that is z_t, the pre-activation: the state is h_t = tanh(z_t)",
            ),
            Mistake(
                "forgot the recurrence",
                lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b),
                "the previous state must enter too: z_t = x_t Wx + h_prev Wh + b, or the layer has no memory",
            ),
            Mistake(
                "transposed Wh",
                lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b),
                "batch-first: the state is a row, so it is h_prev @ Wh (Wh maps state unit i to unit j at "
                "Wh[i, j]), not h_prev @ Wh.T",
            ),
            Mistake(
                "forgot the bias", lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh), "add the bias b before the tanh"
            ),
            Mistake(
                "tanh inside",
                lambda x, h, Wx, Wh, b: np.tanh(x @ Wx) + np.tanh(h @ Wh) + b,
                "the tanh comes once, after the sum: h_t = tanh(x_t Wx + h_prev Wh + b)",
            ),
        ],
    )
)


# --- Exercise 9.2: one step of backpropagation through time --------------------------------------------------


def bptt_step(dh_out, dh_next, x_t, h_prev, h_t, Wx, Wh):
    """One step of RNN.backward for the tanh layer: with dh_out (N, H) = dL/dh_t from the layers above and
    dh_next (N, H) = what came back to h_t from step t + 1, returns this step's contributions
    (dWx (D, H), dWh (H, H), db (H,), dx_t (N, D), dh_prev (N, H)); dh_prev is the next dh_next."""
    layer = _one_step_rnn(Wx, Wh)
    d = Wx.shape[0]
    # the cache RNN.forward would have left for this step (the library's tanh takes f' at z = arctanh(h_t))
    layer.x = np.concatenate([x_t, h_prev], axis=1)[:, None, :]
    layer.h, layer.z = h_t[:, None, :], np.arctanh(h_t)[:, None, :]
    # a one-step sequence carries no dh_next of its own: the one from step t + 1 comes in with the upstream
    # gradient, as RNN.backward adds them first thing (dh = dout_t + dh_next)
    dinput = layer.backward((dh_out + dh_next)[:, None, :])[:, 0]
    gW = layer.grads["Wx"]
    return gW[:d], gW[d:], layer.grads["b"], dinput[:, :d], dinput[:, d:]


def _bptt(dh_out, dh_next, x, h_prev, h_t, Wx, Wh, dh_fn=None, df_fn=None, dWh_fn=None, db_fn=None, dprev_fn=None):
    """The step written out, with one piece swappable: the known mistakes."""
    dh = dh_fn(dh_out, dh_next) if dh_fn else dh_out + dh_next
    dz = dh * (df_fn(h_t) if df_fn else 1 - h_t**2)
    dWh = dWh_fn(h_prev, dz) if dWh_fn else h_prev.T @ dz
    db = db_fn(dz) if db_fn else dz.sum(axis=0)
    dprev = dprev_fn(dz, Wh) if dprev_fn else dz @ Wh.T
    return x.T @ dz, dWh, db, dz @ Wx.T, dprev


def _bptt_cases(rng):
    out = []
    for n, d, h, about in (
        (4, 3, 5, ""),
        (6, 1, 4, ""),
        (1, 2, 3, ""),
        (5, 4, 6, ", dh_next = 0 (the last step)"),
        (3, 2, 4, ", saturated states (|h| near 1)"),
    ):
        x = rng.normal(size=(n, d))
        h_prev = np.tanh(rng.normal(size=(n, h)))
        Wx, Wh = rng.normal(size=(d, h)), rng.normal(size=(h, h)) / np.sqrt(h)
        z = x @ Wx + h_prev @ Wh + rng.normal(size=h)
        h_t = np.tanh(z * (4.0 if "saturated" in about else 1.0))
        dh_next = np.zeros((n, h)) if "last" in about else rng.normal(size=(n, h))
        out.append(
            Case(
                (rng.normal(size=(n, h)), dh_next, x, h_prev, h_t, Wx, Wh),
                about=f"x_t of shape ({n}, {d}), H = {h}{about}",
            )
        )
    return out


register(
    Exercise(
        name="bptt_step",
        lesson=9,
        title="One step of backpropagation through time",
        reference=bptt_step,
        cases=_bptt_cases,
        first_hint="two gradients reach h_t; add them, then go back through the tanh with its slope written "
        "from h_t; after that it is a Dense layer's backward twice: each weight's gradient is (its input).T "
        "@ dz, each input's gradient is dz @ (its weight).T",
        mistakes=[
            Mistake(
                "forgot dh_next",
                lambda *a: _bptt(*a, dh_fn=lambda out, nxt: out),
                "h_t also feeds step t + 1: the gradient reaching it is dh_out + dh_next, and leaving dh_next "
                "out cuts backpropagation through time down to one step",
            ),
            Mistake(
                "tanh' at the pre-activation",
                lambda *a: _bptt(*a, df_fn=lambda h: 1 - np.tanh(h) ** 2),
                "you applied tanh again: h_t is already tanh(z_t), so tanh'(z_t) = 1 - h_t ** 2",
            ),
            Mistake(
                "forgot tanh'",
                lambda *a: _bptt(*a, df_fn=lambda h: np.ones_like(h)),
                "the chain rule passes through the tanh: dz = dh * (1 - h_t ** 2)",
            ),
            Mistake(
                "transposed Wh",
                lambda *a: _bptt(*a, dprev_fn=lambda dz, Wh: dz @ Wh),
                "going back through h_prev @ Wh multiplies by the transpose: dh_prev = dz @ Wh.T",
            ),
            Mistake(
                "transposed dWh",
                lambda *a: _bptt(*a, dWh_fn=lambda h_prev, dz: dz.T @ h_prev),
                "dWh has the shape of Wh (rows: the previous state, columns: the new one): h_prev.T @ dz, "
                "not its transpose",
            ),
            Mistake(
                "bias averaged",
                lambda *a: _bptt(*a, db_fn=lambda dz: dz.mean(axis=0)),
                "like every gradient here, db is a sum over the batch, not a mean",
            ),
        ],
    )
)


# --- Exercise 9.3: the factor per step of a linear RNN -------------------------------------------------------


def linear_rnn_gradient_factor(Wh, dh_last, k):
    """A linear recurrent network (no activation): put the gradient dh_last (N, H) on the last state, go back
    k steps, and return the average factor per step, (|dL/dh_{T-1-k}| / |dL/dh_{T-1}|) ** (1 / k), with |.|
    the norm over the whole batch. Runs the library's RNN.backward with activation 'identity'."""
    n, h = dh_last.shape
    layer = RNN(1, h, stream(*_INIT_STREAM), activation="identity")
    layer.params["Wh"] = np.asarray(Wh, dtype=np.float64)
    layer.forward(np.zeros((n, k + 1, 1)))
    dout = np.zeros((n, k + 1, h))
    dout[:, -1] = dh_last
    layer.backward(dout)
    norms = np.linalg.norm(layer.state_grads.reshape(n, k + 1, h), axis=(0, 2))
    return float((norms[0] / norms[-1]) ** (1.0 / k))


def _factor(Wh, g, k, transpose=True, power=None, root=None):
    M = Wh.T if transpose else Wh
    back = g @ np.linalg.matrix_power(M, k if power is None else power)
    ratio = np.linalg.norm(back) / np.linalg.norm(g)
    return float(ratio ** (1.0 / (k if root is None else root)))


def _factor_cases(rng):
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    upper = np.triu(rng.normal(size=(5, 5))) * 0.6
    return [
        Case((rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4)), 5), about="Wh (4, 4) normal, k = 5"),
        Case((upper, rng.normal(size=(8, 5)), 12), about="Wh (5, 5) upper triangular, k = 12"),
        Case((q * 0.9, rng.normal(size=(2, 6)), 20), about="Wh = 0.9 times an orthogonal (6, 6), k = 20"),
        Case((np.eye(3) * 1.1, rng.normal(size=(1, 3)), 1), about="Wh = 1.1 I, k = 1"),
        Case(
            (rng.normal(size=(8, 8)) / np.sqrt(8), rng.normal(size=(16, 8)), 30),
            about="Wh (8, 8) with entries N(0, 1/8), k = 30",
        ),
    ]


register(
    Exercise(
        name="linear_rnn_gradient_factor",
        lesson=9,
        title="How much a linear recurrent network keeps per step",
        reference=linear_rnn_gradient_factor,
        cases=_factor_cases,
        first_hint="with no activation, one step back multiplies the gradient by Wh.T (on the right, rows are "
        "examples); do that k times, compare the norms (np.linalg.norm of the whole array), then average "
        "per step",
        mistakes=[
            Mistake(
                "forgot the k-th root",
                lambda Wh, g, k: _factor(Wh, g, k, root=1),
                "that is what is left after all k steps: the factor per step is its k-th root",
            ),
            Mistake(
                "Wh instead of Wh.T",
                lambda Wh, g, k: _factor(Wh, g, k, transpose=False),
                "going back a step multiplies the gradient row by Wh.T, not by Wh (forward it is h @ Wh)",
            ),
            Mistake(
                "one step too many",
                lambda Wh, g, k: _factor(Wh, g, k, power=k + 1),
                "off by one: k steps back means k multiplications by Wh.T",
            ),
            Mistake(
                "ratio upside down",
                lambda Wh, g, k: 1.0 / _factor(Wh, g, k),
                "divide the norm k steps back by the norm at the last state, not the other way round",
            ),
        ],
    )
)
