"""Lesson 02's exercises: one update of the worked example's output weights, a Dense layer's backward pass, and
one gradient step of the exercise report's 2-2-1 ReLU network."""

import numpy as np

from nncourse.core.layers import Dense, ReLU, Sigmoid
from nncourse.core.losses import half_sse, mse
from nncourse.core.model import Sequential
from nncourse.core.optim import SGD
from nncourse.exercises import Case, Exercise, Mistake, register
from nncourse.lessons.backpropagation import MAZUR, hand_pass, mazur_initial_state


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- Exercise 2.1: one update of the output weights, by hand ---------------------------------------------------


def _output_cases(rng):
    """The worked example's own numbers first, then other widths (hidden outputs in (0, 1), targets in (0, 1))."""
    r, s = hand_pass(mazur_initial_state()), mazur_initial_state()
    mazur = (
        np.array([r["out_h1"], r["out_h2"]]),
        np.array([[s["w5"], s["w7"]], [s["w6"], s["w8"]]]),
        np.array([s["b_o1"], s["b_o2"]]),
        np.array(MAZUR["targets"]),
        MAZUR["lr"],
    )
    out = [Case(mazur, about="the worked example's numbers")]
    for h, k, lr in ((3, 2, 0.1), (2, 1, 1.0), (4, 3, 0.05)):
        out.append(
            Case(
                (
                    rng.uniform(0.05, 0.95, size=h),
                    rng.normal(size=(h, k)),
                    rng.normal(size=k) * 0.5,
                    rng.uniform(0, 1, size=k),
                    lr,
                ),
                about=f"{h} hidden units, {k} outputs",
            )
        )
    return out


def worked_output_update(out_h, W2, b2, t, lr):
    """The output layer of the worked example: sigmoid units out_o = sigmoid(out_h @ W2 + b2), error
    E = sum 1/2 (t - out_o)^2. Returns W2 after one gradient-descent step, W2 - lr dE/dW2 (shape (H, K))."""
    dense, sigmoid = Dense.from_arrays(W2, b2), Sigmoid()
    out_o = sigmoid.forward(dense.forward(np.asarray(out_h, dtype=np.float64)[None, :]))
    dense.backward(sigmoid.backward(half_sse(out_o, np.asarray(t, dtype=np.float64)[None, :])[1]))
    W = dense.params["W"]
    SGD(lr).update(W, dense.grads["W"], {})
    return W


def _delta(out_h, W2, b2, t, slope="out"):
    """delta_o = dE/dnet_o, with the sigmoid's slope taken as written ('out'), at the net input ('net') or
    left out ('none'): the right one and two known mistakes."""
    net = out_h @ W2 + b2
    out_o = _sigmoid(net)
    return (out_o - t) * {"out": out_o * (1 - out_o), "net": net * (1 - net), "none": 1.0}[slope]


register(
    Exercise(
        name="worked_output_update",
        lesson=2,
        title="One update of the worked example's output weights",
        reference=worked_output_update,
        cases=_output_cases,
        first_hint="as in the tables: first delta_o = dE/dnet_o of each output unit (two factors), then each weight's "
        "gradient is the delta of the unit it feeds times the value on its input side",
        mistakes=[
            Mistake(
                "forgot the sigmoid's slope",
                lambda out_h, W2, b2, t, lr: W2 - lr * np.outer(out_h, _delta(out_h, W2, b2, t, "none")),
                "the chain rule has one more factor: delta_o = (out_o - t) * out_o * (1 - out_o), the sigmoid's "
                "slope at its output",
            ),
            Mistake(
                "slope at the net input",
                lambda out_h, W2, b2, t, lr: W2 - lr * np.outer(out_h, _delta(out_h, W2, b2, t, "net")),
                "you took the slope at the net input: the sigmoid's slope is out_o * (1 - out_o), from its "
                "output out_o = sigmoid(net_o), not net_o * (1 - net_o)",
            ),
            Mistake(
                "transposed gradient",
                lambda out_h, W2, b2, t, lr: W2 - lr * np.outer(_delta(out_h, W2, b2, t), out_h),
                "your weight gradient is transposed: W2[i, j] connects hidden unit i to output j, so "
                "dE/dW2[i, j] = out_h[i] * delta_o[j], i.e. np.outer(out_h, delta_o)",
            ),
            Mistake(
                "stepped uphill",
                lambda out_h, W2, b2, t, lr: W2 + lr * np.outer(out_h, _delta(out_h, W2, b2, t)),
                "the sign is flipped: gradient descent moves against the gradient, W2 - lr * dE/dW2 "
                "(and dE/dout_o = out_o - t, the output minus the target)",
            ),
            Mistake(
                "forgot the learning rate",
                lambda out_h, W2, b2, t, lr: W2 - np.outer(out_h, _delta(out_h, W2, b2, t)),
                "the step is the gradient times the learning rate lr: W2 - lr * dE/dW2",
            ),
        ],
    )
)


# --- Exercise 2.2: a Dense layer's backward pass ----------------------------------------------------------------


def _dense_cases(rng):
    """A square layer first (so a forgotten transpose gives wrong numbers, not a shape error), then others; the
    upstream gradient is random, never all ones."""
    out = []
    for n, d_in, d_out in ((4, 3, 3), (5, 2, 4), (1, 3, 2), (7, 4, 1)):
        out.append(
            Case(
                (rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=(n, d_out))),
                about=f"x ({n}, {d_in}), W ({d_in}, {d_out})",
            )
        )
    return out


def dense_backward(x, W, dout):
    """y = x @ W + b with x (N, D_in), W (D_in, D_out); dout = dL/dy (N, D_out). Returns (dL/dx, dL/dW, dL/db)
    of shapes (N, D_in), (D_in, D_out), (D_out,)."""
    layer = Dense.from_arrays(W, np.zeros(W.shape[1]))
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.grads["W"], layer.grads["b"]


register(
    Exercise(
        name="dense_backward",
        lesson=2,
        title="A Dense layer's backward pass",
        reference=dense_backward,
        cases=_dense_cases,
        first_hint="each gradient is a product with dout, shaped like the thing it is the gradient of: dx like x "
        "(N, D_in), dW like W (D_in, D_out), db like b (D_out,): find the matrix product that gives each shape",
        mistakes=[
            Mistake(
                "transposed weight gradient",
                lambda x, W, dout: (dout @ W.T, dout.T @ x, dout.sum(axis=0)),
                "your dW is transposed: it must have W's shape (D_in, D_out), dW = x.T @ dout",
            ),
            Mistake(
                "W not transposed in dx",
                lambda x, W, dout: (dout @ W, x.T @ dout, dout.sum(axis=0)),
                "dx goes back through the weights transposed: dx = dout @ W.T",
            ),
            Mistake(
                "forgot the upstream gradient",
                lambda x, W, dout: (
                    np.ones_like(dout) @ W.T,
                    x.T @ np.ones_like(dout),
                    np.full(W.shape[1], float(len(x))),
                ),
                "you left out the upstream gradient dout: each gradient is dout times the local derivative "
                "(dx = dout @ W.T, dW = x.T @ dout, db = dout summed over the batch)",
            ),
            Mistake(
                "bias averaged",
                lambda x, W, dout: (dout @ W.T, x.T @ dout, dout.mean(axis=0)),
                "the bias is used by every example of the batch, so its gradient is the sum of dout over the "
                "batch, not the mean",
            ),
        ],
    )
)


# --- Exercise 2.3: one training step of the 2-2-1 ReLU network --------------------------------------------------


def _relu_step_cases(rng):
    """Batches where some hidden pre-activations are negative (so the ReLU's slope matters), one of a single
    example (where a sum and a mean agree: never the first case), and a hidden layer of other widths."""
    out = []
    for n, d, h, lr in ((8, 2, 2, 0.01), (10, 3, 4, 0.1), (1, 2, 3, 0.5), (6, 2, 1, 0.05)):
        x = rng.normal(size=(n, d))
        W1 = rng.normal(size=(d, h))
        # one bias per unit that puts the kink among the examples, so every unit is active on some, not all
        b1 = -np.median(x @ W1, axis=0) + rng.uniform(-0.1, 0.1, size=h) if n > 1 else rng.uniform(0.2, 1, h)
        out.append(
            Case(
                (x, rng.normal(size=(n, 1)), W1, b1, rng.normal(size=(h, 1)), rng.normal(size=1), lr),
                about=f"X ({n}, {d}), {h} hidden units",
            )
        )
    return out


def relu_train_step(X, y, W1, b1, W2, b2, lr):
    """One full-batch gradient-descent step of X (N, D) -> Dense(D, H) -> ReLU -> Dense(H, 1) under the mean
    squared error L = mean((out - y)^2), y (N, 1). Returns the new (W1, b1, W2, b2)."""
    model = Sequential([Dense.from_arrays(W1, b1), ReLU(), Dense.from_arrays(W2, b2)])
    model.backward(mse(model.forward(X), y)[1])
    SGD(lr).step(model)
    first, last = model.layers[0].params, model.layers[2].params
    return first["W"], first["b"], last["W"], last["b"]


def _relu_grads(X, y, W1, b1, W2, b2, scale=2.0, mean=True, mask="slope", hidden_W2=None):
    """The step's gradients with one choice made wrongly (for the known mistakes)."""
    z1 = X @ W1 + b1
    a1 = np.maximum(z1, 0)
    dout = scale * (a1 @ W2 + b2 - y) / (y.size if mean else 1)
    gate = {"slope": (z1 > 0), "output": a1, "none": 1.0}[mask]
    dz1 = (dout @ (W2 if hidden_W2 is None else hidden_W2).T) * gate
    return X.T @ dz1, dz1.sum(axis=0), a1.T @ dout, dout.sum(axis=0)


def _wrong_step(**choice):
    def step(X, y, W1, b1, W2, b2, lr):
        grads = _relu_grads(X, y, W1, b1, W2, b2, **choice)
        return tuple(p - lr * g for p, g in zip((W1, b1, W2, b2), grads))

    return step


def _updated_W2_first(X, y, W1, b1, W2, b2, lr):
    dW2 = _relu_grads(X, y, W1, b1, W2, b2)[2]
    return _wrong_step(hidden_W2=W2 - lr * dW2)(X, y, W1, b1, W2, b2, lr)


register(
    Exercise(
        name="relu_train_step",
        lesson=2,
        title="One training step of the 2-2-1 ReLU network",
        reference=relu_train_step,
        cases=_relu_step_cases,
        first_hint="forward, keeping z1 and a1; then backward from dL/dout of the mean squared error through the output "
        "layer, the ReLU and the hidden layer; move the parameters only at the end",
        mistakes=[
            Mistake(
                "sum instead of mean",
                _wrong_step(mean=False),
                "the loss is the mean over the batch, so dL/dout = 2 (out - y) / N: you left out the 1 / N",
            ),
            Mistake(
                "forgot the 2",
                _wrong_step(scale=1.0),
                "d/dout of (out - y)^2 is 2 (out - y): dL/dout = 2 (out - y) / N",
            ),
            Mistake(
                "ReLU output instead of its slope",
                _wrong_step(mask="output"),
                "going back through the ReLU multiplies by its slope, 1 where z1 > 0 and 0 elsewhere, not by "
                "its output max(z1, 0)",
            ),
            Mistake(
                "forgot the ReLU",
                _wrong_step(mask="none"),
                "the gradient to the hidden layer passes through the ReLU: multiply dout @ W2.T by its slope (z1 > 0)",
            ),
            Mistake(
                "hidden gradient from the updated W2",
                _updated_W2_first,
                "you updated W2 before computing the hidden layer's gradient: every gradient of one step comes "
                "from the same (old) weights; update all of them after the backward pass",
            ),
        ],
    )
)
