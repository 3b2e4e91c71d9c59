"""Lesson 06 (trainability): the experiment library, its panels, and every number the lesson's prose states,
recomputed with the notebook's default parameters and looked up, as written, in its markdown."""

import inspect

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import hessian
from matplotlib.figure import Figure

from conftest import assert_stated as stated, notebook_markdown, notebook_parameters
from nncourse.blocks.normalization import BatchNorm, Dropout
from nncourse.blocks.regularization import near_zero_fraction
from nncourse.blocks.residual import ResidualBlock
from nncourse.core.layers import Dense, ReLU, Sigmoid, Tanh
from nncourse.lessons import trainability as T

NB = "06_trainability.ipynb"


P = notebook_parameters(NB)
EXAMPLE = dict(dataset=P["dataset"], noise=P["noise"], lr=P["lr"], epochs=P["epochs"])


@pytest.fixture(scope="module")
def prose():
    return notebook_markdown(NB)


# --- the library ------------------------------------------------------------------------------------------
def test_build_classifier_layers():
    m = T.build_classifier(depth=3, width=5, activation="tanh", batchnorm=True, dropout=0.2, residual=True)
    kinds = [type(layer) for layer in m.layers]
    assert kinds == [Dense, BatchNorm, Tanh, Dropout, ResidualBlock, Dropout, ResidualBlock, Dropout, Dense]
    assert [type(layer) for layer in m.layers[4].layers] == [Dense, BatchNorm, Tanh]
    plain = T.build_classifier(depth=2, width=8)
    assert [type(layer) for layer in plain.layers] == [Dense, ReLU, Dense, ReLU, Dense]
    assert T.count_parameters(plain) == (2 * 8 + 8 * 8 + 8, 8 + 8 + 1)
    sig = T.build_classifier(depth=1, activation="sigmoid", init="zeros")
    assert isinstance(sig.layers[1], Sigmoid) and not np.any(sig.layers[0].params["W"])


def test_build_classifier_bad_input():
    with pytest.raises(ValueError, match="choose one of"):
        T.build_classifier(activation="softmax")
    with pytest.raises(ValueError, match="choose one of"):
        T.build_classifier(init="huge")
    with pytest.raises(ValueError, match="positive integer"):
        T.build_classifier(depth=0)
    for rate in (1.5, -0.1):
        with pytest.raises(ValueError, match="dropout rate"):
            T.build_classifier(dropout=rate)
    with pytest.raises(ValueError, match="choose one of"):
        T.make_split("swiss roll")


def test_make_split_sizes_and_determinism():
    s = T.make_split("circles", 100, 0.1, seed=4)
    assert s.X_train.shape == (75, 2) and s.X_test.shape == (25, 2) and s.y_train.shape == (75, 1)
    assert np.array_equal(s.X_train, T.make_split("circles", 100, 0.1, seed=4).X_train)
    extra = T.make_split("moons", 30, 0.35, seed=1, n_test=200)
    assert len(extra.X_train) == 30 and len(extra.X_test) == 200


def test_standardized_uses_training_statistics_only():
    raw = T.make_split().transformed(T.unscale)
    std = T.standardized(raw)
    assert np.allclose(std.X_train.mean(axis=0), 0, atol=1e-12) and np.allclose(std.X_train.std(axis=0), 1)
    mu, sd = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
    assert np.allclose(std.X_test, (raw.X_test - mu) / sd)


def test_unscale_multiplies_the_second_feature_by_100_and_shifts():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    assert np.array_equal(T.unscale(X), [[3.0, 250.0], [2.0, -50.0]])


def test_logistic_hessian_matches_autograd(rng):
    X = rng.normal([2.0, 50.0], [1.0, 70.0], size=(40, 2))
    y = (rng.random((40, 1)) < 0.5).astype(float)

    def loss(theta):
        z = anp.dot(X, theta[:2]) + theta[2]
        return anp.mean(anp.logaddexp(0, z) - y.ravel() * z)

    H = hessian(loss)(np.zeros(3))
    assert np.allclose(T.logistic_hessian(X), H, rtol=1e-12, atol=0)
    ev = np.linalg.eigvalsh(H)
    assert T.condition_number(H) == pytest.approx(ev[-1] / ev[0], rel=1e-12)


def test_logistic_loss_grid_is_the_logistic_loss(rng):
    X, y = rng.normal(size=(10, 2)), (rng.random((10, 1)) < 0.5).astype(float)
    W1, W2, L = T.logistic_loss_grid(X, y, w_range=2.0, resolution=5)
    w = np.array([W1[1, 3], W2[1, 3]])
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    assert L[1, 3] == pytest.approx(np.mean(-(y.ravel() * np.log(p) + (1 - y.ravel()) * np.log(1 - p))), rel=1e-12)


def test_run_classifier_is_deterministic_and_curves_have_one_entry_per_epoch():
    a = T.run_classifier(epochs=15, dropout=0.3, batchnorm=True, seed=5)
    b = T.run_classifier(epochs=15, dropout=0.3, batchnorm=True, seed=5)
    assert a.train_loss == b.train_loss and a.test_acc == b.test_acc
    assert len(a.train_loss) == len(a.test_loss) == len(a.train_acc) == 15
    assert a.final["test_loss"] == a.test_loss[-1]


def test_a_diverging_run_is_reported_not_raised():
    r = T.run_classifier(lr=1e300, epochs=20, seed=0)  # BCE is linear in the logit: only overflow diverges
    assert r.diverged and "diverged at step" in r.status
    fig = Figure()
    T.plot_run(r, fig)  # draws a message instead of a boundary


def test_plots_draw(tmp_path):
    reg = T.run_regularization(seed=0, epochs=10, n_test=20)
    for fn, args in ((T.plot_side_by_side, (reg,)), (T.plot_weight_histograms, (reg,)), (T.plot_run, (reg["none"],))):
        fig = Figure()
        fn(*args, fig)
        assert fig.axes
    fig = Figure()
    T.plot_remedies(reg, fig)
    assert len(fig.axes) == len(reg) + 2 and fig.axes[-1].get_ylim() == fig.axes[-2].get_ylim()
    fig = Figure()
    T.plot_input_scaling(T.run_input_scaling(lrs=(0.1,), epochs=5), fig)
    assert len(fig.axes) == 3


def test_loss_axes_start_at_zero_and_share_a_scale_unless_asked_not_to():
    """A loss that does not move must look flat: the zero-initialized runs' losses stay within 0.01."""
    runs = T.run_initialization(activations=("relu", "sigmoid"), epochs=20)
    for own_scale in (False, True):
        fig = Figure()
        T.plot_side_by_side(runs, fig, own_scale=own_scale)
        lims = [ax.get_ylim() for ax in fig.axes[2:]]
        if own_scale:
            assert all(hi - lo < 0.1 for lo, hi in lims), "autoscaled: the flat losses fill the axes"
        else:
            assert lims[0] == lims[1] and lims[0][0] == 0 and lims[0][1] > 0.6


# --- the slider panels ------------------------------------------------------------------------------------
def test_playground_panel_defaults_and_a_slider_move():
    panel = T.playground_panel()
    expected = T.run_classifier(**{**T.EXAMPLE, **T.PLAYGROUND_START}, seed=0)
    assert panel.result.train_loss == expected.train_loss
    panel.controls["batchnorm"].value = True
    panel.controls["activation"].value = "tanh"
    moved = T.run_classifier(**{**T.EXAMPLE, **T.PLAYGROUND_START, "activation": "tanh"}, batchnorm=True, seed=0)
    assert panel.result.train_loss == moved.train_loss and panel.updates == 3


def test_overfitting_panel_defaults_and_early_stopping_toggle():
    panel = T.overfitting_panel(seed=2)
    assert panel.result.early_stopping is None
    panel.controls["early_stopping"].value = True
    es = panel.result.early_stopping
    assert es is not None and es.stopped_epoch == es.best_epoch + 20


# --- the lesson's numbers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example():
    return T.run_classifier(**{**T.EXAMPLE, **EXAMPLE}, seed=P["seed"])


def test_section1_the_running_example_is_the_lectures(prose, example):
    """Source 004: two features, targets 0/1, sigmoid output, N(0, 1) weights; data and architecture are ours."""
    assert T.count_parameters(example.model) == (88, 17)
    assert T.EXAMPLE["init"] == "normal" and T.EXAMPLE["activation"] == "relu" and T.EXAMPLE["depth"] == 2
    assert example.settings["init"] == "normal"
    W = T.build_classifier(init="normal", width=400, seed=1).layers[2].params["W"]
    assert W.mean() == pytest.approx(0, abs=0.01) and W.std() == pytest.approx(1, abs=0.01)
    stated(
        prose,
        "88 weights and 17 biases",
        '240\nnoisy "moons"',
        "mean 0 and variance 1, N(0, 1)",
        "This is *the running example* of lesson 06 and of lesson 04",
    )
    assert len(example.split.X_train) + len(example.split.X_test) == 240


def test_section2_activations(prose):
    acts = T.run_activations(seed=P["seed"], **EXAMPLE)
    f = {k: r.final for k, r in acts.items()}
    assert all(r.settings["init"] == "normal" for r in acts.values()), "the lecture's N(0, 1) start"
    names = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
    stated(
        prose,
        f"| hidden activation | training loss after step 1 | after {P['epochs']} steps | test accuracy |",
        *(
            f"| {names[k]} | {r.train_loss[0]:.3g} | {f[k]['train_loss']:.3f} | {f[k]['test_acc']:.3f} |"
            for k, r in acts.items()
        ),
        f"from {acts['sigmoid'].train_loss[0]:.3g} to {f['sigmoid']['train_loss']:.3f}",
        f"from {acts['relu'].train_loss[0]:.3g} to\n{f['relu']['train_loss']:.3f}",
    )
    assert f["sigmoid"]["train_loss"] > 3 * max(f["relu"]["train_loss"], f["tanh"]["train_loss"])


def test_section3_zero_initialization_learns_only_the_class_share(prose):
    inits = T.run_initialization(seed=P["seed"], **EXAMPLE)
    assert tuple(inits) == T.HIDDEN_ACTIVATIONS, "the lecture's figure: all three networks"
    zero = inits["relu"]
    share = float(zero.split.y_train.mean())
    entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    for name, r in inits.items():
        assert r.final["train_loss"] == pytest.approx(entropy, abs=5e-5), name
        assert r.final["train_acc"] == pytest.approx(max(share, 1 - share)), name
        assert f"{r.final['train_loss']:.4f}" == f"{zero.final['train_loss']:.4f}"
        assert r.final["test_acc"] == zero.final["test_acc"] and T.hidden_units_identical(r.model), name
        hidden = [layer for layer in r.model.layers if isinstance(layer, Dense)][:-1]
        moved = any(np.any(layer.params["W"]) for layer in hidden)
        assert moved == (name == "sigmoid"), "zero hidden weights never move, except after sigmoid's 0.5"
    assert zero.final["test_acc"] <= 0.5
    stated(
        prose,
        f"stops at {zero.final['train_loss']:.3g}, the entropy of the\nclass-1 share ({share:.3f})",
        f"training accuracy is {zero.final['train_acc']:.3f}",
        f"test accuracy {zero.final['test_acc']:.3f}, no better",
    )


def test_section4_input_scaling(prose):
    res = T.run_input_scaling(seed=P["seed"], dataset=P["dataset"], noise=P["noise"], epochs=P["epochs"])
    assert len(res.lrs) == 5
    best = {v: min(x for x in res.final_loss[v] if np.isfinite(x)) for v in res.final_loss}
    assert best["standardized"] < 0.25 * best["unscaled"]
    cond = {v: T.condition_number(T.logistic_hessian(sp.X_train)) for v, sp in res.splits.items()}
    assert cond["unscaled"] > 1e4 * cond["standardized"]
    two_figures = lambda x: float(f"{x:.2g}")  # 131,000 -> 130,000, as the prose writes it
    stated(
        prose,
        "five learning rates",
        "multiply the second feature by 100",
        "(by 2\nand 50)",
        f"{best['standardized']:.2g} (at learning rate {res.best_lr['standardized']:g})",
        f"{best['unscaled']:.3g} (at {res.best_lr['unscaled']:g})",
        "keep the running example but",
        f"is about {two_figures(cond['unscaled']):,.0f} for the unscaled",
        f"and {cond['standardized']:.2g} once standardized",
    )


@pytest.fixture(scope="module")
def deep():
    return T.run_batchnorm(seed=P["seed"], dataset=P["dataset"], noise=P["noise"], epochs=P["epochs"])


def test_section5_batchnorm_rescues_the_deep_sigmoid_network(prose, deep):
    without, with_bn = deep["without batch norm"].final, deep["with batch norm"].final
    share = float(deep["without batch norm"].split.y_train.mean())
    entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    assert without["train_loss"] == pytest.approx(entropy, abs=5e-4)
    assert T.DEEP["depth"] == 8 and T.DEEP["width"] == 16 and T.DEEP["activation"] == "sigmoid"
    assert T.DEEP["init"] == "default" and T.DEEPER["init"] == "default"
    stated(prose, "started from Glorot's initialization", "Glorot's initialization instead of\nN(0, 1)")
    late = deep["with batch norm"].late_train_loss(50)
    # the batch-norm run is chaotic (0.067 to 0.120 under four OpenBLAS kernels, test accuracy 0.967 to 0.983, and
    # below 0.95 in one perturbed run): the stated thresholds hold with a margin
    assert late < 0.85 * 0.2 and with_bn["test_acc"] > 0.9 + 0.02
    assert T.batchnorm_summary(deep) == (
        f"without batch norm train loss {without['train_loss']:.3f}, test accuracy {without['test_acc']:.3f}\n"
        "with batch norm    mean train loss over the last 50 epochs below 0.2, test accuracy above 0.9"
    )
    stated(
        prose,
        "8 hidden layers of 16 sigmoid units",
        f"stays at {without['train_loss']:.3f}",
        "over the last 50 epochs its training loss stays below 0.2 on average, and its test\naccuracy ends above 0.9",
    )


def test_section5_batchnorm_modes(prose, deep):
    run = deep["with batch norm"]
    out = T.batch_dependence(run.model, run.split, seed=P["seed"])
    assert out["inference mode, alone"] == pytest.approx(out["inference mode, in the test set"], abs=1e-12)
    training = sorted(v for k, v in out.items() if k.startswith("training mode"))
    # by a margin far above what a machine's rounding moves (the logits themselves are chaotic: the two closest were
    # 0.015 apart under one OpenBLAS kernel)
    assert min(np.diff(training)) > 1e-3, "in training mode each batch gives its own logit, by a margin"
    assert T.batch_dependence_summary(out) == (
        "training mode (2 random batches, the whole training set): 3 different logits\n"
        "inference mode (alone, in the test set): the same logit both times"
    )
    assert run.model.predict(run.split.X_test[:1])[0, 0] == out["inference mode, alone"], "statistics restored"
    stated(prose, "give three different logits", "the same logit")


@pytest.fixture(scope="module")
def reg():
    return T.run_regularization(seed=P["seed"], dataset=P["dataset"], epochs=P["overfit_epochs"])


def test_section6_overfitting(prose, reg):
    plain = reg["none"]
    f = plain.final
    best = int(np.argmin(plain.test_loss)) + 1
    assert f["test_loss"] > 2 * min(plain.test_loss) and f["train_loss"] < 0.1
    assert T.count_parameters(plain.model)[0] == 1120
    o = T.OVERFIT
    assert (o["n"], o["noise"], o["width"], o["n_test"]) == (30, 0.35, 32, 200)
    stated(
        prose,
        "(30 points, noise 0.35)",
        "two hidden layers of 32 units, 1120 weights",
        "large test set (200 points)",
        f"keeps falling, to {f['train_loss']:.3g}",
        f"lowest, {min(plain.test_loss):.3g}, at epoch {best}",
        f"climbs to {f['test_loss']:.3g}",
        f"({f['train_acc']:.3f} on the training set, {f['test_acc']:.3f} on the test set)",
    )


def test_section6_remedies(prose, reg):
    f = {k: r.final for k, r in reg.items()}
    for name in ("L2", "L1", "dropout", "early stopping"):
        assert f[name]["test_loss"] < f["none"]["test_loss"], f"{name} cuts the test loss"
    es = reg["early stopping"].early_stopping
    assert es.stopped_epoch == es.best_epoch + 20
    accs = [x["test_acc"] for x in f.values()]
    assert T.REGULARIZERS == {
        "none": {},
        "L2": {"l2": 0.01},
        "L1": {"l1": 0.003},
        "dropout": {"dropout": 0.4},
        "early stopping": {"patience": 20},
    }
    n_fit = len(reg["none"].split.X_train) - int(round(0.25 * len(reg["none"].split.X_train)))
    settings = {
        "none": "—",
        "L2": "$\\lambda_2$ = 0.01",
        "L1": "$\\lambda_1$ = 0.003",
        "dropout": "$p$ = 0.4",
        "early stopping": "patience 20 epochs",
    }
    row_name = {"L2": "L2 penalty", "L1": "L1 penalty"}
    stated(
        prose,
        *(
            f"| {row_name.get(k, k)} | {settings[k]} | {x['test_loss']:.3g} | {x['test_acc']:.3f} |"
            for k, x in f.items()
        ),
    )
    remedies = {k: x["test_loss"] for k, x in f.items() if k != "none"}
    assert min(remedies, key=remedies.get) == "L2" and max(remedies, key=remedies.get) == "dropout"
    stated(
        prose,
        f"from {f['none']['test_loss']:.3g} without regularization: L2 most, to {f['L2']['test_loss']:.3g}, "
        f"dropout least, to {f['dropout']['test_loss']:.3g}",
        f"stopped at epoch {es.stopped_epoch} and kept the weights of epoch {es.best_epoch}",
        f"({min(accs):.3f} to {max(accs):.3f})",
        f"only {n_fit} of the 30 points",
        "not improved for 20 epochs",
    )


def test_section6_weights_near_zero(prose, reg):
    frac = {k: near_zero_fraction(reg[k].model) for k in ("none", "L2", "L1")}
    assert frac["none"] < frac["L2"] < frac["L1"] and frac["L1"] > 0.5
    stated(
        prose,
        f"{frac['none']:.1%} of the weights are within 0.01",
        f"with L2 {frac['L2']:.1%}",
        f"with L1 {frac['L1']:.1%}",
    )


def test_section7_residual(prose):
    res = T.run_residual(seed=P["seed"], dataset=P["dataset"], noise=P["noise"], epochs=P["epochs"])
    late = {k: r.late_train_loss(50) for k, r in res.items()}
    # the stated thresholds hold with a margin: the chaotic runs move by about 20% between machines
    # with a margin (the portability check measured 0.22-0.29 and 0.034-0.073 across kernels and perturbations)
    assert late["plain"] > 1.3 * 0.15 and late["residual"] < 0.8 * 0.1
    assert T.residual_summary(res) == (
        "plain     mean training loss over the last 50 epochs above 0.15\n"
        "residual  mean training loss over the last 50 epochs below 0.1"
    )
    assert (T.DEEPER["depth"], T.DEEPER["width"], T.DEEPER["activation"], T.DEEPER["lr"]) == (20, 8, "tanh", 0.05)
    stated(
        prose,
        "20 hidden layers of 8 tanh units (learning rate 0.05, Glorot",
        "epochs it stays above 0.15 on average. The residual one stays below 0.1. The identity path",
    )


def test_more_data_all_but_removes_the_overfitting(prose):
    """The prose's claim about 200 training points in the over-fitting panel."""
    small, large = T.run_overfitting(n=30, seed=P["seed"]), T.run_overfitting(n=200, seed=P["seed"])
    assert small.final["test_loss"] > 2 * min(small.test_loss)
    assert large.final["test_loss"] < 1.05 * min(large.test_loss)
    stated(prose, "With 200 training points the over-fitting all but disappears")


def test_the_playground_opens_on_a_network_that_does_not_learn(prose):
    """The panel's opening setting shows the lesson's point: stuck at the class-share entropy; batch norm rescues
    it, the running example's N(0, 1) start gets it learning, slowly."""
    start = dict(
        T.EXAMPLE, **T.PLAYGROUND_START, dataset=P["dataset"], noise=P["noise"], lr=P["lr"], epochs=P["epochs"]
    )
    stuck = T.run_classifier(**start, seed=P["seed"])
    share = float(stuck.split.y_train.mean())
    entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    assert stuck.final["train_loss"] == pytest.approx(entropy, abs=5e-4)
    assert T.run_classifier(**start, batchnorm=True, seed=P["seed"]).final["train_loss"] < 0.2 * entropy
    n01 = T.run_classifier(**{**start, "init": "normal"}, seed=P["seed"]).final["train_loss"]
    assert 0.5 * entropy < n01 < 0.9 * entropy, "N(0, 1) gets it learning, slowly"
    assert T.PLAYGROUND_START == dict(activation="sigmoid", depth=6, init="default")
    stated(
        prose,
        "6 hidden layers of sigmoid units with Glorot's initialization",
        "turn on batch norm; or set the initializer to `normal`",
        "the running example's N(0, 1), which gets it\n  learning, slowly",
        "stays at the\nclass-share entropy",
        "opening on the over-fitting of section 6",
    )


def test_section5_an_all_ones_upstream_gradient_misses_only_the_xhat_term(prose):
    v = T.batchnorm_backward_variants(seed=P["seed"])
    ones_pass = {k: dx < 1e-8 for k, (dx, _) in v.items()}
    random_pass = {k: err < 1e-7 for k, (_, err) in v.items()}
    assert ones_pass == {
        "right": True,
        "without both mean terms": False,
        "without mean(g)": False,
        "without x_hat mean(g x_hat)": True,
    }
    assert random_pass == {
        "right": True,
        "without both mean terms": False,
        "without mean(g)": False,
        "without x_hat mean(g x_hat)": False,
    }
    assert all(err > 1e-3 for k, (_, err) in v.items() if k != "right"), "caught by a wide margin"
    stated(prose, "a pass that forgets only the", "still returns 0 and passes")
    assert "the two mean terms cancel everything and a\nbackward pass that forgets them passes" not in prose


def test_section4_keeps_the_running_examples_start_because_its_runs_are_portable(prose):
    """Section 4 trains from the running example's N(0, 1) start: every one of its runs, unscaled and standardized,
    survives a relative 1e-12 perturbation of its steps (a stand-in for another machine), so the stated losses are
    the ones a learner sees. He's start, which the lesson used before the seed streams were separated, is not: its
    best unscaled run (lr 0.1) moves by about 5e-3."""
    import perturb
    from nncourse.core import optim

    cfg = dict(seed=P["seed"], dataset=P["dataset"], noise=P["noise"], epochs=P["epochs"])
    original = optim.Optimizer.step
    runs = {}
    for eps in (0.0, 1e-12):
        try:
            if eps:
                perturb.install(eps)
            runs[eps] = {i: T.run_input_scaling(init=i, **cfg).final_loss for i in ("normal", "default")}
        finally:
            optim.Optimizer.step = original
    for version in ("unscaled", "standardized"):
        assert runs[0.0]["normal"][version] == pytest.approx(runs[1e-12]["normal"][version], abs=1e-6), version
    # how far a chaotic run moves depends on the machine: only that it moves by far more than the stable runs
    assert max(abs(a - b) for a, b in zip(runs[0.0]["default"]["unscaled"], runs[1e-12]["default"]["unscaled"])) > 1e-4
    assert inspect.signature(T.run_input_scaling).parameters["init"].default == T.EXAMPLE["init"] == "normal"
    stated(prose, "keep the running example but", "from the running example's N(0, 1)")
    assert "One departure" not in prose


def test_the_playground_plays_the_run_it_shows_frame_by_frame():
    """Play advances EPOCHS_PER_FRAME epochs a frame; played to the end it is the panel's own run, number for
    number, and it stops with what the run did."""
    panel = T.playground_panel()
    player = panel.player
    player.reset()
    assert player.frames == 0 and panel.result.train_loss == []
    message = None
    while message is None:
        message = player.step()
    assert player.frames == T.PLAYGROUND_START.get("epochs", T.EXAMPLE["epochs"]) // T.EPOCHS_PER_FRAME
    whole = T.run_classifier(**panel.fixed, **panel.values)
    assert panel.result.final == whole.final and panel.result.train_loss == whole.train_loss
    assert message == f"finished {panel.fixed['epochs']} epochs: {whole.status}"


def test_a_diverging_playground_run_stops_at_its_step():
    panel = T.playground_panel(lr=10.0, activation="relu", init="he_normal", depth=8, width=32)
    player = panel.player
    message = None
    while message is None:
        message = player.step()
    whole = T.run_classifier(**panel.fixed, **panel.values)
    assert whole.diverged and message == whole.history.status


def test_playing_frames_are_blitted_pngs_that_match_a_full_redraw():
    """While it plays, the playground draws only what changes onto a saved background (PNG); the picture is the
    full redraw's, and the last frame is drawn in full again (SVG)."""
    import io

    from PIL import Image

    panel = T.playground_panel(activation="relu", depth=2, init="he_normal")
    player = panel.player
    player.reset()
    player.play.playing = True
    for _ in range(5):
        player.step()
    assert panel.image.format == "png"
    fast = np.asarray(Image.open(io.BytesIO(bytes(panel.image.value))).convert("RGB"), dtype=float)
    full_fig = Figure(figsize=panel.figure.get_size_inches(), dpi=panel.figure.dpi)
    T.plot_panel(panel.result, full_fig)
    full_fig.axes[1].set_ylim(*T.PLAYGROUND_STEPPER.frame._ax_l.get_ylim())
    buf = io.BytesIO()
    full_fig.savefig(buf, format="png")
    full = np.asarray(Image.open(buf).convert("RGB"), dtype=float)
    assert fast.shape == full.shape and np.abs(fast - full).mean() < 2.0
    player.play.playing = False
    player.step()
    assert panel.image.format == "svg+xml"
