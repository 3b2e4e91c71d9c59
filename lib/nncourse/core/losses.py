"""Losses. Each takes predictions and targets of the same shape (N, D) and returns (value, d value / d pred)."""

from collections.abc import Callable

import numpy as np

from nncourse.core import _validate


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error, mean over every entry: L = mean((pred - target)^2), dL/dpred = 2 (pred - target) / size."""
    pred, target = _validate.predictions_and_targets(pred, target)
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def half_sse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Half the sum of squared errors, E = sum 1/2 (target - out)^2 (the worked example's convention);
    dE/dout = out - target."""
    pred, target = _validate.predictions_and_targets(pred, target)
    diff = pred - target
    return 0.5 * float(np.sum(diff * diff)), diff


def absolute_error(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean absolute error L = mean |pred - target|; dL/dpred = sign(pred - target) / size."""
    pred, target = _validate.predictions_and_targets(pred, target)
    diff = pred - target
    return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


def bce_with_logits(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of sigmoid(logits) against 0/1 targets, averaged over entries, computed from the
    logits so that it never overflows: softplus(z) - t z = max(z, 0) - t z + log(1 + e^-|z|).
    dL/dz = (sigmoid(z) - t) / size."""
    logits, target = _validate.predictions_and_targets(logits, target)
    z = logits
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0, e) / (1.0 + e)  # sigmoid(z), as layers' Sigmoid computes it
    return _bce_value(z, target, e), (sig - target) / z.size


def _bce_value(z, target, e):
    return float(np.mean(np.maximum(z, 0.0) - target * z + np.log1p(e)))


def bce_with_logits_value(logits: np.ndarray, target: np.ndarray) -> float:
    """bce_with_logits(logits, target)[0] without the gradient or the checks: for arrays already checked (the
    loss curves of callbacks.EvalCurves, every epoch)."""
    return _bce_value(logits, target, np.exp(-np.abs(logits)))


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over the N rows of -sum_k t_k log softmax(z)_k, for logits z and targets t of shape (N, K)
    (one-hot, or any rows of probabilities).

    log softmax(z)_k = z_k - logsumexp(z), with logsumexp(z) = m + log sum_j e^{z_j - m}, m = max_j z_j, so it
    neither overflows nor takes log 0. Gradient: dL/dz = (softmax(z) - t) / N (for rows of t summing to 1).
    Returns (value, dL/dlogits)."""
    logits, targets = _validate.predictions_and_targets(logits, targets)
    _validate.logit_rows(logits, targets)
    m = np.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_sum
    n = logits.shape[0]
    value = -float(np.sum(targets * log_p)) / n
    return value, (np.exp(log_p) - targets) / n


LossFunction = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]  # (pred, target) -> (value, dpred)
LOSSES: dict[str, LossFunction] = {
    f.__name__: f for f in (mse, half_sse, absolute_error, bce_with_logits, softmax_cross_entropy)
}


# the value alone, for losses that have it (unchecked: for arrays the caller has checked)
LOSS_VALUES: dict[LossFunction, Callable[[np.ndarray, np.ndarray], float]] = {bce_with_logits: bce_with_logits_value}


def get_loss(name: str | LossFunction) -> LossFunction:
    """A loss function by name (or the callable itself): one of LOSSES."""
    if callable(name):
        return name
    if not isinstance(name, str):
        raise _validate.InputTypeError(
            f"loss must be a name such as 'mse' or a function (pred, target) -> "
            f"(value, dpred), got {type(name).__name__}"
        )
    _validate.choice("loss", name, LOSSES)
    return LOSSES[name]
