"""Layers that behave differently while training and at inference: batch normalization and dropout.

`Sequential.forward(x, train=True)` is the training pass; `Sequential.predict(x)` passes train=False.
Both layers keep the arrays that are not learned but are part of the model (running statistics) in a
`buffers` dict, next to `params`, so that `callbacks.EarlyStopping` can snapshot them too.
"""

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import Layer


class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy 2015, Algorithm 1), per feature over the batch.

    Shapes: x (N, D), gamma (D,), beta (D,), out (N, D).
    Training:  mu = mean_n x, var = mean_n (x - mu)^2 (the biased batch variance),
               x_hat = (x - mu) / sqrt(var + eps), out = gamma * x_hat + beta;
               running_mean <- momentum * running_mean + (1 - momentum) * mu, and likewise running_var with the
               unbiased N / (N - 1) * var (the paper's inference estimate, Algorithm 2 step 10).
    Inference: the same affine map with running_mean and running_var in place of the batch statistics, so a
               prediction for one sample does not depend on the other samples of its batch.
    Backward (training; every sample's x moves mu and var, hence the two summed terms):
               dbeta = sum_n dout, dgamma = sum_n dout * x_hat, and with g = dout * gamma,
               dx = (g - mean_n g - x_hat * mean_n(g * x_hat)) / sqrt(var + eps).
    """

    def __init__(self, n_features, momentum=0.9, eps=1e-5):
        super().__init__()
        self.n_features = _validate.positive_int("n_features", n_features)
        self.momentum = _validate.fraction("momentum", momentum)
        self.eps = _validate.positive("eps", eps)
        self.params = {"gamma": np.ones(n_features), "beta": np.zeros(n_features)}
        self.grads = {"gamma": np.zeros(n_features), "beta": np.zeros(n_features)}
        self.buffers = {"running_mean": np.zeros(n_features), "running_var": np.ones(n_features)}

    def forward(self, x, train=True):
        x = _validate.layer_input(f"BatchNorm({self.n_features})", x, self.n_features)
        if train:
            if x.shape[0] < 2:
                raise _validate.InputError(
                    "BatchNorm in training mode needs a batch of at least 2 samples "
                    f"(batch statistics of one sample are meaningless), got {x.shape[0]}"
                )
            mu, var = x.mean(axis=0), x.var(axis=0)
            m, n = self.momentum, x.shape[0]
            self.buffers["running_mean"][...] = m * self.buffers["running_mean"] + (1 - m) * mu
            self.buffers["running_var"][...] = m * self.buffers["running_var"] + (1 - m) * var * n / (n - 1)
        else:
            mu, var = self.buffers["running_mean"], self.buffers["running_var"]
        self.train = train
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x - mu) * self.inv_std
        return self.params["gamma"] * self.x_hat + self.params["beta"]

    def backward(self, dout):
        self.grads["beta"] = dout.sum(axis=0)
        self.grads["gamma"] = (dout * self.x_hat).sum(axis=0)
        g = dout * self.params["gamma"]
        if not self.train:  # running statistics are constants: a plain per-feature affine map
            return g * self.inv_std
        return (g - g.mean(axis=0) - self.x_hat * (g * self.x_hat).mean(axis=0)) * self.inv_std

    def __repr__(self):
        return f"BatchNorm({self.n_features})"


dropout_rate = _validate.dropout_rate  # the check lives in _validate; lessons import it from here too


class Dropout(Layer):
    """Inverted dropout (Srivastava et al. 2014, scaled as in most libraries): in training each entry is kept
    with probability 1 - rate and the kept ones are divided by 1 - rate, so the expected output equals the
    input and inference is the identity (no rescaling at test time).

    Shapes: x, mask, out (N, D). Forward out = x * mask with mask in {0, 1 / (1 - rate)}; backward dx = dout * mask.
    rng: the layer's own numpy Generator, so a seeded run drops the same units every time.
    """

    def __init__(self, rate, rng):
        super().__init__()
        self.rate = dropout_rate(rate)
        self.rng = _validate.rng(rng)
        self.buffers = {}
        self._fixed = None

    def fix_mask(self, mask):
        """Use `mask` (or, with None, fresh random masks again) in training passes. A gradient check needs
        this: it evaluates the same function many times, and a new mask each time is a new function."""
        self._fixed = None if mask is None else _validate.finite_array("mask", mask)

    def forward(self, x, train=True):
        if not isinstance(x, np.ndarray):
            x = _validate.finite_array("x", x)
        if not train or self.rate == 0.0:
            self.mask = None
            return x
        if self._fixed is not None:
            if self._fixed.shape != x.shape:
                raise _validate.InputError(f"fixed mask has shape {self._fixed.shape}, input {x.shape}")
            self.mask = self._fixed
        else:
            self.mask = (self.rng.random(x.shape) >= self.rate) / (1.0 - self.rate)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask

    def __repr__(self):
        return f"Dropout({self.rate:g})"
