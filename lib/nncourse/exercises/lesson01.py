"""Lesson 01's exercises: an activation's slope, written with its output, and one neuron forward and backward."""

import numpy as np

from nncourse.core.layers import Sigmoid, Tanh
from nncourse.exercises import Case, Exercise, Mistake, register


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _activations(rng):
    """Outputs a of a sigmoid or tanh: a column, a matrix, and the edges (saturated and the midpoint)."""
    return [
        Case((_sigmoid(rng.normal(size=(5, 1)) * 2),), about="a of shape (5, 1)"),
        Case((_sigmoid(rng.normal(size=(3, 4)) * 3),), about="a of shape (3, 4)"),
        Case((np.array([[1e-9, 0.5, 1 - 1e-9]]),), about="a = 1e-9, 0.5, 1 - 1e-9"),
    ]


def sigmoid_derivative(a):
    """The sigmoid's slope at the point where it outputs a: a (1 - a)."""
    layer = Sigmoid()
    layer.out = np.asarray(a, dtype=np.float64)
    return layer.backward(np.ones_like(layer.out))


register(
    Exercise(
        name="sigmoid_derivative",
        lesson=1,
        title="The sigmoid's slope, from its output",
        reference=sigmoid_derivative,
        cases=_activations,
        first_hint="the output a is all you need: the sigmoid's slope can be written with a alone (lesson 01's hand "
        "calculation does it)",
        mistakes=[
            Mistake(
                "derivative at z",
                lambda a: _sigmoid(a) * (1 - _sigmoid(a)),
                "you applied the sigmoid again: the argument is already the output a = sigmoid(z), so the slope "
                "is a * (1 - a), not sigmoid(a) * (1 - sigmoid(a))",
            ),
            Mistake(
                "forgot 1 - a",
                lambda a: a,
                "the slope is a * (1 - a): it vanishes where the sigmoid saturates, at a = 0 and at a = 1",
            ),
            Mistake("a squared", lambda a: a * a, "close: the slope is a * (1 - a), not a * a"),
        ],
    )
)


def _tanh_cases(rng):
    return [
        Case((np.tanh(rng.normal(size=(4, 3)) * 2),), about="a of shape (4, 3)"),
        Case((np.tanh(rng.normal(size=(6,))),), about="a of shape (6,)"),
        Case((np.array([-1 + 1e-12, 0.0, 1 - 1e-12]),), about="a = -1, 0, 1 (almost)"),
    ]


def tanh_derivative(a):
    """tanh's slope at the point where it outputs a: 1 - a^2."""
    layer = Tanh()
    layer.out = np.asarray(a, dtype=np.float64)
    return layer.backward(np.ones_like(layer.out))


register(
    Exercise(
        name="tanh_derivative",
        lesson=1,
        title="tanh's slope, from its output",
        reference=tanh_derivative,
        cases=_tanh_cases,
        first_hint="like the sigmoid's, tanh's slope can be written with its output a alone",
        mistakes=[
            Mistake(
                "derivative at z",
                lambda a: 1 - np.tanh(a) ** 2,
                "you applied tanh again: the argument is already the output a = tanh(z), so the slope is 1 - a ** 2",
            ),
            Mistake("forgot the square", lambda a: 1 - a, "the slope is 1 - a ** 2: square the output"),
            Mistake(
                "sigmoid's formula", lambda a: a * (1 - a), "a * (1 - a) is the sigmoid's slope; tanh's is 1 - a ** 2"
            ),
        ],
    )
)


def _neuron_cases(rng):
    out = []
    for n, d in ((1, 2), (5, 3), (8, 1)):
        out.append(
            Case(
                (rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal()), rng.uniform(0, 1, size=n)),
                about=f"x of shape ({n}, {d})",
            )
        )
    return out


def neuron_step(x, w, b, t):
    """One sigmoid neuron on a batch x (N, D) with weights w (D,), bias b and targets t (N,), under the error
    E = sum over the batch of (a - t)^2 / 2: returns (a, dE/dw, dE/db), a of shape (N,)."""
    a = _sigmoid(x @ w + b)
    dz = (a - t) * a * (1 - a)
    return a, x.T @ dz, float(dz.sum())


register(
    Exercise(
        name="neuron_step",
        lesson=1,
        title="One neuron, forward and backward, on a batch",
        reference=neuron_step,
        cases=_neuron_cases,
        first_hint="forward first (z = x @ w + b, then a); then the chain rule as in the hand calculation: "
        "dE/da times da/dz gives dE/dz for each example, and E sums over the batch",
        mistakes=[
            Mistake(
                "forgot the activation's slope",
                lambda x, w, b, t: (
                    _sigmoid(x @ w + b),
                    x.T @ (_sigmoid(x @ w + b) - t),
                    float((_sigmoid(x @ w + b) - t).sum()),
                ),
                "the chain rule has one more factor: dE/dz = (a - t) * a * (1 - a), the sigmoid's slope",
            ),
            Mistake(
                "bias averaged",
                lambda x, w, b, t: (*neuron_step(x, w, b, t)[:2], neuron_step(x, w, b, t)[2] / len(t)),
                "E sums over the batch, so dE/db is the sum of dE/dz, not its mean",
            ),
            Mistake(
                "sign of the error",
                lambda x, w, b, t: tuple(v if i == 0 else -v for i, v in enumerate(neuron_step(x, w, b, t))),
                "the sign is flipped: dE/da = a - t (the output minus the target)",
            ),
        ],
    )
)
