"""Lesson 03: every number its prose states is computed here by the library and found, as written, in the
notebook's markdown; the experiments and panels behave as the lesson says."""

import math
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import notebook_markdown, notebook_parameters
from nncourse.blocks import surfaces
from nncourse.core.callbacks import StopAtLoss
from nncourse.lessons import learning_rate_and_optimizers as L

NB = "03_learning_rate_and_optimizers.ipynb"


@pytest.fixture(scope="module")
def prose():
    return notebook_markdown(NB)


def _says(prose, literal):
    """The literal appears in the markdown (line breaks and indentation count as single spaces)."""
    assert " ".join(literal.split()) in " ".join(prose.split()), f"the notebook's prose should state {literal!r}"


# --- 1: the quadratic's regimes ---------------------------------------------------------------------------


def test_quadratic_theory_numbers(prose):
    lams = surfaces.quadratic().curvatures
    assert lams == (1.0, 10.0)
    _says(prose, r"f(p) = \tfrac12 (p_1^2 + 10\,p_2^2)")
    assert f"{surfaces.critical_lr(lams):g}" == "0.2"
    _says(prose, "$2/10 =$ **0.2**")
    assert f"{1 / max(lams):g}" == "0.1"
    _says(prose, "$1/10 =$ **0.1**")
    assert surfaces.contraction(0.1, lams) == pytest.approx(0.9)
    _says(prose, "it shrinks by 0.9 per step")
    assert surfaces.steps_to_shrink(0.1, lams) == 66
    _says(prose, "needs **66** steps")
    assert surfaces.steps_to_shrink(0.01, lams) == 688
    _says(prose, "at lr = 0.01 it needs **688** steps")
    _says(prose, "With a budget of 100 steps")


def test_regime_definitions_in_prose(prose):
    for name in surfaces.REGIMES:
        _says(prose, f"| **{name}** |")
    _says(prose, "With a budget of 100 steps, we name a run by what it did")
    assert f"{surfaces.best_fixed_lr((1.0, 10.0)):.3g}" == "0.182"
    _says(prose, r"2/11 \approx$ **0.182**")
    assert f"{surfaces.contraction(2 / 11, (1.0, 10.0)):.3g}" == "0.818"
    _says(prose, r"$9/11 \approx$ **0.818** per step")


def test_regime_table_and_divergence_steps(prose):
    rows = L.regime_table([0.001, 0.01, 0.0562, 0.1, 0.178, 2 / 11, 0.2, 0.316, 1.0])
    table = {round(r.lr, 4): r for r in rows}
    assert all(r.measured == r.theory for r in rows), "each run is labelled by what it did, and theory agrees"
    _says(prose, "they agree at every rate")
    assert [table[lr].measured for lr in (0.0562, 0.1, 0.178, 0.316)] == [
        "crawls",
        "converges",
        "converges, oscillating",
        "diverges",
    ]
    _says(prose, "Its positions 0.0562, 0.1, 0.178 and 0.316 show four of the five regimes in turn")
    crawl = table[0.0562]
    assert f"{crawl.closer:.2g}" == "0.0029" and f"{crawl.final_loss:.2g}" == "7.6e-05"
    assert surfaces.steps_to_shrink(0.0562, (1.0, 10.0)) == 120
    _says(prose, "ended **0.0029** times as far from the minimum (loss **7.6e-05**)")
    _says(prose, "it needs **120** steps for that")
    finite = [r for r in rows if r.final_loss is not None]
    assert min(finite, key=lambda r: r.final_loss).lr == pytest.approx(2 / 11), "the best fixed step ends lowest"
    assert sorted(finite, key=lambda r: r.final_loss)[1].lr == 0.178
    assert f"{table[0.178].final_loss:.2g}" == "7.5e-17" and f"{table[0.1818].final_loss:.2g}" == "7.2e-17"
    _says(prose, "lr = 0.178 reaches a loss of **7.5e-17** and the best fixed step, 0.182, **7.2e-17**")
    assert f"{table[0.1].final_loss:.2g}" == "5.6e-09"
    _says(prose, "stops at **5.6e-09**")
    edge = table[0.2]
    assert edge.measured == "oscillates forever" and f"{edge.final_loss:.2g}" == "11"
    _says(prose, "lr = 0.2 = 2/λ_max **oscillates forever**")
    _says(prose, "the loss stays at **11**")
    assert table[0.316].diverged_at == 18
    _says(prose, "at lr = 0.316 that is step **18**")
    assert table[1.0].diverged_at == 7
    _says(prose, "at lr = 1 step **7**")
    _says(prose, r"$|1 - 10| = 9$")
    _says(prose, r"$|p| \le 10^6$")
    slider = L.surface_panel().controls["lr"]
    assert 10**slider.min == pytest.approx(0.001) and 10**slider.max == pytest.approx(1.0)
    _says(prose, "from far too small (0.001) to divergent (1)")
    positions = 10 ** np.arange(np.log10(0.001), 0.0001, slider.step)
    assert not np.any(np.isclose(positions, 0.2, rtol=1e-3)), "0.2 is not a slider position"
    _says(prose, "2/λ_max = 0.2 lies between two positions")


# --- 2: training runs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep():
    return L.run_lr_sweep()


def test_task_settings(prose):
    reg, cls = L.make_task("regression"), L.make_task("classification")
    assert reg.X.shape == (200, 2) and cls.X.shape == (200, 2)
    assert reg.sizes == [2, 2, 1] and cls.sizes == [2, 8, 1]
    assert L.TASKS["regression"]["epochs"] == 300 and L.TASKS["classification"]["epochs"] == 200
    np.testing.assert_allclose(reg.X.mean(axis=0), 0, atol=1e-12)  # standardized
    _says(prose, "2 inputs, 2 ReLU units, 1 output")
    _says(prose, "on 200 points of")
    _says(prose, r"$x_1 \in [-5, 5]$, $x_2 \in [-10, 10]$, noise with standard deviation 1")
    _says(prose, "inputs standardized), 300 epochs")
    _says(prose, "the two-moons data set (200 points), 2-8-1 ReLU")
    _says(prose, "cross-entropy, 200 epochs")


def test_lr_sweep_numbers(prose, sweep):
    reg = {run.lr: run.history for run in sweep["regression"]}
    cls = {run.lr: run.history for run in sweep["classification"]}
    assert f"{reg[0.001].final_loss:.3g}" == "60.3"
    _says(prose, "lr = 0.001 crawls (loss **60.3** after 300 epochs)")
    assert f"{reg[0.03].final_loss:.3g}" == "3.4"
    _says(prose, "lr = 0.03 fits (**3.4**)")
    chaotic = {run.lr for runs in sweep.values() for run in runs if run.chaotic}
    assert chaotic == {0.1}, "only the edge-of-stability run is chaotic; every other number is portable"
    assert "chaotic: the final loss depends on the machine" in next(
        r.outcome for r in sweep["regression"] if r.lr == 0.1
    )
    _says(prose, "lr = 0.1\nbounces around without settling")
    late = np.array(reg[0.1].loss[-50:])
    assert late.max() > 2 * late.min(), "it keeps jumping"
    assert reg[0.3].diverged_at == 8
    _says(prose, "lr = 0.3 diverges at step **8**")
    assert not any(h.diverged for h in cls.values())
    assert f"{cls[3.0].final_loss:.3g}" == "0.126"
    _says(prose, "lr = 3 reaches **0.126**")
    assert f"{cls[10.0].final_loss:.3g}" == "0.247"
    assert cls[10.0].final_loss > cls[3.0].final_loss
    _says(prose, "lr = 10 is worse again (**0.247**)")


def test_lr_sweep_diverged_run_is_clean(sweep):
    bad = sweep["regression"][-1]
    assert bad.history.diverged and "diverged at step 8" in bad.status
    fig = Figure()
    L.plot_curves(sweep, fig)
    assert len(fig.axes) == 2


# --- 3: optimizers ----------------------------------------------------------------------------------------


def test_optimizer_paths_on_rosenbrock(prose):
    paths = L.run_optimizer_paths("rosenbrock")
    final = {name: run.path.values[-1] for name, run in paths.items()}
    assert min(final, key=final.get) == "momentum"
    assert f"{final['momentum']:.2g}" == "9.2e-09"
    _says(prose, "Momentum ends lowest (loss **9.2e-09**)")
    assert max(final, key=final.get) == "adagrad"
    assert f"{final['adagrad']:.2g}" == "0.88"
    _says(prose, "Adagrad ends highest (**0.88**)")
    _says(prose, r"$f = (1 - p_1)^2 + 20\,(p_2 - p_1^2)^2$")
    assert surfaces.rosenbrock().value(np.array([0.0, 1.0])) == pytest.approx(1 + 20)
    _says(prose, "each optimizer runs 200 steps")
    _says(prose, "from the grid 0.001, 0.003, ..., 1")


def test_optimizer_training(prose):
    runs = L.run_optimizer_training((0.01, 0.03, 0.1, 0.3), seed=1)
    reg = {r.optimizer.split("(")[0]: r.history.final_loss for r in runs["regression"]}
    cls = {r.optimizer.split("(")[0]: r.history.final_loss for r in runs["classification"]}
    _says(prose, "best rate from 0.01, 0.03, 0.1, 0.3")
    for name in ("Momentum", "Nesterov", "Adam"):
        assert abs(reg[name] - 3.17) < 0.005, name
        assert reg[name] < reg["SGD"]
    assert f"{reg['SGD']:.3g}" == "3.4"
    _says(prose, "reach a loss near **3.17** that plain SGD (**3.4**) does not")
    assert f"{cls['SGD']:.3g}" == "0.278"
    assert all(cls[n] < cls["SGD"] for n in cls if n != "SGD")
    assert min(cls, key=cls.get) == "Adam" and f"{cls['Adam']:.3g}" == "0.101"
    _says(prose, "every adaptive method beats SGD's **0.278**, with Adam lowest at **0.101**")


def test_adam_bias_correction_numbers(prose):
    """Without correction the first step is lr (1 - b1) |g| / sqrt((1 - b2) g^2) = 3.16 lr with the defaults."""
    from nncourse.core.optim import Adam

    adam = Adam(0.1)
    assert (adam.beta1, adam.beta2) == (0.9, 0.999)
    factor = (1 - adam.beta1) / (1 - adam.beta2) ** 0.5
    assert f"{factor:.3g}" == "3.16"
    w = np.array([2.0])
    m, v = (1 - 0.9) * 6.0, (1 - 0.999) * 36.0  # one uncorrected step on g = 6
    assert (m / (np.sqrt(v) + adam.eps)) == pytest.approx(factor, rel=1e-6)
    _says(prose, "with the defaults β1 = 0.9 and β2 = 0.999 that is **3.16** times lr")
    adam.update(w, np.array([6.0]), {})
    assert 2.0 - w[0] == pytest.approx(0.1, rel=1e-6)  # the corrected step is lr


def test_adam_first_step_is_lr_sign_g(prose):
    run = L.run_surface("quadratic", "adam", 0.1, steps=1)
    step = run.path.points[1] - run.path.points[0]
    np.testing.assert_allclose(np.abs(step), 0.1, rtol=1e-7)
    _says(prose, r"Adam's first step is $\text{lr} \cdot \text{sign}(g)$")


# --- 4: schedules -----------------------------------------------------------------------------------------


def test_schedule_numbers(prose):
    assert L.SCHEDULE_DEFAULTS["step"] == {"factor": 0.5, "step_size": 50}
    _says(prose, "here factor 0.5 every 50 epochs")
    assert L.SCHEDULE_DEFAULTS["exponential"] == {"gamma": 0.99}
    _says(prose, "here γ = 0.99")
    assert L.SCHEDULE_DEFAULTS["plateau"] == {"factor": 0.5, "patience": 5, "min_lr": 1e-4, "cooldown": 0}
    assert L.get_schedule("plateau").threshold == 1e-4
    _says(prose, "by a relative threshold of $10^{-4}$")
    _says(prose, "Here factor 0.5, patience 5, min_lr $10^{-4}$, cooldown 0.")
    scheduled = L.run_schedules("regression", lr=0.1, seed=1)["regression"]
    runs = {r.schedule: r.history for r in scheduled}
    _says(prose, "start the regression at lr = 0.1")
    assert [r.schedule for r in scheduled if r.chaotic] == ["constant"], "every schedule makes the run portable"
    got = {k: f"{h.final_loss:.3g}" for k, h in runs.items() if k != "constant"}
    assert got == {"step": "5.06", "exponential": "4.07", "plateau": "3.64"}
    _says(prose, "only bounces (chaotically: see\nsection 2)")
    _says(prose, "step decay ends at **5.06**, exponential decay at **4.07**, reduce-on-plateau at **3.64**")
    assert runs["step"].lr[:50] == [0.1] * 50 and runs["step"].lr[50] == pytest.approx(0.05)
    assert runs["exponential"].lr[10] == pytest.approx(0.1 * 0.99**10)
    assert min(runs["plateau"].lr) < 0.1


def test_training_panel_shows_lr_under_loss():
    fig = Figure()
    L.plot_training(L.run_training(schedule="step", epochs=120), fig)
    assert len(fig.axes) == 3
    assert fig.axes[1].get_ylabel() == "lr"


# --- 5: local minima --------------------------------------------------------------------------------------


def test_local_minima_numbers(prose):
    runs = L.run_local_minima()
    small, large, huge = runs["lr=0.03"].path, runs["lr=0.1"].path, runs["lr=0.178"].path
    assert small.nearest_minimum() == 1 and f"{small.values[-1]:.3g}" == "0.294"
    _says(prose, "at lr = 0.03 plain gradient descent settles in the local minimum (loss **0.294**)")
    assert large.nearest_minimum() == 0 and f"{large.values[-1]:.3g}" == "-0.305"
    # its first step already lands beyond the ridge near p1 = tilt / 4
    assert large.points[1, 0] < 0.3 / 4
    _says(prose, "at lr = 0.1 its first step jumps over the ridge and it ends in the global minimum (loss **-0.305**)")
    assert huge.diverged_at == 5
    _says(prose, "at lr = 0.178 it diverges at step **5**")
    s = surfaces.two_minima()
    assert s.start == (2.0, 1.5) and s.minima[0][0] == pytest.approx(-1.0356, abs=1e-4)
    _says(prose, "Starting at (2, 1.5)")
    assert L.GLOBAL_STAR == "#F0E442" and L.LOCAL_STAR == "0.75"  # Okabe-Ito yellow, grey
    _says(prose, "near $p_1 = -1$ (yellow star) and a local one near $p_1 = +1$ (grey)")
    _says(prose, r"$f = (p_1^2 - 1)^2 + 0.3\,p_1 + \tfrac12 p_2^2$")


def test_escape_map():
    grid = [0.001, 0.01, 0.0316, 0.0562, 0.1, 0.178, 0.316]
    assert L.escape_map(grid) == ["local"] * 4 + ["global", "diverged", "diverged"]


# --- 6: randomness ----------------------------------------------------------------------------------------


def test_seed_study_numbers(prose):
    study = L.run_seeds(20)
    assert len(study.final_losses) == 20
    _says(prose, "trained from 20 seeds")
    _says(prose, "the same learning rate (0.03)")
    assert study.stuck == 10
    _says(prose, "**10** of the 20 runs end above a loss of 10")
    low, high = study.fitted_range()
    assert f"{low:.3g}" == "3.35" and f"{high:.3g}" == "3.54"
    _says(prose, "the others end between **3.35** and **3.54**")
    fitted = study.active[study.final_losses <= study.stuck_threshold]
    assert f"{fitted.min():.0%}" == "46%" and f"{fitted.max():.0%}" == "54%"
    _says(prose, "between **46%** and **54%**")
    assert study.dead == 3
    assert np.all(study.final_losses[np.any(study.active == 0, axis=1)] > study.stuck_threshold)
    _says(prose, "Among the stuck runs, **3** have a dead unit")
    assert study.repeat_identical
    _says(prose, "Training seed 0 twice gives **bit-identical** weights")
    # different seeds really learn different weights
    assert len({tuple(np.round(w, 6)) for w in study.weights}) == 20
    fig = Figure()
    L.plot_seeds(study, fig)


def test_fitted_range_when_every_seed_is_stuck():
    study = L.SeedStudy(
        np.arange(2),
        np.array([50.0, 60.0]),
        np.zeros((2, 2, 2)),
        np.zeros((2, 9)),
        True,
        10.0,
        np.array([[0.0, 0.5], [0.3, 0.5]]),
    )
    assert study.stuck == 2 and all(math.isnan(v) for v in study.fitted_range())
    assert study.dead == 1


# --- 7: data size and input range ------------------------------------------------------------------------


def test_report_range_experiment_as_written(prose):
    """Source 002's setup (its init, its ranges and ten times wider ones, scaled data, full batch) over 10 seeds."""
    assert L.REPORT_RANGES == {"report": ((-5.0, 5.0), (-10.0, 10.0)), "report x10": ((-50.0, 50.0), (-100.0, 100.0))}
    _says(
        prose,
        r"its input ranges ($x_1 \in [-5, 5]$, $x_2 \in [-10, 10]$) against ten times wider ones"
        r" ($[-50, 50]$, $[-100, 100]$)",
    )
    _says(prose, "weights drawn uniformly from $[-10, 10]$ and biases from $[-5, 5]$")
    _says(prose, r"$b \in \{-1, 0, 1\}$, lr = 0.03 and at most 2000 epochs")
    _says(prose, r"$R^2 \ge 0.8$ (loss at most a fifth of the variance of $y$)")
    import nncourse.core.model as M

    model = M.mlp([2, 2, 1], rng=np.random.default_rng(0))
    L.report_init(model, np.random.default_rng(0))
    w = np.concatenate([layer.params["W"].ravel() for layer, name in model.parameters() if name == "W"])
    b = np.concatenate([layer.params["b"].ravel() for layer, name in model.parameters() if name == "b"])
    assert w.size == 6 and b.size == 3 and np.abs(w).max() <= 10 and np.abs(b).max() <= 5
    np.testing.assert_allclose(w, np.round(w, 2))
    X, y = L.report_data(300, "report x10")
    assert X.shape == (300, 2)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose([*X.std(0), y.std()], 1, rtol=1e-12)
    X_raw, y_raw = L.report_data(300, "report", scaled=False)
    assert set(np.unique(np.round(y_raw - X_raw[:, :1] ** 2 - X_raw[:, 1:], 9))) == {-1.0, 0.0, 1.0}

    cases = {(c.init, c.scaled, c.x_range): c for c in L.run_report_ranges(n_seeds=10)}
    _says(prose, "We train from 10 seeds")
    for r in L.REPORT_RANGES:
        assert cases[("report", True, r)].fitted == 0 and sum(cases[("report", True, r)].diverged) == 1
    _says(prose, "**0** of 10 seeds reach the target on either range")
    _says(prose, "on each range **1** diverges and the others stall")
    orig, wide = cases[("he", True, "report")], cases[("he", True, "report x10")]
    assert (orig.fitted, wide.fitted) == (7, 8) and not any(orig.diverged + wide.diverged)
    _says(prose, "**7** of 10 seeds fit on the report's range and **8** of 10 on the ten times wider one")
    both = [(a, b) for a, b in zip(orig.epochs_needed, wide.epochs_needed) if a and b]
    assert len(both) == 6 and sum(b > a for a, b in both) == 3
    _says(prose, "of the **6** seeds that fit on both, the wider range took more epochs in **3**")
    raw = [sum(cases[("he", False, r)].diverged) for r in L.REPORT_RANGES]
    assert min(raw) >= 9 and raw[1] == 10
    _says(prose, "diverges for at least **9** of 10 seeds on either range")
    survivor = cases[("he", False, "report")]
    seed = next(k for k, d in enumerate(survivor.diverged) if not d)
    assert survivor.epochs_needed[seed] is not None, "the surviving raw seed is the one the lesson does not print"
    fig = Figure()
    L.plot_report_ranges(list(cases.values()), fig)
    assert fig.axes[0].get_legend() is not None


def test_data_scaling_numbers(prose):
    cases = {(c.n, c.x_range, c.scaled): c for c in L.run_data_scaling()}
    assert L.RANGES == {"small": ((-1.0, 1.0), (-2.0, 2.0)), "wide": ((-5.0, 5.0), (-10.0, 10.0))}
    _says(prose, r"($x_1 \in [-1, 1]$, $x_2 \in [-2, 2]$) or a wide one ($[-5, 5]$, $[-10, 10]$)")
    _says(prose, "mini-batch SGD (batches of 32, lr = 0.03, noise 0.1)")
    _says(prose, "$R^2 \\ge 0.9$ (loss at most a tenth of the variance of $y$)")
    assert math.ceil(3000 / 32) == 94 and math.ceil(300 / 32) == 10
    _says(prose, "an epoch holds 94 mini-batch steps instead of 10")
    a, b = cases[(3000, "small", True)], cases[(300, "small", True)]
    assert (a.epochs_needed, b.epochs_needed) == (2, 25) and (a.steps, b.steps) == (188, 250)
    _says(prose, "so **2** epochs suffice where 300 points need **25**")
    _says(prose, "(188 versus 250)")
    raw_wide = cases[(300, "wide", False)]
    assert raw_wide.epochs_needed is None and "diverged at step 9" in raw_wide.status
    assert "diverged" in cases[(3000, "wide", False)].status
    _says(prose, "(at step **9** with 300 points)")
    assert cases[(300, "wide", True)].epochs_needed == 6
    _says(prose, "reaches the target in **6** epochs")
    assert cases[(300, "small", False)].epochs_needed == 31
    _says(prose, "(31 and 25 epochs)")
    fig = Figure()
    L.plot_data_scaling(list(cases.values()), fig)


# --- panels and plumbing ----------------------------------------------------------------------------------


def test_surface_panel_opens_on_the_flat_direction_setting_the_speed(prose):
    """The lesson's first panel opens at its `lr` parameter, 1/lam_max: the first step zeroes the steep coordinate,
    then only the flat one moves, by the factor 1 - lr lam_min = 0.9 per step."""
    params = notebook_parameters(NB)
    lams = surfaces.quadratic().curvatures
    assert params["lr"] == 1 / max(lams) == 0.1 and params["surface"] == "quadratic" and params["optimizer"] == "sgd"
    pts = L.surface_panel(lr=params["lr"]).result.path.points
    assert pts[0, 1] != 0 and np.all(np.abs(pts[1:, 1]) < 1e-15)
    np.testing.assert_allclose(pts[1:, 0] / pts[:-1, 0], 1 - params["lr"] * min(lams), rtol=1e-12)
    _says(prose, "The panel opens at lr = 0.1 = 1/λ_max")
    _says(
        prose,
        "the first step puts the steep coordinate on 0, and from then on only the flat one moves, shrinking "
        "by 0.9 per step",
    )


def test_surface_panel_slider_reruns():
    panel = L.surface_panel()
    assert panel.result.regime == panel.result.measured == "converges" and panel.result.lr == pytest.approx(0.1)
    panel.controls["lr"].value = 0.316
    assert panel.result.measured == "diverges" and panel.result.path.diverged_at == 18
    panel.controls["optimizer"].value = "adam"
    assert panel.result.regime is None and panel.result.measured is None and "Adam" in panel.result.optimizer
    panel.controls["beta1"].value = 0.5
    assert "beta1=0.5" in panel.result.optimizer


def test_training_panel_slider_reruns():
    panel = L.training_panel()
    assert f"{panel.result.history.final_loss:.4g}" == "3.403"
    panel.controls["lr"].value = 0.316  # the log slider's position nearest 0.3
    assert panel.result.history.diverged
    panel.controls["optimizer"].value = "momentum"
    panel.controls["momentum"].value = 0.5
    assert "momentum=0.5" in panel.result.optimizer
    panel.controls["task"].value = "classification"
    assert panel.result.task.name == "classification"


def test_training_panel_opens_on_a_rate_the_schedule_tames(prose):
    """The lesson opens the training panel at training_lr with its schedule (reduce-on-plateau): a rate that bounces
    on its own (chaotic at a constant rate), cut twice by the schedule, ending near the best constant rate."""
    params = notebook_parameters(NB)
    assert (params["training_lr"], params["schedule"], params["seed"]) == (0.1, "plateau", 1)
    panel = L.training_panel(lr=params["training_lr"], schedule=params["schedule"], seed=params["seed"])
    run = panel.result
    assert run.lr == 0.1 and not run.history.diverged
    assert L.lr_cuts(run.history) == [31, 113]
    _says(prose, "the schedule halves the rate, from epoch **31** on and again from epoch **113** on")
    assert f"{run.history.final_loss:.3g}" == "3.64"
    best_constant = L.run_training("regression", "sgd", 0.03, seed=1).history.final_loss
    assert f"{best_constant:.3g}" == "3.4" and run.history.final_loss < 1.1 * best_constant
    _says(prose, "then it settles at **3.64**, near the **3.4** of the best constant rate")
    constant = L.run_training("regression", "sgd", params["training_lr"], seed=1)
    L.mark_chaotic(constant, task="regression", optimizer="sgd", lr=params["training_lr"], seed=1)
    assert constant.chaotic, "on its own, the rate the panel opens at is the chaotic one of section 2"
    _says(prose, "The panel opens on the regression at lr = 0.1, the chaotic rate above, with reduce-on-plateau")
    early = np.array(run.history.loss[:31])
    assert np.max(early[1:] / early[:-1]) > 2, "before the first cut the loss bounces: it more than doubles in a step"


def test_make_optimizer_passes_only_its_knobs():
    assert repr(L.make_optimizer("sgd", 0.1, momentum=0.5)) == "SGD(lr=0.1)"
    assert repr(L.make_optimizer("nesterov", 0.1, momentum=0.5)) == "Nesterov(lr=0.1, momentum=0.5, nesterov=True)"
    assert repr(L.make_optimizer("adam", 0.1, beta1=0.8, beta2=0.99)) == "Adam(lr=0.1, beta1=0.8, beta2=0.99)"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: L.run_training(task="mnist"), "unknown task 'mnist'; choose one of: 'regression', 'classification'"),
        (lambda: L.run_training(schedule="cosine"), "unknown schedule 'cosine'"),
        (lambda: L.run_surface(optimizer="lbfgs"), "unknown optimizer 'lbfgs'"),
        (lambda: L.run_surface(lr=0), "learning rate must be a positive number"),
        (lambda: L.run_seeds(0), "n_seeds must be a positive integer"),
        (lambda: StopAtLoss(-1), "target must be a positive number"),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=re.escape(message) if "(" in message else message):
        call()


def test_plots_draw():
    fig = Figure()
    L.plot_surface(L.run_surface("two_minima", "sgd", 0.178), fig)
    assert "diverged at step 5" in fig.axes[1].get_title()
    fig = Figure()
    L.plot_local_minima(L.run_local_minima(), fig)
    fig = Figure()
    L.plot_schedules(L.run_schedules(names=("constant", "plateau")), fig)
    assert len(fig.axes) == 2


def test_plateau_cuts(prose):
    run = L.run_schedules("regression", lr=0.1, seed=1, names=("plateau",))["regression"][0]
    assert L.lr_cuts(run.history) == [31, 113]
    _says(prose, "from epoch **31** on and from epoch **113** on")
    # other knobs move the cuts (what the parameters cell invites)
    other = L.run_schedules(
        "regression", lr=0.1, seed=1, names=("plateau",), schedule_kwargs={"plateau": {"patience": 2, "cooldown": 3}}
    )["regression"][0]
    assert L.lr_cuts(other.history) != [31, 113]


def test_training_panel_uses_schedule_knobs():
    panel = L.training_panel(schedule="plateau", lr=0.1, schedule_kwargs={"plateau": {"patience": 0}})
    default = L.run_training(lr=0.1, schedule="plateau")
    assert L.lr_cuts(panel.result.history) != L.lr_cuts(default.history)


def test_mark_chaotic_tells_a_stable_run_from_a_chaotic_one():
    """The check behind the lesson's 'chaotic' label: a change in the twelfth digit of the initial weights moves a
    stable run's final loss by about as much, and a chaotic run's by far more than CHAOS_GAP."""
    stable = L.run_training("regression", "sgd", 0.03, seed=1)
    twin = L.mark_chaotic(stable, task="regression", optimizer="sgd", lr=0.03, seed=1)
    assert stable.chaotic is False
    assert abs(stable.history.final_loss - twin.history.final_loss) < 1e-9 * stable.history.final_loss
    edge = L.run_training("regression", "sgd", 0.1, seed=1)
    L.mark_chaotic(edge, task="regression", optimizer="sgd", lr=0.1, seed=1)
    assert edge.chaotic is True and "chaotic" in edge.status


def test_chaotic_twin_parts_after_a_few_dozen_epochs(prose):
    """Section 2's claim about the figure: the lr-0.1 run and its twin from weights x (1 + 1e-12) agree for a few
    dozen epochs, then go their own ways (how soon is set by the 1e-12, far above a machine's last bits)."""
    edge = L.run_training("regression", "sgd", 0.1, seed=1)
    twin = L.mark_chaotic(edge, task="regression", optimizer="sgd", lr=0.1, seed=1)
    a, b = np.asarray(edge.history.loss), np.asarray(twin.history.loss)
    parted = int(np.argmax(np.abs(a - b) > 1e-3 * np.abs(a)))
    assert 12 <= parted <= 100 and np.max(np.abs(a[-50:] - b[-50:]) / a[-50:]) > 0.1
    _says(prose, "the two loss curves below agree for a few dozen epochs, then go their own ways")
    _says(prose, "(the figure shows the first 120 of the 300 epochs)")  # the window holds the parting
    assert parted < 120 and len(a) == L.TASKS["regression"]["epochs"] == 300


@pytest.mark.parametrize("factory", [L.surface_panel, L.training_panel], ids=["surface", "training"])
def test_panels_disable_the_knobs_the_optimizer_does_not_use(factory):
    """make_optimizer passes momentum only to momentum and nesterov, the betas only to adam: the other
    settings of those sliders change nothing, so the panel disables them and says why."""
    panel = factory()
    expected = {
        "sgd": set(),
        "momentum": {"momentum"},
        "nesterov": {"momentum"},
        "adam": {"beta1", "beta2"},
        "adagrad": set(),
        "rmsprop": set(),
    }
    assert set(expected) == set(L.OPTIMIZER_NAMES)
    for name, used in expected.items():
        panel.controls["optimizer"].value = name
        on = {k for k in ("momentum", "beta1", "beta2") if not panel.controls[k].disabled}
        assert on == used, name
        assert set(panel.off) == {"momentum", "beta1", "beta2"} - used
    panel.controls["optimizer"].value = "sgd"
    assert "only momentum and nesterov use it" in panel.note.value
    before = panel.result.history.loss if factory is L.training_panel else panel.result.path.values
    after = factory(momentum=0.5).result
    assert np.array_equal(after.history.loss if factory is L.training_panel else after.path.values, before), (
        "a disabled knob changes nothing"
    )


def test_the_training_panel_plays_its_run_frame_by_frame():
    panel = L.training_panel(lr=0.1, schedule="plateau")
    player = panel.player
    player.reset()
    assert player.frames == 0 and panel.result.history.steps == 0
    message = None
    while message is None:
        message = player.step()
    whole = L.run_training(**panel.values)
    assert player.frames == L.FRAMES and panel.result.history.loss == whole.history.loss
    assert message == whole.history.status


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_playing_frames_are_blitted_pngs_that_match_a_full_redraw(task):
    """While it plays, the training panel draws only what changes onto a saved background (PNG); the picture is
    the full redraw's with the same axes limits, and the last frame is drawn in full again (SVG)."""
    import io

    from PIL import Image

    panel = L.training_panel(task=task, schedule="step")
    player = panel.player
    player.reset()
    player.play.playing = True
    for _ in range(20):
        player.step()
    assert panel.image.format == "png"
    fast = np.asarray(Image.open(io.BytesIO(bytes(panel.image.value))).convert("RGB"), dtype=float)
    full_fig = Figure(figsize=panel.figure.get_size_inches(), dpi=panel.figure.dpi)
    L.plot_training(panel.result, full_fig)
    frames = L.TRAINING_FRAMES
    full_fig.axes[0].set_xlim(*frames._loss_ax.get_xlim())
    full_fig.axes[0].set_ylim(*frames._loss_ax.get_ylim())
    full_fig.axes[2].set_ylim(*frames._fit_ax.get_ylim())
    buf = io.BytesIO()
    full_fig.savefig(buf, format="png")
    full = np.asarray(Image.open(buf).convert("RGB"), dtype=float)
    assert fast.shape == full.shape and np.abs(fast - full).mean() < 1.0
    message = None
    while message is None:
        message = player.step()
    assert panel.image.format == "svg+xml" and message == panel.result.history.status
