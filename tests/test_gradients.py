"""Lesson 05 (vanishing and exploding gradients): the case study's numbers from first principles and from the
library, the remedies, and every number the prose states, found as written in the notebook."""
import math

import numpy as np
import pytest

from conftest import notebook_markdown, notebook_outputs, stated_value as stated
from nncourse import losses
from nncourse.experiments import gradients as G

NB = "05_vanishing_exploding_gradients.ipynb"


@pytest.fixture(scope="module")
def md():
    return notebook_markdown(NB)


@pytest.fixture(scope="module")
def outputs():
    return notebook_outputs(NB)


def test_chain_architecture():
    model = G.chain_network(depth=10, width=3, init="constant", value=1e-3)
    shapes = [layer.params["W"].shape for layer in model.param_layers]
    assert shapes == [(1, 3)] + [(3, 3)] * 9 + [(3, 1)]
    assert all(np.all(layer.params["W"] == 1e-3) and np.all(layer.params["b"] == 0) for layer in model.param_layers)


def test_first_layer_gradient_at_1e_minus_3(md, outputs):
    r = G.run_case_study(weight=1e-3, lr=0.01, steps=100, depth=10)
    exact = -(3 ** 9) * 1e-3 ** 10
    assert G.exact_first_gradient(1e-3, 10, 3) == pytest.approx(exact, rel=1e-12)
    np.testing.assert_allclose(r["first_grad"], np.full((1, 3), exact), rtol=1e-9)
    # by hand, independently of the Dense layers: back through 10 constant 3-wide matrices
    g = np.array([[-1.0]])                          # dL/d(output) for output < target
    for W in [np.full((3, 1), 1e-3)] + [np.full((3, 3), 1e-3)] * 9:
        g = g @ W.T
    np.testing.assert_allclose(r["first_grad"], g * 1.0, rtol=1e-12)    # x = 1
    assert G.estimated_first_gradient(1e-3, 10) == pytest.approx(1e-27, rel=1e-12)
    assert "1e-27" in md and stated(md, exact) == "-1.968e-26" and "19683" in md and "1.9683" in md
    stated(md, abs(exact) / 1e-27)                  # 19.68: 3^9 paths times one more factor 1e-3
    assert "exact formula        : -1.968e-26" in outputs


def test_vanishing_runs_make_no_progress(md):
    a = G.run_case_study(weight=1e-3, lr=0.01, steps=100)
    b = G.run_case_study(init="uniform", low=5e-3, high=5e-2, lr=0.01, steps=100, seed=0)
    for r in (a, b):
        assert not r["history"].diverged and 0 < G.relative_progress(r) < 1e-11
        stated(md, G.relative_progress(r))
    assert a["output0"] == pytest.approx(3 ** 10 * 1e-3 ** 11, rel=1e-9)
    stated(md, a["output0"]), stated(md, a["final_output"])
    assert np.all((5e-3 ** 10 < np.abs(b["first_grad"])) & (np.abs(b["first_grad"]) < 1e-10))
    stated(md, abs(b["first_grad"][0, 0]), ".1e")


def test_exploding_run_diverges_cleanly(md, outputs):
    r = G.run_case_study(weight=0.5, lr=1.0, steps=100)
    assert r["output0"] == pytest.approx(3 ** 10 * 0.5 ** 11, rel=1e-12)
    assert r["history"].diverged_at == 4 and r["status"] == "diverged at step 4 (loss = inf)"
    loss = r["history"].loss
    assert loss[1] > 1e3 * G.TARGET and loss[2] > 1e100     # past the target by orders of magnitude
    assert G.loss_jump(r)[0] == 3
    for v in (r["output0"], loss[0], r["outputs"][0], loss[1], loss[2]):
        stated(md, v)
    assert "diverged at step 4 (loss = inf)" in md and "diverged at step 4 (loss = inf)" in outputs


def test_countermeasures(md):
    res = G.run_countermeasures(weight=0.5, lr=1.0, steps=100)
    assert res["none"]["history"].diverged_at == 4
    for name in ("clip by value 1", "clip each tensor's norm to 1", "clip the global norm to 1",
                 "sensible init + global norm 1"):
        h = res[name]["history"]
        assert not h.diverged and h.steps == 100
        assert min(h.loss) < G.TARGET
        stated(md, float(np.min(h.loss)))
    assert res["sensible init (lecun_normal)"]["history"].diverged_at == 6 and "diverged at step 6" in md
    # the raw gradient exceeded the threshold, so the clipping acted
    glob = res["clip the global norm to 1"]["history"].grad_norm_array()
    assert glob.max() > 1.0


def test_activation_derivative_bounds(md):
    assert G.max_derivative("sigmoid") == pytest.approx(0.25, abs=1e-12)
    assert G.max_derivative("tanh") == pytest.approx(1.0, abs=1e-12)
    assert "at most 0.25" in md and "tanh's at most 1" in md


def test_depth_profile(md):
    p = G.run_depth_profile(depth=30, width=64, seed=0)
    s, t, r = p["sigmoid"], p["tanh"], p["relu"]
    assert s.shape == (31,) and s[0] < 1e-15 * s[-1]
    assert 0.5 < t[0] / t[-1] < 2
    for v in (s[0], s[-1], t[0], t[-1], r[0], r[-1]):
        stated(md, v)


def test_residual_connections_keep_the_gradient(md):
    res = G.run_residual_comparison(depths=(20, 30, 50), width=32, activation_name="sigmoid", seed=0)
    for depth, r in res.items():
        assert r["plain"].shape == r["residual"].shape == (depth + 1,)
        assert r["residual"][0] > 1.0 > 1e-10 > r["plain"][0]
    for d in (20, 50):
        stated(md, res[d]["plain"][0]), stated(md, res[d]["residual"][0])


def test_remedies_training(md):
    t = G.run_remedies_training(depth=20, width=16, lr=0.1, steps=200, seed=0)
    s, r, res = t["sigmoid"], t["relu"], t["sigmoid + residual"]
    assert s["history"].final_loss == pytest.approx(math.log(2), abs=1e-3)
    assert r["history"].final_loss < 0.5 * s["history"].final_loss
    assert res["history"].final_loss < 0.6 * s["history"].final_loss
    for v in (s["history"].final_loss, r["history"].final_loss, r["accuracy"], res["history"].final_loss,
              res["accuracy"]):
        stated(md, v)


def test_case_study_panel_moves():
    panel = G.case_study_panel()
    assert panel.result["history"].diverged_at == 4
    panel.controls["clip_mode"].value = "global_norm"
    assert not panel.result["history"].diverged
    panel.controls["weight"].value = 0.001
    assert panel.result["grad_norms0"][0] < 1e-20
    assert "layer 1" in G.case_summary(panel.result)
    with pytest.raises(ValueError, match="clipping mode"):
        G.run_case_panel(clip_mode="sometimes")
    with pytest.raises(ValueError, match="depth"):
        G.run_case_panel(depth=0)


def test_absolute_error_sign_convention():
    """The derivation's sign: below the target dL/d(output) = -1."""
    _, d = losses.absolute_error(np.array([[3.0]]), np.array([[1e12]]))
    assert d[0, 0] == -1.0


def test_arithmetic_in_prose(md):
    assert 3 ** 9 == 19683 and "3⁹ = 19683" in md
    assert round(-math.log10(3 ** 9 * 1e-3 ** 10)) == 26 and "26 orders of magnitude" in md
    assert 5e-2 / 1e-3 == pytest.approx(50) and "up to 50 times larger" in md
    assert 1 / G.max_derivative("sigmoid") == pytest.approx(4) and "by at least 4" in md


def test_exploding_start_gradients_are_of_order_20(md):
    r = G.run_case_study(weight=0.5, lr=1.0, steps=1)
    assert np.all((10 < r["grad_norms0"]) & (r["grad_norms0"] < 50))
    assert "of order 20" in md


def test_slider_suggestions_are_slider_positions(md):
    """The values the 'Try it' text suggests are positions the log slider can take (4 per decade)."""
    panel = G.case_study_panel()
    w = panel.controls["weight"]
    positions = 10.0 ** np.arange(w.min, w.max + 1e-9, w.step)
    for v in (0.316, 0.562):
        assert np.min(np.abs(positions - v)) < 1e-3
        assert f"3 · {v}" in md
    assert 3 * 0.316 < 1 < 3 * 0.562


def test_panel_plot_of_a_run_that_never_moves_is_quiet():
    """A vanishing run's loss stays at 1e12 to 10 digits: the log-scale plot must not warn (a warning would land
    in the learner's notebook)."""
    import io
    import warnings

    from matplotlib.figure import Figure
    r = G.run_case_panel(weight=1e-4, lr=1e-4, depth=30)
    assert max(r["history"].loss) < min(r["history"].loss) * (1 + 1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = Figure()
        G.plot_case_panel(r, fig)
        fig.savefig(io.BytesIO(), format="png")
    assert fig.axes[0].get_yscale() == "log"
