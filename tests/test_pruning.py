"""Masks, magnitude pruning, rewinding and the lottery-ticket loop: masked weights and their gradients are
zero and stay zero through training; per-layer and global pruning remove exactly the smallest weights;
rewinding restores the stored values exactly; the counts per round follow the stated rounding."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse import SGD, fit, mlp
from nncourse.blocks.pruning import (
    MaskedDense,
    dead_units,
    densities,
    iterative_pruning,
    layer_rates,
    masked_layers,
    n_to_prune,
    prunable,
    prune_by_magnitude,
    reinitialize,
    remaining_counts,
    rewind,
    total_density,
)
from nncourse.core import gradcheck
from nncourse.core.diagnostics import dead_unit_fraction
from nncourse.core.layers import Dense

TOL = 1e-7


def _random_mask(shape, rng, keep=0.6):
    return (rng.random(shape) < keep).astype(np.float64)


def test_masked_dense_backward_matches_finite_differences(rng):
    layer = MaskedDense(5, 4, rng=rng, init="he_normal", bias_init="uniform")
    layer.set_mask(_random_mask((5, 4), rng))
    errs = gradcheck.check_layer(layer, rng.normal(size=(6, 5)), rng)
    assert max(errs.values()) < TOL, errs


def test_masked_dense_matches_autograd(rng):
    layer = MaskedDense(4, 3, rng=rng, bias_init="uniform")
    mask = _random_mask((4, 3), rng)
    layer.set_mask(mask)
    x, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    W, b = layer.params["W"].copy(), layer.params["b"].copy()

    def f(x, W, b):
        return anp.sum((anp.dot(x, W * mask) + b) * dout)

    y = layer.forward(x)
    dx = layer.backward(dout)
    assert np.allclose(y, x @ (W * mask) + b, rtol=0, atol=1e-14)
    assert gradcheck.relative_error(dx, grad(f, 0)(x, W, b)) < 1e-12
    assert gradcheck.relative_error(layer.grads["W"], grad(f, 1)(x, W, b)) < 1e-12
    assert gradcheck.relative_error(layer.grads["b"], grad(f, 2)(x, W, b)) < 1e-12


def test_masked_dense_with_a_full_mask_is_a_dense_layer(rng):
    dense = Dense(3, 2, rng=rng, bias_init="uniform")
    masked = MaskedDense.from_dense(dense)
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert np.array_equal(dense.forward(x), masked.forward(x))
    assert np.array_equal(dense.backward(dout), masked.backward(dout))
    assert np.array_equal(dense.grads["W"], masked.grads["W"])


def test_masks_keep_pruned_weights_and_their_gradients_at_zero_through_training(rng):
    model = prunable(mlp([2, 16, 16, 1], rng=rng))
    prune_by_magnitude(model, 0.5)
    X, y = rng.normal(size=(64, 2)), rng.normal(size=(64, 1))
    hist = fit(model, X, y, optimizer=SGD(0.05), epochs=30, batch_size=16, rng=rng)
    assert not hist.diverged and hist.loss[-1] < hist.loss[0]
    for layer in masked_layers(model):
        pruned = layer.mask == 0
        assert pruned.sum() == layer.mask.size // 2
        assert np.all(layer.params["W"][pruned] == 0.0) and np.all(layer.grads["W"][pruned] == 0.0)
        assert np.any(layer.grads["W"][~pruned] != 0.0)


def test_a_masked_weight_that_drifts_still_has_no_effect(rng):
    """Whatever an optimizer does to W, the layer computes with W * mask."""
    layer = MaskedDense(3, 2, rng=rng)
    layer.set_mask(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    x = rng.normal(size=(4, 3))
    before = layer.forward(x)
    layer.params["W"][0, 1] = 123.0
    assert np.array_equal(layer.forward(x), before)


def test_per_layer_pruning_removes_exactly_the_smallest_magnitudes(rng):
    model = prunable(mlp([4, 10, 3], rng=rng))
    W0 = [layer.params["W"].copy() for layer in masked_layers(model)]
    prune_by_magnitude(model, 0.2, output_rate=0.1)
    for layer, W, r in zip(masked_layers(model), W0, (0.2, 0.1)):
        k = n_to_prune(W.size, r)
        assert layer.n_kept == W.size - k
        cut = np.sort(np.abs(W).ravel())[k - 1]
        assert np.all(np.abs(W)[layer.mask == 0] <= cut) and np.all(np.abs(W)[layer.mask == 1] > cut)


def test_global_pruning_ranks_all_layers_together(rng):
    model = prunable(mlp([4, 10, 3], rng=rng))
    out_W = masked_layers(model)[1].params["W"]
    out_W[...] = 10.0 + np.abs(out_W)  # every output weight is larger than every hidden one
    prune_by_magnitude(model, 0.5, scope="global")
    hidden, out = masked_layers(model)
    assert out.density == 1.0 and hidden.n_kept == 40 + 30 - 35 - 30
    assert total_density(model) == 35 / 70


def test_layer_rates_put_the_output_rate_last(rng):
    model = prunable(mlp([2, 4, 4, 1], rng=rng))
    assert layer_rates(model, 0.2, output_rate=0.1) == [0.2, 0.2, 0.1]
    assert layer_rates(model, 0.3) == [0.3, 0.3, 0.3]


def test_pruning_rejects_bad_input(rng):
    model = prunable(mlp([2, 3, 1], rng=rng))
    for kwargs in (
        {"rate": 1.0},
        {"rate": -0.1},
        {"rate": 0.2, "scope": "row"},
        {"rate": 0.2, "output_rate": 0.1, "scope": "global"},
    ):
        with pytest.raises(ValueError):
            prune_by_magnitude(model, **kwargs)
    with pytest.raises(ValueError, match="prunable"):
        prune_by_magnitude(mlp([2, 3, 1], rng=rng), 0.2)
    with pytest.raises(ValueError, match="0 \\(pruned\\) or 1"):
        masked_layers(model)[0].set_mask(np.full((2, 3), 0.5))


def test_rewinding_restores_the_stored_initial_values_exactly(rng):
    model = prunable(mlp([3, 8, 8, 2], rng=rng, bias_init="uniform"))
    theta0 = model.get_weights()
    X, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
    fit(model, X, y, optimizer=SGD(0.05), epochs=5)
    prune_by_magnitude(model, 0.3)
    rewind(model, theta0)
    for layer, w0 in zip(model.layers, theta0):
        if isinstance(layer, MaskedDense):
            kept = layer.mask == 1
            assert np.array_equal(layer.params["W"][kept], w0["W"][kept])
            assert np.all(layer.params["W"][~kept] == 0.0)
            assert np.array_equal(layer.params["b"], w0["b"])


def test_reinitialize_keeps_masks_and_draws_new_weights(rng):
    model = prunable(mlp([3, 50, 2], rng=rng))
    prune_by_magnitude(model, 0.5)
    masks = [layer.mask.copy() for layer in masked_layers(model)]
    before = [layer.params["W"].copy() for layer in masked_layers(model)]
    reinitialize(model, np.random.default_rng(7), init="he_normal")
    for layer, m, w in zip(masked_layers(model), masks, before):
        assert np.array_equal(layer.mask, m) and np.all(layer.params["W"][m == 0] == 0)
        assert not np.any(layer.params["W"][m == 1] == w[m == 1])


@pytest.mark.parametrize("n", [6400, 1000, 640, 4096, 7])
def test_remaining_counts_follow_the_stated_rounding(n):
    for rate in (0.2, 0.1):
        counts = remaining_counts(n, rate, 12)
        for k in range(1, 13):
            removed = counts[k - 1] - counts[k]
            assert removed == int(np.floor(rate * counts[k - 1] + 0.5))
            # each round's rounding moves the count by at most half a weight, and errors shrink by (1 - rate)
            assert abs(counts[k] - n * (1 - rate) ** k) <= 0.5 / rate + 1e-9


def test_iterative_pruning_reaches_the_counts_and_rewinds_each_round(rng):
    model = prunable(mlp([64, 100, 10], rng=rng))
    theta0 = model.get_weights()
    seen = []

    def train(m, k):
        hidden, out = masked_layers(m)
        seen.append((hidden.n_kept, out.n_kept))
        w0 = theta0[0]["W"]
        assert np.array_equal(hidden.params["W"][hidden.mask == 1], w0[hidden.mask == 1])  # rewound
        # stand-in for training: move every surviving weight
        for layer in masked_layers(m):
            layer.params["W"] += rng.normal(size=layer.params["W"].shape) * layer.mask
        return k

    assert iterative_pruning(model, train, 5, 0.2, output_rate=0.1) == [0, 1, 2, 3, 4, 5]
    assert seen == list(zip(remaining_counts(6400, 0.2, 5), remaining_counts(1000, 0.1, 5)))
    assert seen[2] == (4096, 810) and seen[3] == (3277, 729)
    # round 5: 0.8^5 * 6400 = 2097.152 but rounding each round leaves 2098; 0.9^5 * 1000 = 590.49 -> 590
    assert densities(model) == [2098 / 6400, 590 / 1000]


def test_fine_tuning_keeps_trained_values(rng):
    model = prunable(mlp([4, 6, 2], rng=rng))
    snapshots = []

    def train(m, k):
        snapshots.append([layer.params["W"].copy() for layer in masked_layers(m)])
        for layer in masked_layers(m):
            layer.params["W"] += 1.0 * layer.mask
        return k

    iterative_pruning(model, train, 1, 0.5, rewind_weights=False)
    hidden = masked_layers(model)[0]
    kept = hidden.mask == 1
    assert np.array_equal(snapshots[1][0][kept], snapshots[0][0][kept] + 1.0)


def test_dead_units_agree_with_the_diagnostics_fraction(rng):
    z = rng.normal(size=(20, 6))
    z[:, [1, 4]] = -np.abs(z[:, [1, 4]])
    z[3, 4] = 0.0
    assert np.array_equal(dead_units(z), [False, True, False, False, True, False])
    assert dead_units(z).mean() == dead_unit_fraction(z)
