"""2-D surfaces: gradients against finite differences and autograd; paths; the quadratic's theory."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from nncourse.blocks.surfaces import (
    REGIME_DEFINITIONS,
    REGIMES,
    SURFACES,
    best_fixed_lr,
    contraction,
    critical_lr,
    get_surface,
    measured_regime,
    quadratic,
    quadratic_regime,
    rosenbrock,
    run_path,
    steps_to_shrink,
    two_minima,
)
from nncourse.core.gradcheck import relative_error
from nncourse.core.optim import SGD, Adam, get_optimizer

AUTOGRAD = {
    "quadratic": lambda p: 0.5 * (1.0 * p[0] ** 2 + 10.0 * p[1] ** 2),
    "rosenbrock": lambda p: (1.0 - p[0]) ** 2 + 20.0 * (p[1] - p[0] ** 2) ** 2,
    "two_minima": lambda p: (p[0] ** 2 - 1) ** 2 + 0.3 * p[0] + 0.5 * p[1] ** 2,
}


def _numeric(f, p, h=1e-6):
    out = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (f(p + e) - f(p - e)) / (2 * h)
    return out


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradient_matches_finite_differences_and_autograd(name, rng):
    surf = get_surface(name)
    for _ in range(5):
        p = rng.uniform(-1.5, 1.5, size=2)
        g = surf.gradient(p)
        assert relative_error(g, _numeric(surf.value, p)) < 1e-8
        assert relative_error(g, grad(AUTOGRAD[name])(anp.array(p))) < 1e-12
        assert surf.value(p) == pytest.approx(AUTOGRAD[name](p), rel=1e-14)


@pytest.mark.parametrize("name", list(SURFACES))
def test_minima_are_stationary(name):
    surf = get_surface(name)
    for m in surf.minima:
        np.testing.assert_allclose(surf.gradient(np.array(m, dtype=float)), 0.0, atol=1e-12)


def test_two_minima_global_is_lower():
    s = two_minima()
    assert s.value(np.array(s.minima[0])) < s.value(np.array(s.minima[1]))
    assert s.minima[0][0] < 0 < s.minima[1][0]


def test_grid_shape():
    P1, P2, F = rosenbrock().grid(30)
    assert P1.shape == P2.shape == F.shape == (30, 30)


def test_theory_of_plain_gd_on_the_quadratic():
    lams = (1.0, 10.0)
    assert critical_lr(lams) == pytest.approx(0.2)
    assert contraction(0.1, lams) == pytest.approx(0.9)
    assert steps_to_shrink(0.1, lams) == 66  # ceil(ln 1e-3 / ln 0.9)
    assert steps_to_shrink(0.3, lams) == float("inf")
    assert quadratic_regime(0.01, lams) == "crawls"
    assert quadratic_regime(0.1, lams) == "converges"
    assert quadratic_regime(0.15, lams) == "converges, oscillating"
    assert quadratic_regime(0.2, lams) == "oscillates forever"
    assert quadratic_regime(0.21, lams) == "diverges"
    assert quadratic_regime(0.199, lams) == "crawls"  # |1 - 1.99| = 0.99: 688 steps
    assert best_fixed_lr(lams) == pytest.approx(2 / 11)
    # at the best fixed step both coordinates shrink equally, by (kappa - 1) / (kappa + 1)
    assert contraction(2 / 11, lams) == pytest.approx(9 / 11)
    assert all(contraction(best_fixed_lr(lams), lams) <= contraction(lr, lams) for lr in np.linspace(0.01, 0.19, 50))


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.0562, 0.1, 0.15, 0.178, 2 / 11, 0.199, 0.2, 0.21, 0.316, 1.0])
def test_measured_regime_agrees_with_theory(lr):
    """Each run is labelled by what its path did; at every rate the label is the theory's."""
    lams = (1.0, 10.0)
    path = run_path(quadratic(*lams), SGD(lr), steps=100)
    assert measured_regime(path, lams) == quadratic_regime(lr, lams, steps=100)
    assert measured_regime(path, lams) in REGIMES and set(REGIME_DEFINITIONS) == set(REGIMES)


def test_constant_amplitude_at_the_critical_rate():
    """lr = 2 / lam_max: the steep coordinate flips between +-1.5 for ever, neither shrinking nor growing."""
    path = run_path(quadratic(1.0, 10.0), SGD(0.2), steps=400)
    assert not path.diverged
    np.testing.assert_allclose(np.abs(path.points[:, 1]), 1.5, rtol=1e-12)
    assert np.all(np.sign(path.points[1:, 1]) == -np.sign(path.points[:-1, 1]))


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.15, 0.19, 0.21, 0.3, 1.0])
def test_simulation_agrees_with_theory(lr):
    """Diverges iff lr > 2 / lam_max; oscillation = the steep coordinate changes sign every step."""
    lams = (1.0, 10.0)
    path = run_path(quadratic(*lams), SGD(lr), steps=400)
    regime = quadratic_regime(lr, lams, steps=400)
    assert path.diverged == (regime == "diverges")
    p2 = path.points[:20, 1]
    flips = np.all(np.sign(p2[1:]) == -np.sign(p2[:-1]))
    assert flips == (lr > 0.1)
    if not path.diverged:
        # the distance shrinks exactly by the contraction factor per step in the slow coordinate
        np.testing.assert_allclose(path.points[1:, 0] / path.points[:-1, 0], 1 - lr, rtol=1e-12)


def test_divergence_stops_cleanly_and_reports_the_step():
    """x -> (1 - lr lam) x with |1 - 10| = 9: |p2| = 1.5 * 9^k passes 1e6 at k = 7 (1.5 * 9^6 = 797,162)."""
    path = run_path(quadratic(1.0, 10.0), SGD(1.0), steps=100)  # pytest turns RuntimeWarnings into errors
    assert path.diverged_at == 7
    assert path.steps == 6 and len(path.points) == 7
    assert "diverged at step 7" in path.status
    # a finished path's status rounds to 3 figures, as a learner reads it
    assert run_path(quadratic(1.0, 10.0), SGD(0.1)).status == "100 steps, loss 5.64e-09, 0.000106 from a minimum"
    assert path.nearest_minimum() is None and path.distance_to_minimum() == float("inf")
    inf_path = run_path(quadratic(1.0, 10.0), SGD(1.0), steps=1000, bound=1e300)
    assert inf_path.diverged and np.all(np.isfinite(inf_path.points))


def test_adam_first_step_moves_each_coordinate_by_lr():
    """Adam's bias-corrected first step is lr * sign(g) in every coordinate, whatever the curvature."""
    path = run_path(quadratic(1.0, 10.0), Adam(0.1), start=(-4.0, 1.5), steps=1)
    np.testing.assert_allclose(path.points[1], [-3.9, 1.4], rtol=1e-7)


def test_nearest_minimum_on_two_minima():
    s = two_minima()
    small = run_path(s, SGD(0.01), steps=2000)
    assert small.nearest_minimum() == 1 and small.distance_to_minimum() < 1e-6


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: run_path(quadratic(), "sgd"), "optimizer must be an Optimizer"),
        (lambda: run_path(quadratic(), SGD(0.1), steps=0), "steps must be a positive integer"),
        (lambda: run_path(quadratic(), SGD(0.1), start=(1.0, 2.0, 3.0)), r"start must be a point \(p1, p2\)"),
        (lambda: run_path(quadratic(), SGD(0.1), start=(np.nan, 0.0)), "start contains NaN"),
        (lambda: get_surface("himmelblau"), "unknown surface 'himmelblau'; choose one of: 'quadratic'"),
        (lambda: quadratic(lam1=0), "lam1 must be a positive number"),
        (lambda: quadratic_regime(-0.1, (1.0,)), "learning rate must be a positive number"),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_every_optimizer_reaches_the_quadratic_minimum():
    for name, lr in {
        "sgd": 0.1,
        "momentum": 0.05,
        "nesterov": 0.05,
        "adagrad": 1.0,
        "rmsprop": 0.03,
        "adam": 0.3,
    }.items():
        path = run_path(quadratic(), get_optimizer(name, lr), steps=300)
        assert path.distance_to_minimum() < 0.05, name
