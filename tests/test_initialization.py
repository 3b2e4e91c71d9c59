"""Lesson 04 (weight initialization): every number the prose states is recomputed here from the library with the
lesson's default parameters, checked against what theory says where theory says something, and found as written
in the notebook's markdown and in its stored outputs."""

import math

import numpy as np
import pytest

from conftest import notebook_markdown, notebook_outputs, rounded, said, stated_value as stated
from nncourse.lessons import initialization as E

NB = "04_initialization.ipynb"


@pytest.fixture(scope="module")
def md():
    return notebook_markdown(NB)


@pytest.fixture(scope="module")
def outputs():
    return notebook_outputs(NB)


@pytest.fixture(scope="module")
def five():
    return E.run_five_cases(seed=0, lr=0.1, steps=300)


def test_zeros_no_learning(five, md):
    r = five["zeros"]
    norms = r["history"].grad_norm_array()
    assert np.all(norms[:, :-1] == 0.0), "no gradient reaches any hidden layer, at any step"
    # "does not move": up to rounding (the output bias's gradient is 0 up to rounding, so the loss may move in the
    # last bit, depending on the machine's arithmetic)
    assert np.all(np.abs(np.array(r["history"].loss) - r["start_loss"]) < 1e-15), "the loss does not move"
    assert r["start_loss"] == pytest.approx(math.log(2), abs=1e-15)
    assert r["accuracy"] == 0.5
    assert said(md, r["end_loss"]) == "0.693" and said(md, r["accuracy"]) == "0.5"
    said(md, r["first_grad_norms"][0])
    assert 0 <= r["first_grad_norms"][-1] < E.ROUNDING, "the output bias's gradient is 0 up to rounding"
    assert E.five_cases_table(five)[0]["|dW_out| step 1"] in (0.0, "< 1e-15")
    assert "the\n   `< 1e-15` in the table, whose digits differ from machine to machine.)" in md


def test_large_weights_explode_then_the_units_die(five, md):
    """The gradients explode and the loss climbs for two steps; the third step kills every unit of the last hidden
    layer, so no gradient reaches a hidden weight again and the network ends answering 1/2 everywhere."""
    r, he = five["large"], five["he_normal"]
    assert r["history"].diverged_at is None
    assert r["first_grad_norms"][0] > 5e3 * he["first_grad_norms"][0]
    loss = r["history"].loss
    assert loss[0] < loss[1] < loss[2] and loss[3] == pytest.approx(math.log(2), abs=1e-3)
    assert np.all(r["history"].grad_norm_array()[3:, :-1] == 0.0), "from step 4 on no hidden layer gets a gradient"
    assert r["end_loss"] == pytest.approx(math.log(2), abs=1e-6) and r["accuracy"] == 0.5
    said(md, r["first_grad_norms"][0]), said(md, he["first_grad_norms"][0])
    assert " → ".join(rounded(v, 2) for v in loss[:4]) in md.replace("\n   ", " ")
    assert r["history"].status in md and "all 16 units of the last hidden layer" in md


def test_small_weights_vanish(five, md):
    r = five["small"]
    assert r["first_grad_norms"][0] < 1e-8 and r["rel_change"][0] < 1e-5
    assert r["end_loss"] == pytest.approx(math.log(2), abs=1e-6)
    said(md, r["first_grad_norms"][0], 2), said(md, r["rel_change"][0], 2), said(md, r["end_loss"])


def test_identical_weights_stay_identical(five, md):
    r = five["constant"]
    assert r["unit_spread"] == 0.0, "units that start equal get equal gradients: their weights stay equal"
    assert r["rel_change"][0] > 1.0, "... although the weights did move"
    said(md, r["unit_spread"]), said(md, r["start_loss"], 2), said(md, r["accuracy"])


def test_he_reference_trains(five, md):
    r = five["he_normal"]
    assert r["end_loss"] < 0.05 and r["accuracy"] == 1.0
    assert f"loss {said(md, r['end_loss'], 2)} after 300 steps, accuracy {rounded(r['accuracy'])}" in md


def test_unit_variance_sqrt_500(md, outputs):
    u = E.run_unit_variance(n_inputs=500, depth=5, seed=0)
    assert said(md, math.sqrt(500)) == "22.4" and "√500 ≈ 22.4," in md
    assert "sqrt(500) = 22.4" in outputs
    z1 = u[("normal", "tanh")]["stats"][0]["z_std"]
    assert z1 == pytest.approx(math.sqrt(500), rel=0.05)  # a sample of 500 units: within 5 %
    # the same first layer, measured directly: z = column sums of a 500 x 500 N(0, 1) matrix
    assert np.std(u[("normal", "tanh")]["z"][0]) == pytest.approx(z1, rel=1e-12)
    said(md, z1)
    sat = u[("normal", "tanh")]["stats"][0]["saturated"]
    # P(|z| > atanh(0.99) = 2.65) for z ~ N(0, 500) is 0.906; over 500 units the fraction has a std of 0.013
    assert abs(sat - 0.906) < 0.04
    stated(md, sat, ".3g")
    relu = [s["z_std"] for s in u[("normal", "relu")]["stats"]]
    assert all(b / a > 10 for a, b in zip(relu, relu[1:]))  # about sqrt(250) = 16 per layer
    said(md, relu[-1])
    lecun = u[("lecun_normal", "tanh")]["stats"][0]["z_std"]
    assert lecun == pytest.approx(1.0, rel=0.05)
    said(md, lecun)


def test_schemes_keep_the_scale():
    s = E.run_schemes(depth=10, width=100, seed=0)
    for init, r in s.items():
        stds = [row["std"] for row in r["stats"]]
        grads = [row["grad_std"] for row in r["stats"]]
        assert max(stds) / min(stds) < 4 and max(grads) / min(grads) < 4, init
    selu = [row["std"] for row in s["lecun_normal"]["stats"]]
    assert max(abs(v - 1) for v in selu) < 0.05


def test_glorot_reproduction(md, outputs):
    g = E.run_glorot(width=1000, hidden=5, n=100, seed=0)
    std, norm = g["glorot_standard"]["stats"], g["glorot_uniform"]["stats"]
    assert len(std) == 5 and g["glorot_standard"]["a"][0].shape == (100, 1000)
    a_std = [r["std"] for r in std]
    assert all(b < a for a, b in zip(a_std, a_std[1:])), "standard init: activations shrink layer by layer"
    assert norm[-1]["std"] / norm[0]["std"] > 0.4 > std[-1]["std"] / std[0]["std"]
    assert std[-1]["grad_std"] / std[0]["grad_std"] > 5 > norm[-1]["grad_std"] / norm[0]["grad_std"]
    for r in (std[0], std[-1], norm[0], norm[-1]):
        said(md, r["std"]), said(md, r["grad_std"])
    said(md, std[-1]["grad_std"] / std[0]["grad_std"])
    said(md, norm[-1]["grad_std"] / norm[0]["grad_std"])
    for row in E.glorot_table(g):  # the printed table holds every per-layer std
        for key, v in row.items():
            if key != "layer":
                assert format(v, ".4g") in outputs


def test_he_one_over_sqrt2(md, outputs):
    h = E.run_he_depth(depth=30, width=256, seed=0)
    lec, he = h["lecun_normal"], h["he_normal"]
    # one draw of 30 random layers: over seeds 0-5 the factors ranged 0.687-0.720 (1/n) and 0.972-1.018 (2/n)
    assert abs(lec["ratio"] * math.sqrt(2) - 1) < 0.03, "Var(W) = 1/n: std shrinks by 1/sqrt(2) per layer"
    assert abs(he["ratio"] - 1) < 0.03, "Var(W) = 2/n: std holds"
    assert lec["ratio"] == pytest.approx((lec["z_std"][-1] / lec["z_std"][0]) ** (1 / 29))
    assert said(md, 1 / math.sqrt(2)) == "0.707" and "1/√2 ≈ 0.707 per layer" in md
    said(md, lec["ratio"]), said(md, he["ratio"])
    for v in (lec["z_std"][0], lec["z_std"][-1], he["z_std"][0], he["z_std"][-1]):
        said(md, v)
    agree = abs(lec["ratio"] * math.sqrt(2) - 1) * 100  # per cent
    assert agree < 3 and f"agree to\n{rounded(agree, 1)}%" in md
    for s in (1, 2, 3):  # "with another seed each factor moves by up to about 3%"
        other = E.run_he_depth(depth=30, width=256, seed=s)
        assert (
            abs(other["lecun_normal"]["ratio"] * math.sqrt(2) - 1) < 0.03
            and abs(other["he_normal"]["ratio"] - 1) < 0.03
        )
    assert "another `seed` each factor moves by up to about 3%" in md
    for row in E.he_depth_table(h):  # the printed table: measured and predicted factors to 4 figures
        for key in ("factor per layer", "predicted factor", "std(z) layer 1", "std(z) layer 30"):
            assert format(row[key], ".4g") in outputs


def test_he_training_stalls_and_proceeds(md):
    t = E.run_he_training(depth=30, width=32, lr=0.02, steps=150, seed=0)
    lec, he = t["lecun_normal"], t["he_normal"]
    assert lec["history"].final_loss == pytest.approx(math.log(2), abs=1e-3)
    assert np.ptp(lec["history"].loss) < 1e-3, "1/n: the loss never moves"
    assert he["history"].final_loss < 0.5 * lec["history"].final_loss and he["accuracy"] > 0.8
    for r in (lec, he):
        said(md, r["history"].final_loss), said(md, r["accuracy"])


def test_regression_inits(md):
    r = E.run_regression_inits(seed=0, lr=1e-3, steps=500)
    assert r["weights in the millions"]["history"].diverged_at == 4
    assert r["biases 1e3"]["history"].diverged_at == 5
    assert "diverged at step 4" in md and "diverged at step 5" in md
    for name in ("zero weights, biases 2", "weights 2, biases 0"):
        W1 = r[name]["W1"]
        assert np.array_equal(W1[:, 0], W1[:, 1]), "symmetric start: the two hidden units stay identical"
        assert r[name]["history"].final_loss > 2 * r["he_normal (reference)"]["history"].final_loss
    for name in ("he_normal (reference)", "zero weights, biases 2", "weights 2, biases 0"):
        said(md, r[name]["history"].final_loss)
    said(md, r["he_normal (reference)"]["history"].loss[0])
    for name in ("weights in the millions", "biases 1e3"):
        said(md, r[name]["history"].loss[0], 2)
    assert r["weights in the millions"]["history"].loss[0] > 1e20 and r["biases 1e3"]["history"].loss[0] > 1e6


def test_running_example_is_lesson_06s(md, outputs):
    """The lecture's one running example, the same network, data and settings as lesson 06's (trainability.EXAMPLE),
    from N(0, 1) weights and from zeros."""
    from nncourse.lessons.trainability import EXAMPLE, run_classifier

    r = {init: run_classifier(**{**EXAMPLE, "init": init}, seed=0) for init in ("normal", "zeros")}
    assert str(EXAMPLE) in outputs
    assert all(run.settings[k] == v for run in r.values() for k, v in EXAMPLE.items() if k != "init")
    assert [run.settings["init"] for run in r.values()] == ["normal", "zeros"]
    ex = EXAMPLE
    assert (ex["dataset"], ex["activation"], ex["depth"]) == ("moons", "relu", 2)
    assert (
        f"{ex['n']} noisy\nmoons (noise {ex['noise']:g}" in md
        and f"two hidden layers of {ex['width']} ReLU units" in md
        and f"learning rate {ex['lr']:g} and {ex['epochs']} full-batch steps" in md
    )
    assert "01_neurons" not in md and "same network as lesson\n06's" in md
    z, n = r["zeros"], r["normal"]
    assert np.ptp(z.train_acc) == 0 and np.ptp(z.test_acc) == 0, "from zeros: the accuracy never moves"
    assert z.history.final_loss == pytest.approx(math.log(2), abs=1e-3) and abs(z.final["test_acc"] - 0.5) < 0.05
    assert n.final["test_acc"] > 0.9
    (
        stated(md, z.history.final_loss, ".2g"),
        stated(md, z.final["test_acc"], ".2g"),
        stated(md, n.final["test_acc"], ".2g"),
    )
    assert len(z.train_loss) == ex["epochs"] and f"all {ex['epochs']} steps" in md


def test_sigmoid_needs_more_than_glorot(md, outputs):
    """Glorot assumes slope 1 and output 0 at 0; the sigmoid has slope 1/4 and output 1/2."""
    s = E.run_sigmoid_gain(depth=10, width=100, seed=0)
    tanh, sig, sig4 = s["Glorot + tanh"], s["Glorot + sigmoid"], s["4 x Glorot + sigmoid"]
    assert 3.5 < sig["shrink"] < 5, "about 1 / sigmoid'(0) = 4 per layer"
    assert tanh["shrink"] < 1.3 and 1.3 < sig4["shrink"] < sig["shrink"]
    assert abs(sig["mean"] - 0.5) < 0.01 and abs(sig4["mean"] - 0.5) < 0.01 and abs(tanh["mean"]) < 0.01
    for v in (sig["shrink"], tanh["shrink"], sig4["shrink"], sig["grad_std"][-1], sig["grad_std"][0]):
        stated(md, v, ".2g")
    assert "σ′(0) = 1/4" in md and "tanh z = 2σ(2z) − 1" in md
    z = np.linspace(-3, 3, 7)
    assert np.allclose(np.tanh(z), 2 / (1 + np.exp(-2 * z)) - 1)
    assert "| tanh, linear (not the sigmoid: see below) |" in md and "tanh, sigmoid, linear" not in md


def test_framework_names(md):
    for name in (
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_normal_",
        "mode='fan_in'",
        "mode='fan_out'",
        "√(2 / (1 + a²))",
        "`calculate_gain`",
        "GlorotUniform",
        "HeNormal",
    ):
        assert name in md, name


def test_glorot_inputs_and_linear_range(md, outputs):
    g = E.run_glorot(width=1000, hidden=5, n=100, seed=0)
    small = E.run_glorot(width=1000, hidden=5, n=100, seed=0, input_std=0.1)
    norm = [r["std"] for r in g["glorot_uniform"]["stats"]]
    assert 0.4 < norm[-1] / norm[0] < 0.6, "the normalized init's activations still halve over 5 layers"
    stated(md, norm[-1] / norm[0], ".2g"), stated(md, norm[0] ** 2, ".2g")
    bimodal = E.end_to_centre(g["glorot_uniform"]["a"][0])
    assert bimodal > 1.5, "layer 1: more density near +-1 than near 0"
    stated(md, bimodal, ".2g")
    assert "1,000 entries, each entry drawn independently from N(0, 1)" in md
    sn = [r["std"] for r in small["glorot_uniform"]["stats"]]
    ss = [r["std"] for r in small["glorot_standard"]["stats"]]
    assert sn[-1] / sn[0] > 0.95 and E.end_to_centre(small["glorot_uniform"]["a"][0]) == 0
    assert (ss[-1] / ss[0]) ** 0.25 == pytest.approx(1 / math.sqrt(3), rel=0.02)
    for v in (sn[0], sn[-1], ss[0], ss[-1]):
        stated(md, v, ".2g")
    assert " ".join(format(v, ".2g") for v in sn) in outputs


@pytest.fixture(scope="module")
def report():
    return E.run_report_grid(seeds=range(20))


def test_report_setup_as_written(report, md, outputs):
    """The report's own setup: its 'loss about 0.05' is a constant prediction; weights in the millions and
    everything 0 end with dead hidden units; unchanged parameters come in blocks of 4, one dead unit each."""
    rows = {r["start, learning rate"]: r for r in E.report_table(report)}
    for row in rows.values():
        assert row["seeds"] == 20
    rand, rand01 = rows["report's random start, lr 0.1"], rows["report's random start, lr 0.01"]
    mill, mill_small = rows["weights in the millions, lr 0.1"], rows["weights in the millions, lr 0.001"]
    zero = rows["everything 0, lr 0.1"]
    dead, const = "all units dead", "loss = constant's"
    assert rand[dead] > 10 and rand[const] > rand[dead]
    assert (
        f"{rand[dead]} of 20 runs end with both hidden\n  units dead" in md
        and f"{rand[const]} of 20 at the constant's loss; at 0.01, {rand01[dead]} and {rand01[const]}" in md
    )
    assert mill["all units dead"] == mill_small["all units dead"] == 20 and mill["loss = constant's"] == 20
    assert mill_small["final loss > 1"] == 20 and "20 of 20 runs end with a\n  loss above 1" in md
    assert zero["all units dead"] == zero["loss = constant's"] == 20
    for r in report["everything 0, lr 0.1"]:
        assert np.all(r["end"][:-1] == 0) and r["end"][-1] != 0, "only the output bias moves"
    assert "all 6 weights and both hidden biases stay 0 in 20 of 20 runs" in md
    const = [r["constant_loss"] for r in report["everything 0, lr 0.1"]]
    assert f"{min(const):.2f} to {max(const):.2f}" == "0.04 to 0.06" and "Var(y)\n  is 0.04 to 0.06" in md
    runs = report["report's random start, lr 0.1"]
    assert rand["some params unchanged"] > 0 and f"In {rand['some params unchanged']} of 20 runs" in md
    assert all(r["unchanged"] % 4 == 0 for r in runs)
    for r in runs:  # the unchanged parameters are one hidden unit's: W[:, j], b[j], W_out[j] (order W1, b1, W2, b2)
        same = r["start"] == r["end"]
        for j in range(2):
            unit = same[[j, 2 + j, 4 + j, 6 + j]]
            assert unit.all() or not unit.any()
    m0 = E.run_report(0, lr=0.1, **E.REPORT_STARTS["weights in the millions"])
    stated(md, m0["history"].loss[0], ".2g")
    for label in E.REPORT_GRID:
        assert label in outputs


def test_report_network_as_written():
    m = E.report_network(np.random.default_rng(0))
    W = np.concatenate([layer.params[k].ravel() for layer in m.param_layers for k in ("W", "b")])
    assert W.size == 9 and np.all(np.round(W, 2) == W)
    X, y = E.report_data(0)
    assert X.shape == (300, 2) and X.min() == 0 and X.max() == 1 and y.min() == 0 and y.max() == 1


def test_histogram_panel_updates_and_validates():
    panel = E.histogram_panel()
    first = panel.result
    assert len(first["stats"]) == 10 and first["a"][0].shape == (100, 100)
    panel.controls["depth"].value = 8
    assert len(panel.result["stats"]) == 8 and panel.updates == 2
    panel.controls["init"].value = "zeros"
    assert all(s["std"] == 0.0 for s in panel.result["stats"])
    assert "layer 1" in E.histogram_summary(first)
    with pytest.raises(ValueError, match="initializer"):
        E.run_histograms(init="xavier_magic")
    with pytest.raises(ValueError, match="depth"):
        E.run_histograms(depth=0)


def test_scaled_initializer(rng):
    w = E.scaled("he_normal", 3.0)((400, 300), rng)
    assert np.var(w) == pytest.approx(9 * 2 / 400, rel=0.05)
    assert E.scaled("zeros") is not None and np.all(E.scaled("zeros", 5.0)((2, 2), rng) == 0)


def test_arithmetic_in_prose(md):
    """The per-layer factors the prose quotes: ReLU layers of 16 units with N(0, 2^2) and N(0, 0.01^2) weights,
    and 500-unit ReLU layers with N(0, 1) weights, scale the signal by std(W) * sqrt(n / 2)."""
    assert f"{2 * math.sqrt(16 / 2):.2g}" == "5.7" and "≈ 5.7" in md
    assert f"{0.01 * math.sqrt(8):.2g}" == "0.028" and "≈ 0.028" in md
    assert f"{math.sqrt(500 / 2):.2g}" == "16" and "√(500/2) ≈ 16" in md


def test_standard_init_variance_factor(md):
    """U[-1/sqrt(n), 1/sqrt(n)] has Var(W) = 1/(3n): each layer multiplies the variance by n Var(W) = 1/3."""
    from nncourse.core.init import glorot_standard, promised_variance

    n = 1000
    assert n * promised_variance("glorot_standard", (n, n)) == pytest.approx(1 / 3)
    w = glorot_standard((n, n), np.random.default_rng(0))
    assert n * np.var(w) == pytest.approx(1 / 3, rel=0.01)
    assert "Var(W) = 1/(3n)" in md
    assert "multiplies the variance by about\n1/3" in md


def test_histogram_panel_opens_on_the_lessons_point(md, outputs):
    """The panel opens on the standard init with tanh at depth 10, where both histograms shrink layer by layer;
    glorot_uniform, one click away, keeps both within a small factor. The prose states both."""
    panel = E.histogram_panel()
    r = panel.result
    assert (r["init"], r["activation"], len(r["stats"])) == ("glorot_standard", "tanh", 10)
    assert E.histogram_summary(r) in outputs
    s = r["stats"]
    assert s[0]["std"] / s[-1]["std"] > 100 and s[-1]["grad_std"] / s[0]["grad_std"] > 100
    text = md.replace("\n", " ")
    assert (
        f"falls from {rounded(s[0]['std'])} in layer 1 to {rounded(s[-1]['std'])} in layer 10, and the gradient's "
        f"from {rounded(s[-1]['grad_std'])} in layer 10 to {rounded(s[0]['grad_std'])} in layer 1"
    ) in text
    panel.controls["init"].value = "glorot_uniform"
    u = panel.result["stats"]
    factor = max(u[0]["std"] / u[-1]["std"], u[-1]["grad_std"] / u[0]["grad_std"])
    assert factor < 4
    assert (
        f"within a factor of about {rounded(factor, 1)} ({rounded(u[0]['std'])} → {rounded(u[-1]['std'])} and "
        f"{rounded(u[-1]['grad_std'])} → {rounded(u[0]['grad_std'])})"
    ) in text


def test_histogram_panel_takes_the_lessons_seed():
    """`seed` (no slider) reaches the run: another seed, other draws; an unknown setting is refused by name."""
    assert E.histogram_panel().fixed["seed"] == 0
    panel = E.histogram_panel(seed=3, depth=2)
    assert panel.fixed["seed"] == 3
    assert (
        panel.result["stats"][0]["std"]
        == E.run_histograms(init="glorot_standard", depth=2, n=100, seed=3, activation="tanh")["stats"][0]["std"]
    )
    with pytest.raises(ValueError, match="setting"):
        E.histogram_panel(seeed=3)
