"""Lesson 06's exercises: batch normalization forward and backward (training mode), an L2 penalty's gradient,
and inverted dropout's forward pass given its mask. Each reference calls the library's own layer."""

import numpy as np

from nncourse.blocks.normalization import BatchNorm, Dropout
from nncourse.blocks.regularization import WeightPenalty
from nncourse.core.layers import Dense
from nncourse.core.model import Sequential
from nncourse.core.seeds import stream
from nncourse.exercises import SEED, Case, Exercise, Mistake, register

EPS = 1e-5  # BatchNorm's default eps: the exercises use it as a constant


# --- batch norm, forward -----------------------------------------------------------------------------------
def _bn_forward_cases(rng):
    """Different shapes, features on very different scales, a constant feature (only eps keeps it finite), and
    the smallest batch training mode accepts (N = 2)."""
    out = []
    x = rng.normal(size=(8, 3)) * np.array([1.0, 5.0, 0.2]) + np.array([0.0, 3.0, -2.0])
    out.append(Case((x, rng.normal(1, 0.5, 3), rng.normal(0, 0.5, 3)), about="x of shape (8, 3)"))
    x = rng.normal(2.0, 3.0, size=(5, 4))
    x[:, 1] = 3.7
    out.append(
        Case((x, rng.normal(1, 0.5, 4), rng.normal(0, 0.5, 4)), about="x of shape (5, 4) with a constant feature")
    )
    out.append(
        Case(
            (rng.normal(size=(2, 6)), rng.normal(1, 0.5, 6), rng.normal(0, 0.5, 6)),
            about="x of shape (2, 6) (a batch of 2)",
        )
    )
    return out


def batchnorm_forward(x, gamma, beta):
    """Batch norm in training mode: x (N, D) standardized per feature over the batch, then gamma * x_hat + beta
    (gamma, beta (D,)), with eps = 1e-5. Returns out (N, D)."""
    bn = BatchNorm(x.shape[1], eps=EPS)
    bn.params["gamma"][...], bn.params["beta"][...] = gamma, beta
    return bn.forward(x, train=True)


def _bn_with(x, gamma, beta, mu, var):
    return gamma * (x - mu) / np.sqrt(var + EPS) + beta


register(
    Exercise(
        name="batchnorm_forward",
        lesson=6,
        title="Batch normalization, forward, in training mode",
        reference=batchnorm_forward,
        cases=_bn_forward_cases,
        first_hint="per feature, i.e. over axis 0 (the batch): mu = mean, var = mean of (x - mu) ** 2; "
        "x_hat = (x - mu) / sqrt(var + eps); out = gamma * x_hat + beta",
        mistakes=[
            Mistake(
                "unbiased variance",
                lambda x, g, b: _bn_with(x, g, b, x.mean(0), x.var(0, ddof=1)),
                "the batch variance divides by N, not N - 1 (np.var's default ddof=0): batch norm standardizes "
                "the batch it sees; the N / (N - 1) correction only enters the running average",
            ),
            Mistake(
                "wrong axis",
                lambda x, g, b: _bn_with(x, g, b, x.mean(1, keepdims=True), x.var(1, keepdims=True)),
                "you normalized each sample over its features (axis 1); batch norm normalizes each feature "
                "over the batch (axis 0)",
            ),
            Mistake(
                "eps outside the root",
                lambda x, g, b: g * (x - x.mean(0)) / (x.std(0) + EPS) + b,
                "eps goes inside the square root: x_hat = (x - mu) / sqrt(var + eps)",
            ),
            Mistake(
                "no eps",
                lambda x, g, b: g * (x - x.mean(0)) / x.std(0) + b,
                "add eps = 1e-5 to the variance before the square root (a constant feature has variance 0)",
            ),
            Mistake(
                "forgot gamma and beta",
                lambda x, g, b: (x - x.mean(0)) / np.sqrt(x.var(0) + EPS),
                "that is x_hat; the layer's output is gamma * x_hat + beta",
            ),
        ],
    )
)


# --- batch norm, backward ----------------------------------------------------------------------------------
def _bn_backward_cases(rng):
    """The cache of a real forward pass (x_hat, gamma, std = sqrt(var + eps)) and a random upstream gradient;
    last, an all-ones upstream gradient, for which the right dx is 0 (the case a forgotten term passes)."""
    out = []
    for (n, d), about in (
        ((6, 3), "dout of shape (6, 3)"),
        ((4, 5), "dout of shape (4, 5)"),
        ((2, 4), "dout of shape (2, 4) (a batch of 2)"),
        ((5, 2), "an all-ones dout of shape (5, 2)"),
    ):
        x = rng.normal(rng.normal(0, 2, d), rng.uniform(0.3, 3, d), size=(n, d))
        bn = BatchNorm(d, eps=EPS)
        bn.params["gamma"][...] = rng.normal(1, 0.5, d)
        bn.forward(x, train=True)
        dout = np.ones((n, d)) if "all-ones" in about else rng.normal(size=(n, d))
        out.append(Case((dout, bn.x_hat, bn.params["gamma"].copy(), 1.0 / bn.inv_std), about=about))
    return out


def batchnorm_backward(dout, x_hat, gamma, std):
    """Batch norm's backward pass in training mode, from the upstream gradient dout (N, D) and the forward pass's
    cache: x_hat (N, D), gamma (D,) and std = sqrt(var + eps) (D,). Returns (dx (N, D), dgamma (D,), dbeta (D,))."""
    bn = BatchNorm(dout.shape[1], eps=EPS)
    bn.params["gamma"][...] = gamma
    bn.x_hat, bn.inv_std, bn.train = x_hat, 1.0 / std, True
    dx = bn.backward(dout)
    return dx, bn.grads["gamma"], bn.grads["beta"]


def _bn_dx(dout, x_hat, gamma, std, mean_term=True, xhat_term=True):
    g = dout * gamma
    return (g - (g.mean(0) if mean_term else 0) - (x_hat * (g * x_hat).mean(0) if xhat_term else 0)) / std


def _bn_params_grads(dout, x_hat):
    return (dout * x_hat).sum(0), dout.sum(0)


register(
    Exercise(
        name="batchnorm_backward",
        lesson=6,
        title="Batch normalization, backward, in training mode",
        reference=batchnorm_backward,
        cases=_bn_backward_cases,
        first_hint="dbeta and dgamma sum over the batch (axis 0); for dx set g = dout * gamma and use the formula "
        "above: every sample moves the batch mean and variance, hence two terms averaged over the batch",
        mistakes=[
            Mistake(
                "forgot both mean terms",
                lambda d, xh, ga, s: (_bn_dx(d, xh, ga, s, False, False), *_bn_params_grads(d, xh)),
                "dx = g / std treats mu and var as constants; but each sample moves the batch mean and variance: "
                "subtract mean(g) and x_hat * mean(g * x_hat) before dividing by std",
            ),
            Mistake(
                "forgot the x_hat term",
                lambda d, xh, ga, s: (_bn_dx(d, xh, ga, s, True, False), *_bn_params_grads(d, xh)),
                "one term is missing from dx: the path through the variance, - x_hat * mean(g * x_hat)",
            ),
            Mistake(
                "forgot the mean term",
                lambda d, xh, ga, s: (_bn_dx(d, xh, ga, s, False, True), *_bn_params_grads(d, xh)),
                "one term is missing from dx: the path through the mean, - mean(g) over the batch",
            ),
            Mistake(
                "forgot gamma",
                lambda d, xh, ga, s: (_bn_dx(d, xh, np.ones_like(ga), s), *_bn_params_grads(d, xh)),
                "the gradient reaching x_hat is g = dout * gamma: out = gamma * x_hat + beta",
            ),
            Mistake(
                "dgamma without x_hat",
                lambda d, xh, ga, s: (_bn_dx(d, xh, ga, s), d.sum(0), d.sum(0)),
                "dx and dbeta are right; dgamma = sum over the batch of dout * x_hat (gamma multiplies x_hat)",
            ),
            Mistake(
                "averaged over the batch",
                lambda d, xh, ga, s: (_bn_dx(d, xh, ga, s), *(v / len(d) for v in _bn_params_grads(d, xh))),
                "dx is right; dgamma and dbeta are sums over the batch, not means",
            ),
        ],
    )
)


# --- L2 penalty --------------------------------------------------------------------------------------------
def _l2_cases(rng):
    out = []
    for (d_in, d_out), l2 in (((3, 4), 0.1), ((5, 2), 0.01), ((1, 3), 0.0)):
        out.append(
            Case(
                (
                    rng.normal(size=(d_in, d_out)),
                    rng.normal(size=d_out),
                    rng.normal(size=(d_in, d_out)),
                    rng.normal(size=d_out),
                    l2,
                ),
                about=f"W of shape ({d_in}, {d_out}) and l2 = {l2:g}",
            )
        )
    return out


def l2_gradients(W, b, dW, db, l2):
    """A Dense layer's gradients (dW (D_in, D_out), db (D_out,)) from backprop, with the gradient of the L2 penalty
    (l2 / 2) * sum W^2 added; W, b are the layer's parameters. Returns (dW, db) of the penalized loss."""
    layer = Dense.from_arrays(W, b)
    layer.grads = {"W": dW.copy(), "b": db.copy()}
    WeightPenalty(l2=l2).add_gradients(Sequential([layer]))
    return layer.grads["W"], layer.grads["b"]


register(
    Exercise(
        name="l2_gradients",
        lesson=6,
        title="The L2 penalty's gradient, added to a layer's gradients",
        reference=l2_gradients,
        cases=_l2_cases,
        first_hint="d/dW of (l2 / 2) * sum W^2 is l2 * W: add it to dW; which parameters does the penalty act on?",
        mistakes=[
            Mistake(
                "factor 2",
                lambda W, b, dW, db, l2: (dW + 2 * l2 * W, db),
                "the penalty is (l2 / 2) * sum W^2: the 1/2 cancels the 2 from the square, so its gradient is "
                "l2 * W, not 2 * l2 * W",
            ),
            Mistake(
                "penalized the biases",
                lambda W, b, dW, db, l2: (dW + l2 * W, db + l2 * b),
                "dW is right; biases are not penalized (a large bias does not make the function more wiggly): "
                "return db unchanged",
            ),
            Mistake(
                "replaced the gradient",
                lambda W, b, dW, db, l2: (l2 * W, db),
                "the penalty's gradient is added to the loss's gradient dW from backprop, not put in its place",
            ),
            Mistake(
                "L1's gradient",
                lambda W, b, dW, db, l2: (dW + l2 * np.sign(W), db),
                "l2 * sign(W) is the L1 penalty's gradient; L2's grows with the weight: l2 * W",
            ),
            Mistake(
                "sign flipped",
                lambda W, b, dW, db, l2: (dW - l2 * W, db),
                "the penalty's gradient l2 * W is added: gradient descent then shrinks every weight",
            ),
        ],
    )
)


# --- dropout -----------------------------------------------------------------------------------------------
def _dropout_cases(rng):
    out = []
    for (n, d), rate in (((5, 4), 0.2), ((3, 7), 0.6), ((2, 3), 0.0)):
        mask = (rng.random((n, d)) >= rate).astype(float)
        about = f"x of shape ({n}, {d}) at rate {rate:g}" + (" (nothing dropped)" if rate == 0 else "")
        out.append(Case((rng.normal(size=(n, d)), mask, rate), about=about))
    return out


def dropout_forward(x, mask, rate):
    """Inverted dropout in training mode: x (N, D), mask (N, D) of 0 (dropped) and 1 (kept), rate the dropout
    probability. Returns out (N, D), whose expected value is x."""
    # Dropout holds a Generator for its masks; with the mask fixed it never draws, so no result depends on this
    # stream (the exercises' own seed, lesson 6)
    layer = Dropout(rate, rng=stream(SEED, 6))
    layer.fix_mask(mask / (1.0 - rate))  # the library's mask holds 0 and 1 / (1 - rate)
    return layer.forward(x, train=True)


register(
    Exercise(
        name="dropout_forward",
        lesson=6,
        title="Inverted dropout, forward, in training mode",
        reference=dropout_forward,
        cases=_dropout_cases,
        first_hint="zero the dropped entries, and rescale the kept ones so that the expected output equals x",
        mistakes=[
            Mistake(
                "no rescaling",
                lambda x, m, r: x * m,
                "divide the kept entries by 1 - rate (the keep probability): without it the expected output "
                "is (1 - rate) * x, and inference (the identity) would see larger activations than training",
            ),
            Mistake(
                "divided by the rate",
                lambda x, m, r: x * m / r,
                "divide by the keep probability 1 - rate, not by the drop probability rate",
            ),
            Mistake(
                "multiplied by 1 - rate",
                lambda x, m, r: x * m * (1 - r),
                "that is the original dropout's scaling, applied at test time; inverted dropout divides the kept "
                "entries by 1 - rate during training",
            ),
            Mistake(
                "mask inverted",
                lambda x, m, r: x * (1 - m) / (1 - r),
                "mask 1 means kept and 0 means dropped: you kept the dropped entries",
            ),
        ],
    )
)
