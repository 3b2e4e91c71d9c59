"""Gradient clipping: each mode against an independent computation, in place, and as fit's `clip` hook."""

import numpy as np
import pytest

from nncourse import SGD, fit
from nncourse.blocks.clipping import clip_by_global_norm, clip_by_norm, clip_by_value, clipper
from nncourse.lessons.vanishing_exploding_gradients import chain_network


def _grads(rng):
    return [rng.normal(size=(3, 4)) * 5, rng.normal(size=(4,)) * 0.1, rng.normal(size=(4, 1)) * 2]


def test_clip_by_value_bounds_every_entry(rng):
    grads = _grads(rng)
    expected = [np.minimum(np.maximum(g, -1.0), 1.0) for g in grads]
    before = clip_by_value(grads, 1.0)
    assert before == max(np.abs(g).max() for g in _grads(np.random.default_rng(1234)))
    for g, e in zip(grads, expected):
        assert np.array_equal(g, e)
    assert max(np.abs(g).max() for g in grads) == 1.0


def test_clip_by_norm_rescales_each_tensor_separately(rng):
    grads = _grads(rng)
    copies = [g.copy() for g in grads]
    largest = clip_by_norm(grads, 1.0)
    assert largest == pytest.approx(max(np.sqrt(np.sum(c**2)) for c in copies), rel=1e-12)
    for g, c in zip(grads, copies):
        norm = np.sqrt(np.sum(c**2))
        if norm > 1.0:
            np.testing.assert_allclose(g, c / norm, rtol=1e-12)  # norm 1, same direction
        else:
            assert np.array_equal(g, c)  # small tensors untouched
    assert any(np.sqrt(np.sum(c**2)) <= 1.0 for c in copies), "the test data has a tensor below the threshold"


def test_clip_by_global_norm_is_pascanu_algorithm_1(rng):
    grads = _grads(rng)
    copies = [g.copy() for g in grads]
    total = np.sqrt(sum(np.sum(c**2) for c in copies))
    seen = clip_by_global_norm(grads, 2.0)
    assert seen == pytest.approx(total, rel=1e-12)
    for g, c in zip(grads, copies):
        np.testing.assert_allclose(g, 2.0 * c / total, rtol=1e-12)  # g <- threshold g / ||g||
    assert np.sqrt(sum(np.sum(g**2) for g in grads)) == pytest.approx(2.0, rel=1e-12)


def test_global_norm_below_threshold_is_untouched(rng):
    grads = [g * 1e-3 for g in _grads(rng)]
    copies = [g.copy() for g in grads]
    clip_by_global_norm(grads, 10.0)
    assert all(np.array_equal(g, c) for g, c in zip(grads, copies))


def test_clipper_modes_and_errors(rng):
    assert clipper("none", 1.0) is None
    for mode, fn in (("value", clip_by_value), ("norm", clip_by_norm), ("global_norm", clip_by_global_norm)):
        a, b = _grads(np.random.default_rng(5)), _grads(np.random.default_rng(5))
        clipper(mode, 0.5)(a)
        fn(b, 0.5)
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ValueError, match="global_norm"):
        clipper("max", 1.0)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            clipper("value", bad)
        with pytest.raises(ValueError, match="threshold"):
            clip_by_global_norm(_grads(rng), bad)


def test_fit_clip_hook_limits_the_update():
    """With SGD(lr=1) the update is minus the clipped gradient: its global norm is at most the threshold."""
    model = chain_network(depth=4, width=3, init="constant", value=0.5)
    before = [p.copy() for p in (layer.params[k] for layer, k in model.parameters())]
    x, y = np.ones((1, 1)), np.full((1, 1), 1e12)
    hist = fit(model, x, y, loss="absolute_error", optimizer=SGD(1.0), epochs=1, clip=clipper("global_norm", 0.25))
    after = [layer.params[k] for layer, k in model.parameters()]
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, before)))
    assert hist.grad_norm_array()[0].max() > 1.0  # the raw gradient was larger ...
    assert step == pytest.approx(0.25, rel=1e-12)  # ... the update was clipped to the threshold
