"""Lesson 09 (recurrent networks): the experiments behind it, and every number its prose states, recomputed with
the notebook's own parameters and checked against the literal in the markdown."""

import inspect
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import notebook_markdown, notebook_parameters
from nncourse import diagrams
from nncourse.lessons import recurrent_networks as recurrent

NB = "09_recurrent_networks.ipynb"


@pytest.fixture(scope="module")
def params():
    """The values assigned in the notebook's parameters cell."""
    return notebook_parameters(NB)


@pytest.fixture(scope="module")
def prose():
    return notebook_markdown(NB)


def _default(fn, name):
    return inspect.signature(fn).parameters[name].default


def _stated(prose, literal, computed):
    """The number as the lesson computes it is the number as the prose states it."""
    assert computed == literal, f"the lesson computes {computed}, the prose says {literal}"
    assert literal in prose, f"{literal!r} is not in the lesson's markdown"


@pytest.fixture(scope="module")
def echo_settings(params):
    p = params
    return dict(
        lag=p["lag"], steps=p["echo_steps"], hidden=p["echo_hidden"], epochs=p["epochs"], lr=p["lr"], seed=p["seed"]
    )


@pytest.fixture(scope="module")
def gradients(params):
    return recurrent.run_gradient_comparison(
        scale=params["scale"], steps=params["steps"], hidden=params["hidden"], seed=params["seed"]
    )


@pytest.fixture(scope="module")
def spreads(params):
    return {
        name: recurrent.run_seed_spread(
            name, scale=params["scale"], steps=params["steps"], hidden=params["hidden"], seeds=range(10)
        )
        for name in ("identity", "tanh", "relu")
    }


@pytest.fixture(scope="module")
def clipping_runs(params, echo_settings):
    return recurrent.run_clipping_comparison(clip=params["clip"], **echo_settings, activation="relu")


def test_the_settings_the_prose_describes(params, prose):
    assert (params["seed"], params["steps"], params["scale"], params["lag"], params["clip"]) == (0, 50, 1.0, 4, 1.0)
    assert "with `lag` = 4" in prose and "from 4 steps back" in prose
    assert "At scale 1 and $T = 50$" in prose
    _stated(prose, "49 steps", f"{params['steps'] - 1} steps")
    # run_echo's test set and run_gradient_through_time's batch, as the prose describes them
    assert _default(recurrent.run_echo, "n_test") == 512 and "512 fresh sequences" in prose
    assert _default(recurrent.run_gradient_through_time, "batch") == 32 and "32 random input" in prose
    assert params["long_lag"] == 10 and "With `long_lag` = 10" in prose
    assert "Over ten seeds" in prose


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradient_check_in_the_lesson(params, prose, activation):
    errors = recurrent.check_rnn(activation, seed=params["seed"])
    assert set(errors) == {"x", "Wx", "Wh", "b"}
    assert max(errors.values()) < 1e-7
    assert "Every relative error is below 1e-7" in prose


def test_echo_task_accuracy(prose, echo_settings):
    echo = recurrent.run_echo(**echo_settings)
    assert not echo.history.diverged
    _stated(prose, "test\naccuracy of 100%.", f"test\naccuracy of {100 * echo.test_accuracy:.3g}%.")
    assert echo.test_accuracy == 1.0


def test_echo_run_is_deterministic(echo_settings):
    a = recurrent.run_echo(**{**echo_settings, "epochs": 20})
    b = recurrent.run_echo(**{**echo_settings, "epochs": 20})
    assert a.history.loss == b.history.loss and a.test_accuracy == b.test_accuracy


# what the prose says of each run: its factor per step to 2 decimals (rate), what is left after T - 1 steps to
# 2 figures (left); the printed table has 3 figures of each
@pytest.mark.parametrize(
    "activation, init, literal, template",
    [
        ("identity", "orthogonal", "a factor of exactly 1 per step", "a factor of exactly {rate:.3g} per step"),
        (
            "identity",
            "normal",
            "0.96 per step, 0.15 of the gradient left",
            "{rate:.2f} per step, {left:.2g} of the gradient left",
        ),
        ("tanh", "orthogonal", "0.91 per\n  step with orthogonal", "{rate:.2f} per\n  step with orthogonal"),
        (
            "tanh",
            "normal",
            "0.87 with normal ones; only 0.0098 and 0.0013",
            "{rate:.2f} with normal ones; only 0.0098 and {left:.2g}",
        ),
        ("tanh", "orthogonal", "only 0.0098 and", "only {left:.2g} and"),
        ("tanh", "orthogonal", "(about 1% and", "(about {pct:.1g}% and"),
        ("tanh", "normal", "and 0.1%) reach 49", "and {pct:.1g}%) reach 49"),
        ("relu", "orthogonal", "0.71: 0.73 (orthogonal)", "0.71: {rate:.2f} (orthogonal)"),
        ("relu", "normal", "0.70 (normal) per step", "{rate:.2f} (normal) per step"),
    ],
)
def test_gradient_through_time_numbers(prose, gradients, activation, init, literal, template):
    run = gradients[(activation, init)]
    _stated(prose, literal, template.format(rate=run.rate, left=run.ratio[-1], pct=100 * run.ratio[-1]))
    table = recurrent.format_gradient_table(gradients)
    assert f"{run.rate:9.3f} {run.ratio[-1]:16.3g}" in table  # the detail, printed above the prose


def test_relu_halves_the_squared_norm(prose, gradients, spreads):
    _stated(prose, r"1/\sqrt{2} \approx$ 0.71", rf"1/\sqrt{{2}} \approx$ {2**-0.5:.2f}")
    relu_rates = np.concatenate(list(spreads["relu"].values()))
    assert len(relu_rates) == 20 and np.all(np.abs(relu_rates - 2**-0.5) < 0.04)
    _stated(
        prose,
        "near 0.71 (0.67 to 0.74 over all twenty runs)",
        f"near {2**-0.5:.2f} ({relu_rates.min():.2f} to {relu_rates.max():.2f} over all twenty runs)",
    )


def test_seed_spread_numbers(prose, spreads, params):
    k = params["steps"] - 1
    linear, tanh = spreads["identity"], spreads["tanh"]
    assert np.allclose(linear["orthogonal"], 1.0, atol=1e-12)
    _stated(
        prose,
        "exactly, 1 per step for every draw",
        f"exactly, {linear['orthogonal'].min():.3g} per step for every draw",
    )
    _stated(
        prose,
        "between 0.96 and 1.06 per step",
        f"between {linear['normal'].min():.2f} and {linear['normal'].max():.2f} per step",
    )
    _stated(
        prose,
        "keeping\n0.15 of the gradient to multiplying it by 19.",
        f"keeping\n{linear['normal'].min() ** k:.2g} of the gradient to multiplying it by "
        f"{linear['normal'].max() ** k:.2g}.",
    )
    _stated(
        prose,
        "between 0.90 and 0.91 per step",
        f"between {tanh['orthogonal'].min():.2f} and {tanh['orthogonal'].max():.2f} per step",
    )
    _stated(prose, "(up to 0.97)", f"(up to {tanh['normal'].max():.2f})")
    table = recurrent.format_seed_spread(spreads, params["steps"])  # the detail, to 3 figures
    assert len(table.splitlines()) == 7 and f"after {k} steps" in table
    assert f"{linear['normal'].min():17.3f} {linear['normal'].max():8.3f}" in table
    assert tanh["normal"].max() > tanh["orthogonal"].max() and tanh["normal"].min() < tanh["orthogonal"].min()


def test_clipping_numbers(prose, clipping_runs, params):
    plain, clipped = clipping_runs["no clipping"], clipping_runs["clipped"]
    norm, step = plain.largest_grad_norm_until(10)
    _stated(prose, "jumps to 65.4 at step 3", f"jumps to {norm:.3g} at step {step}")
    assert plain.largest_grad_norm == (norm, step)  # the spike is the largest of the whole run
    assert clipped.largest_grad_norm_until(10) == (norm, step)  # the same spike, seen before clipping
    assert clipped.history.final_loss < 1e-3 and "final loss below 0.001" in clipped.status
    _stated(prose, "(dead units 100%)", f"(dead units {plain.dead_fraction:.0%})")
    assert abs(plain.history.final_loss - math.log(2)) < 1e-3
    _stated(prose, r"$\ln 2 \approx 0.693$", rf"$\ln 2 \approx {math.log(2):.3f}$")
    _stated(prose, "test\naccuracy is 50.6%", f"test\naccuracy is {plain.test_accuracy:.1%}")
    assert abs(plain.test_accuracy - 0.5) < 0.02
    _stated(prose, "clipped at 1 ", f"clipped at {params['clip']:g} ")
    _stated(prose, "to a test accuracy of 100%.", f"to a test accuracy of {100 * clipped.test_accuracy:.3g}%.")
    assert clipped.dead_fraction == 0.0 and not plain.history.diverged and not clipped.history.diverged


@pytest.fixture(scope="module")
def long_lag_seeds(echo_settings, params):
    return recurrent.run_clipping_seeds(
        range(params["echo_seeds"]), clip=params["clip"], **{**echo_settings, "lag": params["long_lag"]}
    )


def test_long_lag_clipping_numbers(prose, long_lag_seeds, params):
    """The long lag over several seeds: only what holds on every machine is printed (the unclipped runs are
    chaotic), and each fact holds with a margin."""
    clipped, plain = long_lag_seeds.accuracies("clipped"), long_lag_seeds.accuracies("no clipping")
    n = params["echo_seeds"]
    assert long_lag_seeds.summary() == (
        f"clipped at 1: mean test accuracy of the {n} seeds above 95%\n"
        f"no clipping: the worst of the {n} seeds stays below 80%"
    )
    # margins around the printed thresholds: across kernels and perturbations the portability check measured the
    # clipped mean at 0.98-0.99 and the worst unclipped seed at 0.50-0.72 (with 6 seeds it once reached 0.80)
    assert clipped.mean() >= 0.97 and plain.min() < 0.75
    _stated(
        prose,
        "over the 8 seeds their mean test accuracy is above 95%",
        f"over the {n} seeds their mean test accuracy is above 95%",
    )
    assert "without clipping some seeds stay far below 80%" in prose
    plain0 = long_lag_seeds.runs[params["seed"]]["no clipping"]
    grad_norms = np.sqrt(np.sum(plain0.history.grad_norm_array() ** 2, axis=1))
    assert np.mean(grad_norms < 1.0) > 0.5 and grad_norms.max() > 1.5  # "mostly below 1 but jumps now and then"


def test_unclipped_long_lag_is_chaotic(echo_settings, params):
    """What the lesson says of the unclipped runs: a change in the twelfth digit of the weights changes the
    outcome (so its accuracy is not a portable number), while the clipped run barely moves."""
    import perturb
    from nncourse.core import optim

    settings = {**echo_settings, "lag": params["long_lag"]}
    base = recurrent.run_clipping_comparison(clip=params["clip"], **settings)
    original = perturb.install(1e-12)
    try:
        nudged = recurrent.run_clipping_comparison(clip=params["clip"], **settings)
    finally:
        optim.Optimizer.step = original
    assert abs(base["no clipping"].history.final_loss - nudged["no clipping"].history.final_loss) > 1e-3
    assert abs(base["clipped"].test_accuracy - nudged["clipped"].test_accuracy) < 0.02


def test_orthogonal_linear_rnn_keeps_the_gradient_norm_exactly():
    """Every singular value of scale * Q is the scale: the gradient is multiplied by exactly `scale` per step."""
    for scale in (0.9, 1.0, 1.1):
        run = recurrent.run_gradient_through_time("identity", "orthogonal", scale=scale, steps=30, seed=3)
        assert np.allclose(run.ratio, scale ** np.arange(30), rtol=1e-10)
        assert abs(run.rate - scale) < 1e-12


def test_gradient_measurement_overflows_quietly():
    """ReLU with W_h = 50 I overflows float64 in 300 steps: no warning, the result says so."""
    run = recurrent.run_gradient_through_time("relu", "identity", scale=50.0, steps=300, hidden=8, batch=4)
    assert not np.all(np.isfinite(run.state_norm))
    fig = Figure()
    recurrent.plot_gradient_through_time(run, fig)


def test_gradient_through_time_rejects_bad_settings():
    with pytest.raises(ValueError, match="at least 2"):
        recurrent.run_gradient_through_time(steps=1)
    with pytest.raises(ValueError, match="'tanh', 'relu', 'identity'"):
        recurrent.run_gradient_through_time("softsign")
    with pytest.raises(ValueError, match="'normal', 'orthogonal', 'identity'"):
        recurrent.run_gradient_through_time("tanh", "he_normal")


def test_gradient_panel_defaults_and_a_slider_move():
    panel = recurrent.gradient_panel()
    assert set(panel.controls) == {"activation", "scale", "steps", "seed"}
    assert set(panel.result.runs) == {"normal", "orthogonal", "identity"}
    assert panel.result.runs["orthogonal"].rate == recurrent.run_gradient_through_time().rate
    assert f"orthogonal: x {panel.result.runs['orthogonal'].rate:.3g} per step" in panel.result.status
    assert "orthogonal: x 0.91 per step" in panel.result.status
    panel.controls["activation"].value = "relu"
    assert panel.result.runs["normal"].activation == "relu" and panel.updates == 2
    panel.controls["steps"].value = 20
    assert panel.result.runs["normal"].steps == 20
    assert len(panel.figure.axes) == 2 and len(panel.image.value) > 0  # the picture's format is the panel's
    with pytest.raises(ValueError, match="unknown setting"):
        recurrent.gradient_panel(learning_rate=0.1)


def test_irnn_number(prose, params):
    """ReLU with identity recurrent weights (Le et al. 2015) against orthogonal ones, at the panel's defaults."""
    result = recurrent.run_gradient_panel(
        "relu", params["scale"], params["steps"], params["hidden"], seed=params["seed"]
    )
    _stated(
        prose,
        "so 0.98 of it survives each step, against 0.73",
        f"so {result.runs['identity'].rate:.2f} of it survives each step, against {result.runs['orthogonal'].rate:.2f}",
    )


def test_gradient_panel_extremes_draw_without_warnings():
    panel = recurrent.gradient_panel(activation="relu", scale=2.0, steps=100)
    assert panel.result.runs["identity"].rate > 1.5
    panel.controls["scale"].value = 0.5
    assert panel.result.runs["orthogonal"].rate < 0.5


def test_plots_draw(clipping_runs):
    fig = Figure()
    recurrent.plot_echo_training(clipping_runs, fig)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    plain, clipped = (clipping_runs[k].test_accuracy for k in ("no clipping", "clipped"))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        f"no clipping (test acc. {100 * plain:.3g}%)",
        f"clipped (test acc. {100 * clipped:.3g}%)",
    ]
    fig = Figure()
    recurrent.plot_echo_training(clipping_runs, fig, accuracy=False)  # for chaotic runs: no accuracy
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["no clipping", "clipped"]
    fig = Figure()
    recurrent.plot_echo_training(clipping_runs["clipped"], fig)
    assert len(fig.axes[0].lines) == 1


def test_format_helpers():
    from nncourse.blocks.rnn import make_delayed_echo

    X, y = make_delayed_echo(1, 8, 2, np.random.default_rng(0))
    text = recurrent.format_echo_example(X, y, 2)
    inputs, targets = [line.split(": ")[1] for line in text.splitlines()]
    assert targets == ".." + inputs[:6]
    table = recurrent.format_gradient_table(recurrent.run_gradient_comparison(steps=10, hidden=8, batch=4))
    assert len(table.splitlines()) == 7 and "after 9 steps" in table


def test_unrolled_diagram_renders():
    fig = diagrams.render("rnn_unrolled.png")
    assert "rnn_unrolled.png" in diagrams.all_images() and fig.axes


# ---------------------------------------------------------------------------------------------------------
# Classifying a whole sequence (source 003: label, classify, generate)


@pytest.fixture(scope="module")
def majority(params):
    return recurrent.run_majority(seed=params["seed"])


def test_majority_task():
    X, y = recurrent.make_majority(200, 15, np.random.default_rng(0))
    assert X.shape == y.shape == (200, 15, 1) and set(np.unique(X)) == {-1.0, 1.0}
    assert np.all(y[:, :-1] == 0)  # one label per sequence, at the last step
    assert np.array_equal(y[:, -1, 0], (X[:, :, 0] > 0).sum(axis=1) > 7)
    with pytest.raises(ValueError, match="odd"):
        recurrent.make_majority(4, 16, np.random.default_rng(0))


def test_majority_numbers(prose, majority, params):
    s = majority.settings
    assert (s["steps"], s["hidden"], s["n_train"], s["epochs"], s["lr"]) == (15, 8, 256, 300, 0.1)
    for text in (
        "the majority of the 15 bits",
        "8 units, trained on 256\nsequences for 300 full-batch steps",
        "The learning rate is 0.1",
    ):
        assert text in prose
    assert not majority.history.diverged
    _stated(prose, "test accuracy of\n93%", f"test accuracy of\n{majority.test_accuracy:.0%}")
    _stated(prose, "label scores 54%", f"label scores {majority.baseline_accuracy:.0%}")
    assert majority.test_accuracy > majority.baseline_accuracy + 0.3
    _stated(
        prose,
        "a target at 12 of its 16 steps",
        f"a target at {params['echo_steps'] - params['lag']} of its {params['echo_steps']} steps",
    )
    _stated(prose, "travelled 14 steps back", f"travelled {s['steps'] - 1} steps back")
    assert majority.status.endswith("test accuracy 93% (always guessing the more common label: 54%)")


def test_majority_is_portable_at_lr_01_and_chaotic_at_lr_1(params):
    """What the lesson says of the learning rate: perturbing every step by a relative 1e-12 leaves the lr-0.1
    run's loss the same to 1e-6 and its accuracy exactly; at lr 1 the loss moves."""
    import perturb
    from nncourse.core import optim

    base = {lr: recurrent.run_majority(seed=params["seed"], lr=lr) for lr in (0.1, 1.0)}
    original = perturb.install(1e-12)
    try:
        nudged = {lr: recurrent.run_majority(seed=params["seed"], lr=lr) for lr in (0.1, 1.0)}
    finally:
        optim.Optimizer.step = original
    assert abs(base[0.1].history.final_loss - nudged[0.1].history.final_loss) < 1e-6
    assert base[0.1].test_accuracy == nudged[0.1].test_accuracy
    assert abs(base[1.0].history.final_loss - nudged[1.0].history.final_loss) > 1e-3
