"""Magnitude pruning with masks, rewinding, and the lottery-ticket loop (Frankle & Carbin 2018, "The lottery
ticket hypothesis: finding sparse, trainable neural networks", arXiv:1803.03635).

A pruned weight is held at zero by a fixed 0/1 mask M: the layer computes y = x @ (W * M) + b and its weight
gradient is (x^T dout) * M, so a pruned weight receives no update from any optimizer and stays exactly zero.
Biases are never pruned (as in the paper). Plain `Dense` layers are untouched: only a model converted with
`prunable(model)` pays for the mask.

Rounding: a round that prunes a fraction r of a layer's n surviving weights removes round(r n) of them, with
halves rounded up (floor(r n + 1/2)); after k rounds a layer keeps `remaining_counts(n, r, k)[k]` weights,
within a few weights of n (1 - r)^k.
"""

import copy

import numpy as np

from nncourse.core import _validate
from nncourse.core.init import initializer
from nncourse.core.layers import Dense
from nncourse.core.model import Sequential


class MaskedDense(Dense):
    """Dense layer with a fixed 0/1 mask on its weights: y = x @ (W * M) + b.

    Shapes: x (N, D_in), W and M (D_in, D_out), b (D_out,).
    Backward: dW = (x^T dout) * M, db = sum_n dout, dx = dout (W * M)^T.
    """

    def __init__(self, n_in, n_out, rng=None, init="glorot_uniform", bias_init="zeros"):
        super().__init__(n_in, n_out, rng=rng, init=init, bias_init=bias_init)
        self.mask = np.ones_like(self.params["W"])

    @classmethod
    def from_dense(cls, layer):
        """A MaskedDense holding copies of a Dense layer's W and b, with nothing pruned yet."""
        _validate.taken_by("from_dense", layer, Dense, "a Dense layer")
        out = cls.from_arrays(layer.params["W"], layer.params["b"])
        if isinstance(layer, MaskedDense):
            out.set_mask(layer.mask)
        return out

    def set_mask(self, mask):
        """Use `mask` (0/1, the shape of W) from now on, and zero the pruned weights."""
        mask = _validate.weight_mask(mask, self.params["W"].shape)
        self.mask = mask.copy()
        self.params["W"] *= self.mask

    @property
    def n_kept(self):
        """How many weights survive."""
        return int(self.mask.sum())

    @property
    def density(self):
        """The fraction of weights that survive."""
        return self.n_kept / self.mask.size

    def forward(self, x, train=True):
        self.x = x = _validate.layer_input(f"MaskedDense({self.n_in}, {self.n_out})", x, self.n_in)
        self.W_eff = self.params["W"] * self.mask
        return x @ self.W_eff + self.params["b"]

    def backward(self, dout):
        _validate.upstream(self, dout, self.x, self.n_out)
        self.grads["W"] = (self.x.T @ dout) * self.mask
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.W_eff.T

    def __repr__(self):
        return f"MaskedDense({self.n_in}, {self.n_out}, density={self.density:.3g})"


def prunable(model):
    """A copy of `model` (a Sequential) in which every Dense layer is a MaskedDense with an all-ones mask."""
    _validate.taken_by("prunable", model, Sequential, "a Sequential")
    return Sequential(
        [MaskedDense.from_dense(layer) if isinstance(layer, Dense) else copy.deepcopy(layer) for layer in model.layers]
    )


def masked_layers(model):
    """The MaskedDense layers of `model`, in order (raises if there are none)."""
    layers = [layer for layer in _validate.sequential(model).layers if isinstance(layer, MaskedDense)]
    if not layers:
        raise _validate.InputError("the model has no MaskedDense layers: convert it with prunable(model) first")
    return layers


def n_to_prune(n_remaining, rate):
    """How many of n_remaining weights one round removes: round(rate * n_remaining), halves rounded up."""
    return int(np.floor(rate * n_remaining + 0.5))


def remaining_counts(n, rate, rounds):
    """[n_0, n_1, ..., n_rounds]: the weights a layer of n weights keeps after each round of pruning `rate` of
    its survivors (n_{k+1} = n_k - round(rate n_k)). Compare with n (1 - rate)^k."""
    _validate.fraction("pruning rate", rate)
    rounds = _validate.non_negative_int("rounds", rounds)
    counts = [_validate.non_negative_int("n", n)]
    for _ in range(rounds):
        counts.append(counts[-1] - n_to_prune(counts[-1], rate))
    return counts


def layer_rates(model, rate, output_rate=None):
    """One pruning rate per MaskedDense layer: `rate` for each, except `output_rate` (if given) for the last.
    Frankle & Carbin prune fully connected hidden layers at 20% and the output layer at 10% per round."""
    n = len(masked_layers(model))
    rates = [_validate.fraction("pruning rate", rate)] * n
    if output_rate is not None:
        rates[-1] = _validate.fraction("output pruning rate", output_rate)
    return rates


def _smallest_survivors(magnitudes, mask, k):
    """Flat indices of the k smallest |W| among the entries where mask == 1 (ties: lower index first)."""
    alive = np.flatnonzero(mask.ravel() == 1)
    order = np.argsort(magnitudes.ravel()[alive], kind="stable")
    return alive[order[:k]]


def prune_by_magnitude(model, rate, output_rate=None, scope="layer"):
    """One round of magnitude pruning: remove the surviving weights with the smallest |W|.

    scope="layer": each layer loses round(r n) of its n survivors, r from `layer_rates` (the paper's choice
    for fully connected networks). scope="global": all layers' survivors are ranked together and
    round(rate N) of the N are removed, wherever they are (the paper's choice for its deep conv nets).
    One-shot pruning is one call with a large rate; iterative pruning repeats a small rate between trainings.
    Returns the new fraction of weights kept per layer."""
    layers = masked_layers(model)
    _validate.choice("pruning scope", scope, ("layer", "global"))
    if scope == "layer":
        for layer, r in zip(layers, layer_rates(model, rate, output_rate)):
            idx = _smallest_survivors(np.abs(layer.params["W"]), layer.mask, n_to_prune(layer.n_kept, r))
            mask = layer.mask.copy()
            mask.ravel()[idx] = 0.0
            layer.set_mask(mask)
    else:
        if output_rate is not None:
            raise _validate.InputError("global pruning uses one rate for all layers; leave output_rate=None")
        rate = _validate.fraction("pruning rate", rate)
        mags = np.concatenate([np.abs(layer.params["W"]).ravel() for layer in layers])
        masks = np.concatenate([layer.mask.ravel() for layer in layers])
        idx = _smallest_survivors(mags, masks, n_to_prune(int(masks.sum()), rate))
        masks[idx] = 0.0
        start = 0
        for layer in layers:
            size = layer.mask.size
            layer.set_mask(masks[start : start + size].reshape(layer.mask.shape))
            start += size
    return densities(model)


def densities(model):
    """The fraction of weights kept in each MaskedDense layer."""
    return [layer.density for layer in masked_layers(model)]


def total_density(model):
    """The fraction of all masked-layer weights kept."""
    layers = masked_layers(model)
    return sum(layer.n_kept for layer in layers) / sum(layer.mask.size for layer in layers)


def rewind(model, weights):
    """Reset every parameter to `weights` (from `model.get_weights()`, e.g. taken at initialization), keeping
    the masks: a surviving weight gets exactly its stored value back, a pruned one stays 0. This is the
    lottery ticket's "reset to theta_0"."""
    model.set_weights(weights)
    for layer in masked_layers(model):
        layer.params["W"] *= layer.mask


def reinitialize(model, rng, init="he_normal", bias_init="zeros"):
    """The lottery ticket's control: keep each mask but draw fresh weights from the initializer (a new sample
    from the same distribution), so only the sparse structure is kept from training."""
    _validate.rng(rng)
    w_init, b_init = initializer(init), initializer(bias_init)
    for layer in masked_layers(model):
        layer.params["W"][...] = w_init(layer.params["W"].shape, rng) * layer.mask
        layer.params["b"][...] = b_init(layer.params["b"].shape, rng)


def dead_units(z):
    """Which units (columns of the pre-activation z, shape (N, units)) are <= 0 on every sample: a ReLU unit
    like that outputs 0 and passes no gradient. Its mean is `diagnostics.dead_unit_fraction(z)`."""
    return np.all(_validate.pre_activations("z", z) <= 0, axis=0)


def iterative_pruning(model, train, rounds, rate, output_rate=None, scope="layer", rewind_weights=True):
    """Iterative magnitude pruning, the lottery-ticket procedure (Frankle & Carbin 2018, section 1):
    1. keep theta_0 = the weights now; 2. train; 3. prune `rate` of the survivors by magnitude;
    4. rewind the survivors to theta_0 (rewind_weights=True) or keep their trained values and train on
    (False: pruning with fine-tuning, as in Han et al. 2015); repeat 2-4 for `rounds` rounds.

    train(model, k) -> record is called for round k = 0 (dense), 1, ..., rounds, with the model already
    pruned and reset for that round. Returns the list of records."""
    rounds = _validate.non_negative_int("rounds", rounds)
    _validate.function("train", train, "lambda model, k: fit(model, X, y, ...)", optional=False)
    masked_layers(model)
    theta0 = model.get_weights()
    records = []
    for k in range(rounds + 1):
        if k > 0:
            prune_by_magnitude(model, rate, output_rate=output_rate, scope=scope)
            if rewind_weights:
                rewind(model, theta0)
        records.append(train(model, k))
    return records
