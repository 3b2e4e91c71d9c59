"""Lesson 05 (vanishing and exploding gradients): the case study's numbers from first principles and from the
library, the remedies, and every number the prose states, found as written in the notebook."""

import math

import numpy as np
import pytest

from conftest import notebook_markdown, notebook_outputs, rounded, said, stated_value as stated
from nncourse.core import losses
from nncourse.lessons import vanishing_exploding_gradients as G

NB = "05_vanishing_exploding_gradients.ipynb"


@pytest.fixture(scope="module")
def md():
    return notebook_markdown(NB)


@pytest.fixture(scope="module")
def outputs():
    return notebook_outputs(NB)


def test_chain_architecture():
    """The case study's network: 10 layers, 9 of 3 units and one output unit; the experiment sets the 8 hidden
    3x3 matrices, the first and the output layer keep 1e-3."""
    model = G.chain_network(depth=9, width=3, init="constant", value=0.5, outer_weight=1e-3)
    shapes = [layer.params["W"].shape for layer in model.param_layers]
    assert shapes == [(1, 3)] + [(3, 3)] * 8 + [(3, 1)] and len(shapes) == 10
    values = [float(np.unique(layer.params["W"])[0]) for layer in model.param_layers]
    assert values == [1e-3] + [0.5] * 8 + [1e-3]
    assert all(np.all(layer.params["b"] == 0) for layer in model.param_layers)
    same = G.chain_network(depth=9, init="constant", value=1e-3)
    assert all(np.all(layer.params["W"] == 1e-3) for layer in same.param_layers)


def test_source_network_in_prose(md):
    assert "10 layers, 9 of 3 units and the single output unit" in md and "8 hidden layers" in md
    assert "learning rate 1" in md


def test_first_layer_gradient_at_1e_minus_3(md, outputs):
    r = G.run_case_study(weight=1e-3, steps=100, depth=9)
    exact = -(3**8) * 1e-3**9
    assert G.exact_first_gradient(1e-3, 9, 3) == pytest.approx(exact, rel=1e-12)
    np.testing.assert_allclose(r["first_grad"], np.full((1, 3), exact), rtol=1e-9)
    # by hand, independently of the Dense layers: back through the output layer and 8 constant 3x3 matrices
    g = np.array([[-1.0]])  # dL/d(output) for output < target
    for W in [np.full((3, 1), 1e-3)] + [np.full((3, 3), 1e-3)] * 8:
        g = g @ W.T
    np.testing.assert_allclose(r["first_grad"], g * 1.0, rtol=1e-12)  # x = 1
    # the case study's exponent is right for its 10 layers: (1e-3)^(10 - 1)
    assert G.estimated_first_gradient(1e-3, 9) == pytest.approx(1e-3 ** (10 - 1), rel=1e-12)
    assert "1e-27" in md and said(md, exact) == "-6.56e-24" and "6.561 · 10⁻²⁴" in md  # -3^8 * 1e-27, exactly
    assert abs(exact) / 1e-27 == pytest.approx(3**8) and "6561 times the estimate" in md
    assert "exact formula        : -6.56e-24" in outputs and "ratio real / estimate: 6561\n" in outputs


def test_vanishing_runs_explode_later_at_lr_1(md, outputs):
    """At the case study's lr 1 the tiny-weight chains sit at 1e12 for many steps, then blow up through the
    output layers, which still learn."""
    a = G.run_case_study(weight=1e-3, steps=100)
    b = G.run_case_study(init="uniform", low=5e-3, high=5e-2, steps=100, seed=0)
    assert a["output0"] == pytest.approx(3**9 * 1e-3**10, rel=1e-9)
    err = np.abs(G.TARGET - a["outputs"])
    drift = int(np.argmax(np.abs(err / 1e12 - 1) > 0.01)) + 1
    assert drift == 17 and "only at step 17" in md
    # not a borderline threshold: the step before is well inside 1%, the step itself well outside
    assert abs(err[drift - 2] / 1e12 - 1) < 0.005 and abs(err[drift - 1] / 1e12 - 1) > 0.02
    assert a["history"].diverged_at == 20 and "diverges at step 20" in md
    assert b["history"].diverged_at == 18 and "diverged at step 18" in md
    assert np.all((5e-3**9 < np.abs(b["first_grad"])) & (np.abs(b["first_grad"]) < 1e-10))
    low, high = np.sort(np.abs(b["first_grad"].ravel()))[[0, -1]]
    assert f"now {low:.2g} to {high:.2g} per weight" in md
    # at lr 0.01 the same chain stays stuck (what the lesson used to show)
    slow = G.run_case_study(weight=1e-3, lr=0.01, steps=100)
    assert not slow["history"].diverged and G.relative_progress(slow) < 1e-11
    assert "diverged at step 20" in outputs and "diverged at step 18" in outputs


def test_exploding_run_jumps_at_step_4(md, outputs):
    r = G.run_case_study(weight=0.5, steps=100)
    assert r["output0"] == pytest.approx(1e-3 * 1.5**8 * 3e-3, rel=1e-12)
    said(md, r["output0"]), said(md, abs(r["first_grad"][0, 0]))
    loss = r["history"].loss
    assert all(abs(v / G.TARGET - 1) < 1e-3 for v in loss[:3])
    assert G.loss_jump(r)[0] == 4 and loss[3] / loss[2] > 1e11
    assert stated(md, loss[3], ".2g") == "1.1e+24" and "at step 4 it jumps" in md
    assert round(math.log10(loss[3] / loss[2])) == 12 and "by 12 orders of magnitude" in md
    assert round(math.log10(1e17 / 1e12)) == 5 and "about 5 (10¹² to ~10¹⁷" in md
    assert r["history"].diverged_at == 5 and "diverged at step 5" in md and "diverged at step 5" in outputs


def test_relu_chain_dies_instead(md, outputs):
    ident = G.run_case_study(weight=0.5, steps=100)
    r = G.run_case_study(weight=0.5, steps=100, activation="relu")
    # identical to the identity chain while every value is positive (the first three steps and the jump)
    np.testing.assert_allclose(r["history"].loss[:4], ident["history"].loss[:4], rtol=1e-12)
    assert not r["history"].diverged and r["history"].steps == 100
    assert np.all(r["history"].grad_norm_array()[-1][1:-1] == 0.0)  # hidden layers dead
    assert f"{r['history'].final_loss:.2g}" == "1e+12" and "ends at loss 1e+12" in md
    assert "exactly 0" in md and "finite for 100 steps | final loss 1e+12" in outputs
    assert "ReLU would give exactly the same numbers" not in md


def test_countermeasures(md, outputs):
    res = G.run_countermeasures(weight=0.5, lr=1.0, steps=100)
    assert res["none"]["history"].diverged_at == 5
    for name in (
        "clip by value 1",
        "clip each tensor's norm to 1",
        "clip the global norm to 1",
        "sensible init + global norm 1",
    ):
        h = res[name]["history"]
        assert not h.diverged and h.steps == 100
        assert G.lowest_error(res[name]) < G.TARGET
    for name in ("clip by value 1", "clip each tensor's norm to 1", "clip the global norm to 1"):
        stated(md, G.lowest_error(res[name]), ".2g")
    sensible = res["sensible init (lecun_normal)"]["history"].diverged_at
    assert (
        sensible is not None and f"initialization alone does not save this run: it *diverged at step {sensible}*" in md
    )
    # L1 / L2 do not prevent the explosion
    assert res["L2 penalty 0.01"]["history"].diverged_at == 5 and "L2 run *diverged at step 5*" in md
    assert res["L1 penalty 0.01"]["history"].diverged_at == 6 and "L1 run *diverged at step 6*" in md
    # the raw gradient exceeded the threshold, so the clipping acted
    glob = res["clip the global norm to 1"]["history"].grad_norm_array()
    assert glob.max() > 1.0
    for name in ("clipvalue", "clipnorm", "global_clipnorm", "clip_grad_value_", "clip_grad_norm_"):
        assert name in md


def test_activation_derivative_bounds(md):
    assert G.max_derivative("sigmoid") == pytest.approx(0.25, abs=1e-12)
    assert G.max_derivative("tanh") == pytest.approx(1.0, abs=1e-12)
    assert "at most 0.25" in md and "tanh's at most 1" in md


def test_depth_profile(md):
    p = G.run_depth_profile(depth=30, width=64, seed=0)
    s, t, r = p["sigmoid"], p["tanh"], p["relu"]
    assert s.shape == (31,) and s[0] < 1e-15 * s[-1]
    assert round(math.log10(s[-1] / s[0])) == 19 and "19 orders of magnitude over 30 layers" in md
    assert "does **not** suit the sigmoid" in md and "4 times larger" in md
    assert 0.5 < t[0] / t[-1] < 2
    for v in (s[0], s[-1], t[0], t[-1], r[0], r[-1]):
        said(md, v)


def test_residual_connections_keep_the_gradient(md):
    res = G.run_residual_comparison(depths=(20, 30, 50), width=32, activation="sigmoid", seed=0)
    for depth, r in res.items():
        assert r["plain"].shape == r["residual"].shape == (depth + 1,)
        assert r["residual"][0] > 1.0 > 1e-10 > r["plain"][0]
    for d in (20, 50):
        said(md, res[d]["plain"][0]), said(md, res[d]["residual"][0])


def test_remedies_training(md):
    t = G.run_remedies_training(depth=20, width=16, lr=0.1, steps=200, seed=0)
    s, r, res = t["sigmoid"], t["relu"], t["sigmoid + residual"]
    assert s["history"].final_loss == pytest.approx(math.log(2), abs=1e-3)
    # the ReLU run is chaotic (perturbed by 1e-13 to 1e-11: final loss 0.212-0.227, accuracy 0.80-0.935): the
    # stated thresholds hold with a margin
    assert r["history"].final_loss < 0.8 * 0.3 and r["accuracy"] > 0.75 + 0.04
    assert res["history"].final_loss < 0.6 * s["history"].final_loss
    for v in (s["history"].final_loss, res["history"].final_loss, res["accuracy"]):
        said(md, v)
    assert G.remedies_summary(t).splitlines()[1] == "              relu: final loss below 0.3, accuracy above 0.75"
    assert "ReLU gets below\n0.3 (accuracy above 0.75)" in md


def test_case_study_panel_moves():
    panel = G.case_study_panel()
    assert panel.result["history"].diverged_at == 5
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
    assert 3**8 == 6561 and "3⁸ = 6561" in md
    assert round(-math.log10(3**8 * 1e-3**9)) == 23 and "23 orders of magnitude" in md
    assert 5e-2 / 1e-3 == pytest.approx(50) and "up to 50 times larger" in md
    assert 1 / G.max_derivative("sigmoid") == pytest.approx(4) and "by at least 4" in md


def test_hidden_weights_0_5_multiply_by_1_5(md):
    assert 3 * 0.5 == 1.5 and "3 · 0.5 = 1.5" in md
    r = G.run_case_study(weight=0.5, steps=1)
    np.testing.assert_allclose(r["first_grad"], np.full((1, 3), -1e-3 * 1.5**8), rtol=1e-12)


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


def test_case_study_panel_opens_on_the_exploding_run(md, outputs):
    """The panel opens on section 1's exploding run: it diverges, and at step 1 the gradient already grows on its
    way back from the last hidden layer to the first, by 3 * 0.5 = 1.5 per hidden 3x3 layer. The prose states it."""
    panel = G.case_study_panel()
    r, g = panel.result, panel.result["grad_norms0"]
    assert r["history"].diverged_at == 5 and G.case_summary(r) in outputs
    assert np.all(np.diff(g[:-1]) < 0), "layer 1 gets the largest gradient of the chain, layer 9 the smallest"
    np.testing.assert_allclose(g[1:-2] / g[2:-1], 1.5, rtol=1e-3)  # hidden layers 2..9: x1.5 each going back
    text = md.replace("\n", " ")
    assert f"the run *{G.outcome(r)}*" in text
    assert f"from {rounded(g[-2], 2)} in layer {len(g) - 1} to {rounded(g[0], 2)} in layer 1" in text


def test_case_study_panel_takes_steps_and_seed():
    """`steps` and `seed` (no slider) reach the run; the panel opens at 50 steps and seed 0."""
    assert G.case_study_panel().fixed == {"steps": 50, "seed": 0}
    panel = G.case_study_panel(steps=3, seed=2, depth=4)
    assert panel.fixed == {"steps": 3, "seed": 2} and panel.result["history"].steps == 3
    with pytest.raises(ValueError, match="setting"):
        G.case_study_panel(step=3)


def test_the_clipping_threshold_is_off_without_clipping():
    """With clip_mode 'none' the threshold changes nothing: the panel disables it and says why."""
    panel = G.case_study_panel()
    assert panel.controls["threshold"].disabled and "no clipping" in panel.note.value
    panel.controls["clip_mode"].value = "norm"
    assert not panel.controls["threshold"].disabled and panel.note.value == ""


def test_chain_network_has_no_hidden_seed():
    """A constant chain needs no random stream; a random one must be given its Generator (no default seed)."""
    assert G.chain_network(depth=3, init="constant", value=0.5).layers[0].params["W"][0, 0] == 0.5
    with pytest.raises(ValueError, match="needs\\s+rng="):
        G.chain_network(depth=3, init="uniform", low=5e-3, high=5e-2)
