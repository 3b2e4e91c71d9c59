"""Lesson 02 (backpropagation): the 2-2-2 worked example by hand and by the library, the 2-2-1 ReLU regression,
gradient checking, the lesson's diagrams, and every number its prose states."""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from conftest import ROOT, notebook_markdown
from nncourse.core import gradcheck
from nncourse.core.losses import mse
from nncourse.lessons import backpropagation as bp

NB = "02_backpropagation.ipynb"
DEFAULTS = dict(lr=0.01, weight_range=10.0, bias_range=5.0, n_points=300, epochs=500, seed=20)


@pytest.fixture(scope="module")
def md():
    return notebook_markdown(NB)


@pytest.fixture(scope="module")
def example():
    return bp.run_worked_example(steps=10_000)


def sci(value):
    """A number as the prose writes it in LaTeX: 5.9e-11 -> '5.9 \\times 10^{-11}'."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


# --- the worked example ------------------------------------------------------------------------------------


def test_library_layout_maps_mazur_names():
    X, T, W1, b1, W2, b2 = bp.mazur_arrays()
    assert np.array_equal(W1, [[0.15, 0.25], [0.20, 0.30]])  # W[i, j]: input i -> unit j
    assert np.array_equal(W2, [[0.40, 0.50], [0.45, 0.55]])
    assert np.array_equal(b1, [0.35, 0.35]) and np.array_equal(b2, [0.60, 0.60])
    assert bp.model_state(bp.mazur_model()) == pytest.approx(bp.mazur_initial_state(), abs=0)


def test_forward_numbers_from_first_principles(example):
    h = example.hand
    assert h["net_h1"] == pytest.approx(0.15 * 0.05 + 0.20 * 0.10 + 0.35, abs=1e-15)
    assert h["out_h1"] == pytest.approx(1 / (1 + math.exp(-0.3775)), abs=1e-15)
    assert h["E"] == pytest.approx(0.5 * (0.01 - h["out_o1"]) ** 2 + 0.5 * (0.99 - h["out_o2"]) ** 2, abs=1e-15)


def test_every_number_hand_equals_library(example):
    assert set(example.hand) == set(example.library)
    for key in example.hand:
        assert abs(example.hand[key] - example.library[key]) <= 1e-9, key
    for key in example.updated_hand:
        assert abs(example.updated_hand[key] - example.updated_library[key]) <= 1e-9, key


def _mazur_error(params):
    """E as a function of [w1..w8, b_h1, b_h2, b_o1, b_o2], written for autograd (independent of both)."""
    w, b = params[:8], params[8:]
    i1, i2 = 0.05, 0.10
    s = lambda z: 1 / (1 + anp.exp(-z))  # noqa: E731
    h1, h2 = s(w[0] * i1 + w[1] * i2 + b[0]), s(w[2] * i1 + w[3] * i2 + b[1])
    o1, o2 = s(w[4] * h1 + w[5] * h2 + b[2]), s(w[6] * h1 + w[7] * h2 + b[3])
    return 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2


def test_gradients_match_autograd(example):
    s0 = bp.mazur_initial_state()
    params = np.array([s0[k] for k in bp.WEIGHT_NAMES + bp.BIAS_NAMES])
    auto = grad(_mazur_error)(params)
    assert _mazur_error(params) == pytest.approx(example.hand["E"], abs=1e-15)
    for k, g in zip(bp.WEIGHT_NAMES + bp.BIAS_NAMES, auto):
        assert example.hand["dE/d" + k] == pytest.approx(g, abs=1e-14), k
        assert example.library["dE/d" + k] == pytest.approx(g, abs=1e-14), k


def test_gradients_match_central_differences(example):
    s0 = bp.mazur_initial_state()
    for k in bp.WEIGHT_NAMES + bp.BIAS_NAMES:
        plus, minus = dict(s0), dict(s0)
        plus[k] += 1e-6
        minus[k] -= 1e-6
        numeric = (bp.hand_pass(plus)["E"] - bp.hand_pass(minus)["E"]) / 2e-6
        assert example.hand["dE/d" + k] == pytest.approx(numeric, abs=1e-9), k


def test_update_is_simultaneous_gradient_step(example):
    s0 = bp.mazur_initial_state()
    for k in bp.WEIGHT_NAMES:
        assert example.updated_hand[k] == pytest.approx(s0[k] - 0.5 * example.hand["dE/d" + k], abs=1e-15)
    for k in bp.BIAS_NAMES:
        assert example.updated_hand[k] == s0[k]  # held


def test_errors_hand_equal_library_for_every_convention(example):
    for conv in bp.BIAS_CONVENTIONS:
        hand, lib = np.array(example.errors[conv, "hand"]), np.array(example.errors[conv, "library"])
        assert hand.shape == lib.shape == (10_001,)
        assert np.max(np.abs(hand - lib)) <= 1e-9, conv
        assert np.all(np.diff(hand) < 0), f"{conv}: E decreases at every update"


def test_bias_conventions_do_what_they_say():
    held, _ = bp.hand_train(5, "held")
    per_unit, _ = bp.hand_train(5, "per_unit")
    shared, _ = bp.hand_train(5, "shared")
    assert (held["b_h1"], held["b_o2"]) == (0.35, 0.60)
    assert per_unit["b_h1"] != per_unit["b_h2"] and per_unit["b_o1"] != per_unit["b_o2"]
    assert shared["b_h1"] == shared["b_h2"] and shared["b_o1"] == shared["b_o2"] and shared["b_h1"] != 0.35
    for conv, state in (("held", held), ("per_unit", per_unit), ("shared", shared)):
        model, _ = bp.library_train(5, conv)
        for k, v in bp.model_state(model).items():
            assert v == pytest.approx(state[k], abs=1e-12), (conv, k)


def test_shared_bias_gradient_is_the_sum(example):
    s1 = bp.hand_update(bp.mazur_initial_state(), example.hand, 0.5, "shared")
    assert s1["b_h1"] == pytest.approx(0.35 - 0.5 * (example.hand["delta_h1"] + example.hand["delta_h2"]), abs=1e-15)


def test_published_figures_reproduced(example):
    """The post's E after the first round and after 10,000 rounds, and what they correspond to."""
    assert f"{bp.hand_error_hidden_after_output(1):.9f}" == "0.291027924"
    assert f"{example.errors['held', 'hand'][9_999]:.10f}" == "0.0000351085"
    assert f"{example.errors['held', 'hand'][1]:.9f}" != "0.291027924"  # not the simultaneous update
    assert f"{example.errors['held', 'hand'][10_000]:.10f}" != "0.0000351085"


def test_worked_example_numbers_in_prose(example, md):
    """The prose rounds to three figures (the tables printed beside it keep nine); only the comparison with the
    post's figures, which differ from ours in later digits, keeps every digit, in a table."""
    h, u, e = example.hand, example.updated_hand, example.errors
    md1 = " ".join(md.split())
    assert h["net_h1"] == pytest.approx(0.3775, abs=1e-15) and "0.10 + 0.35 = 0.3775$" in md1
    assert (
        f"$\\text{{out}}_{{h1}} \\approx {h['out_h1']:.3g}$, and "
        f"$\\text{{out}}_{{h2}} \\approx {h['out_h2']:.3g}$. "
        f"The outputs are {h['out_o1']:.3g} and {h['out_o2']:.3g} against targets 0.01 and 0.99, so the error is "
        f"$E \\approx {h['E']:.3g}$"
    ) in md1
    assert (
        f"$\\partial E/\\partial w_5 \\approx {h['dE/dw5']:.2g}$, while $\\partial E/\\partial w_1 \\approx "
        f"{h['dE/dw1']:.2g}$"
    ) in md1
    assert f"$w_5$ drops from {bp.mazur_initial_state()['w5']:.2f} to {u['w5']:.3g}" in md1
    assert f"where $w_5$ = `W2[0, 0]` becomes {u['w5']:.3g};" in md1  # exercise 2.1's first check
    assert f"$w_1$ moves by only ${sci(u['w1'] - bp.mazur_initial_state()['w1'])}$ (half its small gradient)" in md1
    assert u["w1"] - bp.mazur_initial_state()["w1"] == pytest.approx(-0.5 * h["dE/dw1"], abs=1e-15)
    held, unit, shared = (e[c, "hand"] for c in ("held", "per_unit", "shared"))
    assert bp.BIAS_CONVENTIONS == ("held", "per_unit", "shared")
    assert (
        f"falls from {held[0]:#.3g} to {held[1]:#.3g} after one update and to ${sci(held[10_000])}$ after 10,000. "
        f"Updating the biases helps: {unit[1]:#.3g} after one update and ${sci(unit[10_000])}$ after 10,000 with "
        f"a bias per unit, {shared[1]:#.3g} and ${sci(shared[10_000])}$ with one shared bias per layer."
    ) in md1
    assert max(unit[1], shared[1]) < held[1] and max(unit[10_000], shared[10_000]) < held[10_000]  # "helps"
    post_first, post_last = bp.hand_error_hidden_after_output(1), held[9_999]
    assert f"| after the first round | {post_first:.9f} | {held[1]:.9f} |" in md
    assert f"| after 10,000 rounds | {post_last:.10f} | {held[10_000]:.10f} |" in md
    assert 100 <= h["dE/dw5"] / h["dE/dw1"] < 1000, "'two orders of magnitude'"
    assert "two orders of magnitude" in md


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="held"):
        bp.hand_update(bp.mazur_initial_state(), bp.hand_pass(bp.mazur_initial_state()), 0.5, "tied")
    with pytest.raises(ValueError, match="positive integer"):
        bp.hand_train(0)
    with pytest.raises(ValueError, match="bias convention"):
        bp.BiasConventionSGD(0.5, "frozen")
    with pytest.raises(ValueError, match="learning rate"):
        bp.hand_train(3, lr=-1.0)


# --- the 2-2-1 ReLU regression ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    rows = bp.scaling_comparison(
        lrs=(1e-4, 1e-3, 1e-2), seed=20, epochs=500, n_points=300, weight_range=10.0, bias_range=5.0
    )
    return {(r, s, lr): res for r, s, lr, res in rows}


@pytest.fixture(scope="module")
def default_run():
    return bp.run_relu_regression(input_range="narrow", scale=True, **DEFAULTS)


def test_scaling_comparison(comparison, md):
    for lr in (1e-4, 1e-3, 1e-2):
        assert comparison["wide", False, lr].history.diverged
        assert not comparison["wide", True, lr].history.diverged
        assert not comparison["narrow", True, lr].history.diverged
    assert comparison["narrow", False, 1e-2].history.diverged_at == 7 and "(at step 7)" in md
    assert not comparison["narrow", False, 1e-3].history.diverged
    md1 = " ".join(md.split())
    assert f"ending at {comparison['narrow', False, 1e-3].relative_loss[-1]:.2g} of the variance" in md1
    assert (
        f"ends at {comparison['narrow', True, 1e-2].relative_loss[-1]:.2g} of the variance (the wide one at "
        f"{comparison['wide', True, 1e-2].relative_loss[-1]:.2g})"
    ) in md1
    assert comparison["narrow", True, 1e-2].relative_loss[-1] > comparison["narrow", False, 1e-3].relative_loss[-1]
    for lr in (1e-4, 1e-3):
        for rng_name in ("narrow", "wide"):
            assert comparison[rng_name, True, lr].relative_loss[-1] > 1, "'the smaller rates end far above 1'"
    assert (
        f"starts at {comparison['narrow', True, 1e-2].relative_loss[0]:.3g} times the variance of the target, "
        f"against {comparison['narrow', False, 1e-2].relative_loss[0]:.2g} unscaled"
    ) in md1


def test_target_spread_quoted(md):
    X, y = bp.regression_data(300, "narrow", False, np.random.default_rng(20))
    assert 8.5 < y.std() < 9.5 and "about 9" in md
    assert np.all(X.std(axis=0) < y.std())


def test_dead_unit_story(default_run, md):
    r = default_run
    assert r.dead == (True, False)
    h1 = [0, 1, 2, 6]  # h1's incoming weights, bias, and outgoing weight
    assert list(r.last_change[h1]) == [1, 1, 1, 1]
    assert list(np.delete(r.last_change, h1)) == [500] * 5
    assert np.array_equal(r.trace[1, h1], r.trace[-1, h1]), "dead after step 1: never changes again"
    assert f"from {r.before[2]:.3g} to {r.after[2]:.3g}." in md  # h1.b
    moved = np.abs(r.after - r.before)
    assert f"moved by only {moved[3]:.2g} and {moved[4]:.2g} in 500 steps" in md  # h2's input weights
    assert moved[3] < 0.05 and moved[4] < 0.05
    assert f"`out.w_h2` started at {r.before[7]:.2g}, so" in md  # out.w_h2


def test_dead_unit_gets_exactly_zero_gradient():
    """Rebuild the trained default model's state and check the mechanism: zero ReLU slope, zero gradient."""
    r = bp.run_relu_regression(input_range="narrow", scale=True, **DEFAULTS)
    X, y = bp.regression_data(300, "narrow", True, np.random.default_rng(20))
    from nncourse import mlp

    model = mlp([2, 2, 1], "relu", rng=np.random.default_rng(0))
    p = r.after
    model.layers[0].params["W"][...] = [[p[0], p[3]], [p[1], p[4]]]
    model.layers[0].params["b"][...] = [p[2], p[5]]
    model.layers[2].params["W"][...] = [[p[6]], [p[7]]]
    model.layers[2].params["b"][...] = [p[8]]
    model.backward(mse(model.forward(X), y)[1])
    assert np.all(model.layers[0].grads["W"][:, 0] == 0) and model.layers[0].grads["b"][0] == 0
    assert model.layers[2].grads["W"][0, 0] == 0
    assert np.all(model.layers[0].grads["W"][:, 1] != 0)


def test_sane_init_and_more_data(md):
    sane = bp.run_relu_regression(
        lr=0.1, weight_range=1.0, bias_range=0.5, scale=True, seed=20, epochs=500, n_points=300
    )
    assert sane.dead == (False, False) and not sane.history.diverged
    assert f"ends at {sane.relative_loss[-1]:.2g} of the variance" in " ".join(md.split())


@pytest.fixture(scope="module")
def data_sizes():
    settings = {k: v for k, v in DEFAULTS.items() if k not in ("n_points", "seed")}
    return bp.data_size_comparison(sizes=(300, 3000), seeds=range(20), **settings)


def test_more_data_from_the_same_start(md, data_sizes):
    """Item 11 of issue 12: each start trained on both sizes; the prose quotes the computed summary."""
    runs = data_sizes
    for r in runs.values():  # the same start for both sizes, different data
        assert np.array_equal(r[300].before, r[3000].before) and r[300].y.shape != r[3000].y.shape
    s = bp.data_size_summary(runs)
    md1 = " ".join(md.split())
    for text in (
        f"within {s['median_gap']:.1g} of the variance of each other (median over the {s['starts']} "
        f"starts, {s['largest_gap']:.1g} at most)",
        f"from {min(s['low'].values()):.2f} to {max(s['high'].values()):.2f} of the variance",
        f"{s['dead'][300]} of the {s['starts']} runs end with a dead unit on 300 points, {s['dead'][3000]} on 3,000",
        "Instead, each of 20 starts is trained on both sizes",
    ):
        assert text in md1, text
    assert ("within 0.02", "0.1 at most", "from 0.20 to 1.00", "7 of the 20", "4 on 3,000") and (
        s["median_gap"],
        s["dead"][300],
        s["dead"][3000],
    ) == (pytest.approx(0.02, abs=0.005), 7, 4)
    spread = max(s["high"].values()) - min(s["low"].values())
    assert s["largest_gap"] < spread / 5  # the start matters far more than the data size
    assert (
        "300 points: final loss / var(y) from 0.20 to 1.00 over 20 starts; 7 runs end with a dead unit"
        in bp.format_data_size_summary(s)
    )


def test_relu_run_is_deterministic(default_run):
    again = bp.run_relu_regression(input_range="narrow", scale=True, **DEFAULTS)
    assert np.array_equal(again.trace, default_run.trace)
    assert again.history.loss == default_run.history.loss


def test_relu_model_gradients_match_autograd(rng):
    """The 2-2-1 ReLU network's backward pass against autograd, with inputs away from the kinks."""
    from nncourse import mlp

    model = mlp([2, 2, 1], "relu", rng=rng, bias_init="zeros")
    X, y = rng.normal(size=(7, 2)), rng.normal(size=(7, 1))
    W1, b1 = model.layers[0].params["W"], model.layers[0].params["b"]
    W2, b2 = model.layers[2].params["W"], model.layers[2].params["b"]
    assert np.min(np.abs(X @ W1 + b1)) > 1e-3
    model.backward(mse(model.forward(X), y)[1])

    def loss(W1, b1, W2, b2):
        pred = anp.maximum(anp.dot(X, W1) + b1, 0.0) @ W2 + b2
        return anp.mean((pred - y) ** 2)

    for i, (layer, name) in enumerate(((0, "W"), (0, "b"), (2, "W"), (2, "b"))):
        auto = grad(loss, i)(W1, b1, W2, b2)
        assert np.allclose(model.layers[layer].grads[name], auto, rtol=1e-12, atol=1e-14)


def test_panel_defaults_and_slider(default_run):
    panel = bp.relu_regression_panel()
    assert panel.result.status == default_run.status
    assert np.array_equal(panel.result.trace, default_run.trace)
    panel.controls["input_range"].value = "wide"
    panel.controls["scale"].value = False
    assert panel.result.history.diverged and panel.result.settings["input_range"] == "wide"
    panel.controls["scale"].value = True
    assert not panel.result.history.diverged
    small = bp.relu_regression_panel(n_points=100, seed=3, epochs=20)
    assert small.result.settings["n_points"] == 100 and small.result.history.steps == 20
    with pytest.raises(ValueError, match="unknown setting"):
        bp.relu_regression_panel(momentum=0.9)


def test_relu_bad_arguments():
    with pytest.raises(ValueError, match="input range"):
        bp.run_relu_regression(input_range="huge", epochs=2)
    with pytest.raises(ValueError, match="weight range"):
        bp.run_relu_regression(weight_range=0.0, epochs=2)


def test_relu_plot_draws_diverged_and_finished(comparison):
    from matplotlib.figure import Figure

    for key in (("narrow", True, 1e-2), ("wide", False, 1e-2)):
        fig = Figure()
        bp.plot_relu_regression(comparison[key], fig)
        assert len(fig.axes) == 2
    fig = Figure()
    bp.plot_relative_losses(
        {"a": comparison["narrow", True, 1e-2], "b": comparison["wide", False, 1e-2]}, fig.add_subplot()
    )


# --- gradient checking --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def check_report():
    return bp.gradient_check_report(seed=0)


def test_correct_layers_pass_and_bugs_fail(check_report):
    worst = {name: {k: max(v.values()) for k, v in r.items()} for name, r in check_report.items()}
    for name in ("Dense", "Sigmoid", "ReLU", "Tanh"):  # prose: "within about 10^-9"
        assert worst[name]["random"] < 5e-9 and worst[name]["ones"] < 5e-9, name
    assert worst["bug: sigmoid ignores upstream"]["random"] > 0.1
    assert worst["bug: sigmoid ignores upstream"]["ones"] < 1e-8, "all-ones upstream hides this bug"
    for name in ("bug: sigmoid derivative at z", "bug: dense bias mean"):
        assert worst[name]["random"] > 0.1 and worst[name]["ones"] > 0.1, name


def test_library_check_layer_catches_the_bugs(rng):
    x = rng.uniform(0.2, 1.5, size=(4, 3))
    assert max(gradcheck.check_layer(bp.SigmoidIgnoresUpstream(), x, rng).values()) > 0.1
    assert max(gradcheck.check_layer(bp.SigmoidDerivativeAtZ(), x, rng).values()) > 0.1
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    assert gradcheck.check_layer(bp._dense_mean_bias(W, b), x, rng)["b"] > 0.1


def test_gradient_check_numbers_in_prose(check_report, md):
    """The prose states bounds, not digits, for errors that are rounding noise (they differ between machines);
    the bugs' errors are far above the noise and stated to two figures."""
    worst = {name: {k: max(v.values()) for k, v in r.items()} for name, r in check_report.items()}
    assert all(worst[n][k] < gradcheck.AGREES for n in ("Dense", "Sigmoid", "ReLU", "Tanh") for k in worst[n])
    assert "The correct layers agree to better than $10^{-6}$ with either upstream gradient." in md
    assert f"${worst['bug: sigmoid ignores upstream']['random']:.2f}$" in md
    assert worst["bug: sigmoid ignores upstream"]["ones"] < gradcheck.AGREES
    assert "yet below $10^{-6}$ with all ones" in md
    models = bp.model_gradient_check(seed=0)
    largest = max(max(v.values()) for v in models.values())
    assert largest == models["2-2-2 sigmoid example"]["layer 0: W"] and 1e-9 < largest < 1e-7
    assert (
        "The largest errors (around $10^{-8}$ on the machine these notes were written on) are for\nthe first layer"
        in md
    )


def test_format_error_hides_rounding_noise():
    assert gradcheck.format_error(4.0e-8) == "< 1e-06" and gradcheck.format_error(9.99e-7) == "< 1e-06"
    assert gradcheck.format_error(0.5612) == "5.6e-01" and gradcheck.format_error(1e-6) == "1.0e-06"
    report = bp.format_gradient_check(bp.gradient_check_report(seed=0))
    assert "e-1" not in report.replace("e-01", ""), "no rounding-noise digits in the table"


# --- diagrams -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["backprop_graph.png", "backprop_chain.png", "backprop_mazur_network.png"])
def test_diagrams_render_and_are_in_images(name, md):
    from nncourse import diagrams

    fig = diagrams.render(name, dpi=40)
    assert fig.axes and (ROOT / "images" / name).exists()
    assert f"(../images/{name})" in md


def test_what_the_network_fits_is_one_hinge(md):
    """The figure of what the trained 2-2-1 network computes: one unit dead, so along x1 the fit is a single
    hinge (one ramp and a constant), and the prose's 0.71 of the variance is the run's."""
    run = bp.run_relu_regression(input_range="narrow", scale=True, **DEFAULTS)
    assert f"{run.relative_loss[-1]:.2f}" == "0.71" and sum(run.dead) == 1
    assert "The loss it reached, 0.71 of the variance" in md and "a single hinge where the truth is a parabola" in md
