"""Lesson 03's exercises: one step of plain gradient descent, of SGD with momentum, and of Adam, each checked
against the update of the library's optimizer (nncourse.core.optim)."""

import numpy as np

from nncourse.core.optim import SGD, Adam
from nncourse.exercises import Case, Exercise, Mistake, register

# --- Exercise 3.1: plain gradient descent -----------------------------------------------------------------------


def _sgd_cases(rng):
    return [
        Case((rng.normal(size=5), rng.normal(size=5), 0.1), about="w (5,), lr 0.1"),
        Case((rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.01), about="w (3, 4), lr 0.01"),
        Case((rng.normal(size=(2, 1)), np.zeros((2, 1)), 0.5), about="g = 0"),
        Case((rng.normal(size=3), rng.normal(size=3) * 1e3, 1e-4), about="a large g, lr 1e-4"),
    ]


def sgd_step(w, g, lr):
    """One step of gradient descent on parameters w with gradient g (same shape): the new w."""
    w = np.array(w, dtype=np.float64)
    SGD(lr).update(w, np.asarray(g, dtype=np.float64), {})
    return w


register(
    Exercise(
        name="sgd_step",
        lesson=3,
        title="One step of gradient descent",
        reference=sgd_step,
        cases=_sgd_cases,
        first_hint="step against the gradient, scaled by the learning rate: one line",
        mistakes=[
            Mistake(
                "stepped uphill",
                lambda w, g, lr: w + lr * g,
                "the sign is flipped: the gradient points uphill, so descent subtracts it, w - lr * g",
            ),
            Mistake(
                "forgot the learning rate",
                lambda w, g, lr: w - g,
                "the step is the gradient times the learning rate: w - lr * g",
            ),
            Mistake(
                "returned the change",
                lambda w, g, lr: -lr * g,
                "you returned the step -lr * g: return the new parameters w - lr * g",
            ),
        ],
    )
)


# --- Exercise 3.2: SGD with momentum ----------------------------------------------------------------------------


def _momentum_cases(rng):
    out = [
        Case(
            (rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), 0.1, 0.9), about="w (4,), a running v, mu 0.9"
        )
    ]
    w = rng.normal(size=(2, 3))
    out.append(Case((w, np.zeros_like(w), rng.normal(size=(2, 3)), 0.05, 0.5), about="the first step (v = 0), mu 0.5"))
    out.append(
        Case(
            (rng.normal(size=(3, 1)), rng.normal(size=(3, 1)), np.zeros((3, 1)), 0.3, 0.99),
            about="g = 0 (v coasts), mu 0.99",
        )
    )
    return out


def momentum_step(w, v, g, lr, mu):
    """One step of SGD with momentum, in the course's (and PyTorch's) form: v <- mu v + g, w <- w - lr v.
    w, v, g have the same shape; returns (new w, new v)."""
    w = np.array(w, dtype=np.float64)
    state = {"v": np.array(v, dtype=np.float64)}
    SGD(lr, momentum=mu).update(w, np.asarray(g, dtype=np.float64), state)
    return w, state["v"]


def _polyak(w, v, g, lr, mu):
    v = mu * v - lr * g
    return w + v, v


def _dampened(w, v, g, lr, mu):
    v = mu * v + (1 - mu) * g
    return w - lr * v, v


register(
    Exercise(
        name="momentum_step",
        lesson=3,
        title="One step of SGD with momentum",
        reference=momentum_step,
        cases=_momentum_cases,
        first_hint="first the new velocity from the old one and the gradient, then the step along the new velocity; "
        "return both, the next step needs v",
        mistakes=[
            Mistake(
                "Polyak's form",
                _polyak,
                "that is Polyak's form (v <- mu v - lr g, w <- w + v), whose v is -lr times ours: use this "
                "course's form, v <- mu v + g, then w <- w - lr v",
            ),
            Mistake(
                "forgot the velocity",
                lambda w, v, g, lr, mu: (w - lr * g, g),
                "the old velocity is lost: the new one is mu * v + g, so past gradients keep pushing",
            ),
            Mistake(
                "returned the old velocity",
                lambda w, v, g, lr, mu: (w - lr * (mu * v + g), v),
                "the step is right but you returned the old v: return the new velocity mu * v + g, the next "
                "step starts from it",
            ),
            Mistake(
                "step along the old velocity",
                lambda w, v, g, lr, mu: (w - lr * v, mu * v + g),
                "update the velocity first, then step along the new one: w - lr * (mu * v + g)",
            ),
            Mistake(
                "velocity as an average",
                _dampened,
                "v <- mu v + (1 - mu) g is a running average (Adam's m); plain momentum adds the whole "
                "gradient: v <- mu v + g",
            ),
            Mistake(
                "stepped uphill",
                lambda w, v, g, lr, mu: (w + lr * (mu * v + g), mu * v + g),
                "the sign of the step is flipped: w <- w - lr * v",
            ),
        ],
    )
)


# --- Exercise 3.3: Adam -----------------------------------------------------------------------------------------


def _adam_cases(rng):
    """Mid-training first (t = 3, m and v running, one coordinate with a tiny gradient, where eps matters), then
    the very first step (m = v = 0), other betas, and a late step."""
    g = rng.choice([-1.0, 1.0], size=(2, 3)) * rng.uniform(0.2, 2.0, size=(2, 3))
    g[0, 1] = 3e-5  # tiny: sqrt(v_hat) is near eps here
    m, v = g * rng.uniform(0.5, 1.5, size=g.shape), g * g * rng.uniform(0.5, 2.0, size=g.shape)
    out = [Case((rng.normal(size=g.shape), g, m, v, 3, 0.01), about="w (2, 3) at t = 3")]
    g1 = rng.normal(size=4)
    out.append(
        Case((rng.normal(size=4), g1, np.zeros(4), np.zeros(4), 1, 0.1), about="the first step (t = 1, m = v = 0)")
    )
    g2 = rng.normal(size=(3, 1))
    out.append(
        Case(
            (rng.normal(size=(3, 1)), g2, 0.1 * g2, g2 * g2, 2, 0.001),
            {"beta1": 0.5, "beta2": 0.9},
            about="beta1 0.5 and beta2 0.9",
        )
    )
    g3 = rng.normal(size=5)
    out.append(Case((rng.normal(size=5), g3, 0.3 * g3, 2 * g3 * g3, 1000, 0.003), about="t = 1000"))
    return out


def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (Kingma & Ba 2015, Algorithm 1) with t the number of this step (1, 2, ...): returns
    (new w, new m, new v), where m and v are the raw running averages (uncorrected)."""
    w = np.array(w, dtype=np.float64)
    state = {"t": t - 1, "m": np.array(m, dtype=np.float64), "v": np.array(v, dtype=np.float64)}
    Adam(lr, beta1=beta1, beta2=beta2, eps=eps).update(w, np.asarray(g, dtype=np.float64), state)
    return w, state["m"], state["v"]


def _adam_variant(correct=True, eps_inside=False, square=True, return_hats=False):
    def step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g * g if square else g)
        m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct else (m, v)
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        w = w - lr * m_hat / denom
        return (w, m_hat, v_hat) if return_hats else (w, m, v)

    return step


register(
    Exercise(
        name="adam_step",
        lesson=3,
        title="One step of Adam, with bias correction",
        reference=adam_step,
        cases=_adam_cases,
        first_hint="two running averages, of g and of g squared, each divided by 1 - beta ** t for the step only; the "
        "step divides the first by the square root of the second",
        mistakes=[
            Mistake(
                "no bias correction",
                _adam_variant(correct=False),
                "the step uses the bias-corrected averages m_hat = m / (1 - beta1 ** t) and "
                "v_hat = v / (1 - beta2 ** t): m and v start at 0, so early on they are too small",
            ),
            Mistake(
                "eps inside the square root",
                _adam_variant(eps_inside=True),
                "eps goes outside the square root: lr * m_hat / (sqrt(v_hat) + eps)",
            ),
            Mistake(
                "forgot to square the gradient",
                _adam_variant(square=False),
                "v averages the squared gradient: v <- beta2 v + (1 - beta2) g ** 2",
            ),
            Mistake(
                "stored the corrected averages",
                _adam_variant(return_hats=True),
                "the step is right, but return the raw m and v: the bias correction is applied anew at every "
                "step, to the running averages, not stored in them",
            ),
        ],
    )
)
