"""Weight penalties added to the training loss, for `fit(..., regularizer=...)`.

    penalty(W) = l1 * sum |W| + (l2 / 2) * sum W^2
    d penalty / dW = l1 * sign(W) + l2 * W

Only weight matrices are penalized: parameters named "W" (and "i.W" inside a ResidualBlock). Biases, and batch
norm's gamma and beta, are left alone, as is usual: a bias does not multiply an input, so a large one does not
make the function more wiggly, and shrinking gamma would fight the normalization.

L2 (weight decay; Krogh & Hertz 1992) shrinks every weight in proportion to its size. L1
pulls every weight toward 0 by the same amount whatever its size (Tibshirani 1996's lasso), so small weights
reach 0. With plain gradient steps the sign term makes them hop across 0 by up to lr * l1 rather than stay at
exactly 0 (sign(0) = 0 is the subgradient we take), which is why the lesson counts weights *near* zero.
"""

import numpy as np

from nncourse.core import _validate


def _is_weight(name):
    return name == "W" or name.endswith(".W")


def penalized(model):
    """[(layer, name)] of the parameters a WeightPenalty acts on: every weight matrix, no biases."""
    return [(layer, k) for layer, k in model.parameters() if _is_weight(k)]


class WeightPenalty:
    """l1 * sum |W| + (l2 / 2) * sum W^2 over every weight matrix of the model (see the module docstring)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate.non_negative("l1 strength", l1)
        self.l2 = _validate.non_negative("l2 strength", l2)

    def value(self, model):
        """The penalty added to the loss (a float)."""
        total = 0.0
        for layer, k in penalized(model):
            w = layer.params[k]
            total += self.l1 * float(np.sum(np.abs(w))) + 0.5 * self.l2 * float(np.vdot(w, w))
        return total

    def gradient(self, w):
        """d penalty / d w for one weight array."""
        return self.l1 * np.sign(w) + self.l2 * w

    def add_gradients(self, model):
        """Add the penalty's gradient to each weight's gradient (after backprop filled them)."""
        for layer, k in penalized(model):
            layer.grads[k] = layer.grads[k] + self.gradient(layer.params[k])

    def __repr__(self):
        return f"WeightPenalty(l1={self.l1:g}, l2={self.l2:g})"


def l1(strength):
    """The lasso penalty strength * sum |W|."""
    return WeightPenalty(l1=strength)


def l2(strength):
    """The weight-decay penalty (strength / 2) * sum W^2."""
    return WeightPenalty(l2=strength)


def weight_penalty(l1=0.0, l2=0.0):
    """A WeightPenalty, or None when both strengths are 0 (so `fit` skips the work)."""
    pen = WeightPenalty(l1, l2)
    return pen if pen.l1 > 0 or pen.l2 > 0 else None


def near_zero_fraction(model, tol=1e-2):
    """Fraction of all weight-matrix entries with |w| < tol."""
    _validate.positive("tol", tol)
    if not penalized(_validate.model(model, ("parameters",))):
        raise _validate.InputError("the model has no trainable weight matrices to count")
    w = np.concatenate([layer.params[k].ravel() for layer, k in penalized(model)])
    return float(np.mean(np.abs(w) < tol))
