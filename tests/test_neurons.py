"""Lesson 01 (neurons): the hand calculation equals the library's, the hand-built detector is right, the learned
one reaches the accuracy the lesson states, every number in the prose is computed, and the panels update."""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from conftest import ROOT, notebook_markdown
from nncourse import ACTIVATIONS, get_activation, mlp
from nncourse.core import gradcheck
from nncourse.datasets.synthetic import Standardizer
from nncourse.diagrams import all_images, render
from nncourse.lessons import neurons

MD = notebook_markdown("01_neurons.ipynb")


def stated(literal, value, fmt, unit=""):
    """`value` formatted with `fmt` (plus `unit`) is `literal`, and the lesson's prose contains that literal."""
    shown = format(value, fmt) + unit
    assert shown == literal, f"computed {value!r} prints as {shown}, prose says {literal}"
    assert literal in MD, f"{literal} not found in the markdown of 01_neurons.ipynb"


# --- one neuron by hand --------------------------------------------------------------------------------------


def _assert_same(hand, lib, tol=1e-12):
    for key in lib:
        np.testing.assert_allclose(np.asarray(hand[key]), np.asarray(lib[key]), rtol=0, atol=tol, err_msg=key)


def test_hand_example_equals_library():
    _assert_same(neurons.neuron_by_hand(**neurons.HAND_EXAMPLE), neurons.neuron_by_library(**neurons.HAND_EXAMPLE))


def test_hand_equals_library_on_random_neurons(rng):
    for d in (1, 2, 5):
        x, w = rng.normal(size=d), rng.normal(size=d)
        b, target = float(rng.normal()), float(rng.uniform())
        _assert_same(
            neurons.neuron_by_hand(x.tolist(), w.tolist(), b, target), neurons.neuron_by_library(x, w, b, target)
        )


def test_hand_gradients_match_autograd_and_finite_differences(rng):
    x, w, b, target = rng.normal(size=3), rng.normal(size=3), 0.3, 0.2

    def loss(w_, b_, x_):
        a = 1.0 / (1.0 + anp.exp(-(anp.dot(w_, x_) + b_)))
        return 0.5 * (a - target) ** 2

    hand = neurons.neuron_by_hand(x.tolist(), w.tolist(), b, target)
    np.testing.assert_allclose(hand["dE_dw"], grad(loss, 0)(w, b, x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hand["dE_db"], grad(loss, 1)(w, b, x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hand["dE_dx"], grad(loss, 2)(w, b, x), rtol=1e-12, atol=1e-15)
    wc = w.copy()
    num = gradcheck.numerical_gradient(lambda: np.array(loss(wc, b, x)), wc, np.array(1.0))
    assert gradcheck.relative_error(hand["dE_dw"], num) < 1e-8


def test_stated_example_is_the_computed_one():
    ex = neurons.HAND_EXAMPLE
    assert ex == {"x": (1.0, 2.0), "w": (0.5, -0.25), "b": 0.1, "target": 1.0}
    for text in ("$x = (1, 2)$", "$w = (0.5, -0.25)$", "$b = 0.1$", "target $t = 1$"):
        assert text in MD


def three(value):
    """A number, or a tuple of numbers as "(u, v)", rounded to three significant figures as the lesson writes it."""
    return f"({', '.join(format(v, '.3g') for v in value)})" if isinstance(value, (tuple, list)) else f"{value:.3g}"


def test_stated_forward_backward_numbers():
    """The hand calculation's table (three significant figures, as the cell prints them) and the step after it."""
    h = neurons.neuron_by_hand(**neurons.HAND_EXAMPLE)
    assert abs(h["z"] - 0.1) < 1e-15 and "+ 0.1 = 0.1$" in MD
    d = "$\\partial E/\\partial"
    rows = {
        "| output $a$ | $\\sigma(z)$ |": h["a"],
        "| error $E$ | $\\tfrac12 (a - t)^2$ |": h["loss"],
        f"| {d} a$ | $a - t$ |": h["dE_da"],
        "| $\\partial a/\\partial z$ | $a(1 - a)$ |": h["da_dz"],
        f"| {d} z$ | {d} a \\cdot \\partial a/\\partial z$ |": h["dE_dz"],
        f"| {d} w$ | {d} z \\cdot x$ |": h["dE_dw"],
        f"| {d} b$ | {d} z \\cdot 1$ |": h["dE_db"],
        f"| {d} x$ | {d} z \\cdot w$ |": h["dE_dx"],
    }
    for row, value in rows.items():
        assert f"{row} {three(value)} |" in MD, (row, three(value))
    assert abs(h["da_dz"] - 0.25) < 1e-3 and "close to its maximum 0.25" in MD
    assert h["dE_dw"][1] == 2 * h["dE_dw"][0] and "exactly twice $w_1$'s" in MD
    step = neurons.neuron_after_step(**neurons.HAND_EXAMPLE, lr=1.0)
    assert f"$({three(step['w'][0])}, {three(step['w'][1])})$ and the bias {three(step['b'])};" in MD
    assert f"from {three(h['a'])} to {three(step['a'])}" in MD
    assert f"from {three(h['loss'])} to {three(step['loss'])}, to less than half" in MD
    assert step["loss"] < 0.5 * h["loss"]


def test_step_matches_library_update():
    ex = neurons.HAND_EXAMPLE
    lib = neurons.neuron_by_library(**ex)
    new_w = np.array(ex["w"]) - np.array(lib["dE_dw"])
    after = neurons.neuron_by_library(ex["x"], new_w, ex["b"] - lib["dE_db"], ex["target"])
    step = neurons.neuron_after_step(**ex, lr=1.0)
    assert abs(after["a"] - step["a"]) < 1e-12 and abs(after["loss"] - step["loss"]) < 1e-12


# --- activations -----------------------------------------------------------------------------------------------


def test_stated_activation_facts():
    rows = neurons.activation_table()
    sig, tanh, selu = rows["sigmoid"], rows["tanh"], rows["selu"]
    assert sig["f'(0)"] == 0.25 and sig["max f'"] == 0.25 and sig["argmax"] == 0.0
    assert "\\sigma'(0) = 0.25$" in MD
    assert tanh["f'(0)"] == 1.0 and "\\tanh'(0) = 1$" in MD
    assert tanh["f'(0)"] / sig["f'(0)"] == 4 and "four times the sigmoid's" in MD
    stated("0.045", sig["f'(3)"], ".2g")
    stated("0.0099", tanh["f'(3)"], ".2g")
    stated("1.05", selu["f'(3)"], ".3g")
    stated("1.76", selu["max f'"], ".3g")
    assert rows["leaky_relu"]["f'(-3)"] == 0.01 and "0.01 by default, as in the table (0.1 in the plot)" in MD
    assert rows["relu"]["f'(-3)"] == 0.0 and rows["relu"]["f'(3)"] == 1.0


def test_plot_draws_leaky_relu_with_the_stated_slope():
    from matplotlib.figure import Figure

    from nncourse.plotting.plots import plot_activations

    ax_f, ax_df = Figure().subplots(1, 2)
    plot_activations(ax_f, ax_df, names=("relu", "leaky_relu"))
    line = next(l for l in ax_df.lines if l.get_label().startswith("leaky_relu"))
    assert line.get_ydata()[0] == 0.1 and "with slope 0.1 for negative $z$" in MD
    assert line.get_label() == "leaky_relu, slope 0.1 for z < 0"
    ax_f, ax_df = Figure().subplots(1, 2)
    plot_activations(ax_f, ax_df, names=("leaky_relu",), leaky_alpha=0.01)  # the slope drawn is the one named
    assert ax_df.lines[0].get_ydata()[0] == 0.01 and ax_df.lines[0].get_label() == "leaky_relu, slope 0.01 for z < 0"


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_autograd(name, rng):
    """The derivatives the lesson plots (the library's) against an independent autograd, away from the kinks."""
    funcs = {
        "identity": lambda z: z,
        "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
        "tanh": anp.tanh,
        "relu": lambda z: anp.maximum(z, 0.0),
        "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
        "selu": lambda z: (
            ACTIVATIONS["selu"].scale
            * anp.where(z > 0, z, ACTIVATIONS["selu"].alpha * (anp.exp(anp.minimum(z, 0.0)) - 1))
        ),
    }
    z = rng.uniform(-4, 4, size=50)
    z = z[np.abs(z) > 1e-3]
    auto = np.array([grad(lambda s: anp.sum(funcs[name](s)))(float(v)) for v in z])
    np.testing.assert_allclose(get_activation(name).derivative(z), auto, rtol=1e-12, atol=1e-15)


# --- the detector ----------------------------------------------------------------------------------------------


def _grid_away_from_edges(margin):
    """Points of a fine (x2, x3) grid that are at least `margin` from every edge of the box."""
    x2, x3 = np.meshgrid(np.linspace(-6, 10, 97), np.linspace(-13, 1, 85))
    x2, x3 = x2.ravel(), x3.ravel()
    (lo2, hi2), (lo3, hi3) = neurons.BOX["x2"], neurons.BOX["x3"]
    d2 = np.minimum(np.abs(x2 - lo2), np.abs(x2 - hi2))
    d3 = np.minimum(np.abs(x3 - lo3), np.abs(x3 - hi3))
    inside = (x2 > lo2) & (x2 < hi2) & (x3 > lo3) & (x3 < hi3)
    # a point outside is far from the box if it is far from the box's edges *segments*; inside, from all lines
    keep = np.where(
        inside,
        (d2 >= margin) & (d3 >= margin),
        ~((x2 > lo2 - margin) & (x2 < hi2 + margin) & (x3 > lo3 - margin) & (x3 < hi3 + margin)),
    )
    return x2[keep], x3[keep], inside[keep]


def test_hand_detector_fires_inside_the_box_only(rng):
    x2, x3, inside = _grid_away_from_edges(0.5)
    assert inside.sum() > 100 and (~inside).sum() > 1000
    X = np.column_stack([rng.uniform(-10, 10, x2.size), x2, x3])  # x1 anything
    prob = neurons.probability(neurons.hand_detector(), X).ravel()
    assert prob[inside].min() > 0.99
    assert prob[~inside].max() < 0.01
    np.testing.assert_array_equal(neurons.in_box(X).ravel() == 1, inside)


def test_hand_detector_architecture_and_stated_probes():
    model = neurons.hand_detector()
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Sigmoid", "Dense"]
    assert model.layers[0].params["W"].shape == (3, 4) and np.all(model.layers[0].params["W"][0] == 0)
    p = neurons.probability(model, np.array([[0, 2, -6], [10, 2, -6], [0, 2, -3], [0, -1, -6]])).ravel()
    stated("0.993", p[0], ".3g")
    assert p[1] == p[0]  # x1 is ignored
    stated("0.0067", p[2], ".3g")
    assert abs(p[3] - 0.5) < 1e-6 and "($x_2 = -1$) it cannot decide: 0.5" in MD
    stated("0.993", 1 / (1 + math.exp(-10 * 0.5)), ".3g")  # sigma(5), half a unit inside an edge
    assert "$\\sigma(5) \\approx 0.993$" in MD


def test_stated_grid_agreements():
    assert neurons.run_hand_detector().x2.size == 120 and "120 x 120 grid" in MD
    stated("99.9%", 100 * neurons.run_hand_detector().grid_accuracy, ".1f", "%")
    stated("87.4%", 100 * neurons.run_hand_detector(steepness=1.0).grid_accuracy, ".1f", "%")
    never = neurons.run_hand_detector(steepness=0.3)
    assert never.prob.max() < 0.5  # "never fires at all"
    stated("80.0%", 100 * never.grid_accuracy, ".1f", "%")
    stated("49.9%", 100 * neurons.run_hand_detector(and_threshold=2.5).grid_accuracy, ".1f", "%")


def test_detector_data_ranges_as_stated():
    r = neurons.DATA_RANGES
    box = neurons.BOX
    frac = (
        (box["x2"][1] - box["x2"][0])
        / (r["x2"][1] - r["x2"][0])
        * (box["x3"][1] - box["x3"][0])
        / (r["x3"][1] - r["x3"][0])
    )
    assert abs(frac - 0.2) < 1e-12 and "about 20% are inside" in MD
    assert max(abs(v) for lo_hi in r.values() for v in lo_hi) == 11 and "as large as 11" in MD
    for text in ("$x_1 \\in [-10, 10]$", "$x_2 \\in [-4, 8]$", "$x_3 \\in [-11, -1]$"):
        assert text in MD


def test_fold_standardizer_keeps_predictions(rng):
    X = rng.normal(loc=[3, -2, 7], scale=[5, 0.5, 2], size=(40, 3))
    scaler = Standardizer().fit(X)
    net = mlp([3, 5, 1], "tanh", rng=rng)
    folded = neurons.fold_standardizer(net, scaler)
    np.testing.assert_allclose(folded.predict(X), net.predict(scaler.transform(X)), rtol=0, atol=1e-12)
    assert folded.layers[0] is not net.layers[0]


def test_notebook_defaults_are_the_tested_defaults():
    """The prose numbers are asserted with the library's defaults: the parameters cell must use the same."""
    import inspect

    import nbformat

    from conftest import NOTEBOOKS

    nb = nbformat.read(NOTEBOOKS / "01_neurons.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params = {}
    exec(cell.source, {}, params)
    det = inspect.signature(neurons.run_learned_detector).parameters
    heads = inspect.signature(neurons.run_heads).parameters
    for name in ("seed", "n_samples", "hidden", "epochs"):
        assert params[name] == det[name].default, name
    assert params["heads_epochs"] == heads["epochs"].default and params["seed"] == heads["seed"].default
    assert params["hidden"] == 8 and "a 3-8-1 network" in MD


@pytest.fixture(scope="module")
def learned():
    return neurons.run_learned_detector()


def test_learned_detector_accuracy_as_stated(learned):
    assert not learned.history.diverged
    assert learned.X_test.shape == (250, 3)  # 25% of 1000 for testing
    stated("0.981", learned.train_accuracy, ".3f")
    stated("0.964", learned.test_accuracy, ".3f")
    stated("0.816", learned.baseline_accuracy, ".3f")
    stated("1.000", learned.hand_test_accuracy, ".3f")
    assert learned.test_accuracy > learned.baseline_accuracy + 0.1  # it learned more than "always no"
    stated("1.25", np.abs(learned.model.layers[0].params["W"]).max(), ".2f")
    assert "against $k = 10$" in MD and neurons.hand_detector().layers[0].params["W"].max() == 10


def test_learned_detector_is_deterministic(learned):
    again = neurons.run_learned_detector()
    np.testing.assert_array_equal(again.model.predict(learned.X_test), learned.model.predict(learned.X_test))


# --- heads -----------------------------------------------------------------------------------------------------


def test_heads_as_stated():
    res = neurons.run_heads()
    lin, sig = res.fits[("real target", "linear + MSE")], res.fits[("real target", "sigmoid + MSE")]
    logi, lin01 = res.fits[("0/1 labels", "logistic + BCE")], res.fits[("0/1 labels", "linear + MSE")]
    stated("0.0209", lin["mse"], ".3g")
    stated("1.29", sig["mse"], ".3g")
    assert f"from {sig['min']:.1g} to {sig['max']:.3g})" in MD  # "from 0.0002 to 0.998"
    assert round(sig["mse"] / lin["mse"], -1) == 60 and "about 60 times the linear head's" in MD
    assert f"from {logi['min']:.1g} to {logi['max']:.3g} here" in MD  # "from 0.002 to 0.892"
    stated("-0.0706", lin01["min"], ".3g")
    assert 0 < sig["min"] and sig["max"] < 1 and 0 < logi["min"] and logi["max"] < 1
    assert lin01["min"] < 0
    assert res.y_real.min() < -1.9 and res.y_real.max() > 1.9  # "swings between -2 and 2"
    assert "hidden layer of 8 tanh neurons" in MD


def test_heads_data_as_described(rng):
    x, y_real, y_label, p = neurons.make_heads_data(200, rng, noise=0.0)
    assert x.min() >= -3 and x.max() <= 3 and np.all(np.diff(x.ravel()) >= 0)
    np.testing.assert_allclose(y_real, 2 * np.sin(1.5 * x), atol=1e-15)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-4 * (1 - np.abs(x)))), rtol=1e-12)
    assert set(np.unique(y_label)) <= {0.0, 1.0}
    assert "$2\\sin(1.5x)$" in MD and "$p(x) = \\sigma(4(1 - |x|))$" in MD


def test_heads_survive_divergence():
    res = neurons.run_heads(n_samples=20, hidden=4, lr=20.0, epochs=200)  # no warning may escape
    diverged = [f for f in res.fits.values() if "diverged" in f["status"]]
    assert diverged and all(math.isnan(f["mse"]) for f in diverged)


# --- panels ----------------------------------------------------------------------------------------------------


def test_neuron_panel_updates():
    panel = neurons.neuron_panel()
    first = panel.result
    assert first.activation == "sigmoid" and first.a.shape == (61, 61)
    panel.controls["w1"].value = 2.5
    assert panel.result is not first and panel.result.w[0] == 2.5
    assert not np.array_equal(panel.result.a, first.a)
    panel.controls["activation"].value = "relu"
    assert panel.result.activation == "relu" and panel.result.a.min() == 0.0
    assert panel.updates == 3


def test_neuron_panel_overrides_and_errors():
    panel = neurons.neuron_panel(w1=-2.0, resolution=21)
    assert panel.result.w[0] == -2.0 and panel.result.a.shape == (21, 21)
    with pytest.raises(ValueError, match="activation"):
        neurons.run_neuron(activation="softmax")
    with pytest.raises(ValueError, match="NaN"):
        neurons.run_neuron(w1=float("nan"))


def test_detector_panel_updates():
    panel = neurons.detector_panel()
    first = panel.result
    panel.controls["steepness"].value = 1.0
    assert panel.result.steepness == 1.0 and panel.result.grid_accuracy < first.grid_accuracy
    panel.controls["and_threshold"].value = 2.5
    assert panel.result.and_threshold == 2.5


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="shape"):
        neurons.in_box(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="steepness"):
        neurons.hand_detector(steepness=0)
    with pytest.raises(ValueError, match="n must be"):
        neurons.make_detector_data(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="NaN"):
        neurons.neuron_by_library([1.0, float("nan")], [1.0, 1.0], 0.0, 1.0)


# --- diagrams and notebook -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["neuron_single.png", "neuron_mlp.png", "neuron_detector.png"])
def test_diagrams_render_and_are_shown(name):
    assert name in all_images()
    fig = render(name, dpi=30)
    assert fig.axes and fig.axes[0].patches
    assert f"](../images/{name})" in MD


def test_lesson_figure_labels_the_leaky_slope_it_draws():
    """The lesson's activation figure, run as the notebook runs it: the leaky ReLU line's legend names the slope
    it draws (0.1), and the prose says the table and the library default use 0.01 (item of issue 12: "Lesson 01's
    leaky-ReLU slope matches the text")."""
    import nbformat
    from matplotlib.figure import Figure

    from nncourse.core.layers import get_activation
    from nncourse.plotting.plots import plot_activations

    cell = nbformat.read(ROOT / "notebooks" / "01_neurons.ipynb", 4).cells[5].source
    code = cell.replace(
        'fig, (ax_f, ax_df) = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")',
        'fig = Figure(figsize=(9, 4.2), layout="constrained"); ax_f, ax_df = fig.subplots(1, 2)',
    )
    assert code != cell
    code = code.split("plt.show()")[0]
    scope = {"Figure": Figure, "plot_activations": plot_activations}
    exec(code, scope)
    _ax_f, ax_df = scope["ax_f"], scope["ax_df"]
    line = next(l for l in ax_df.lines if l.get_label().startswith("leaky_relu"))
    assert line.get_label() == "leaky_relu, slope 0.1 for z < 0" and line.get_ydata()[0] == 0.1
    (legend,) = scope["fig"].legends  # one legend, under the panels, names the lines of both
    assert [t.get_text() for t in legend.get_texts()] == [l.get_label() for l in ax_df.lines if len(l.get_xdata()) > 2]
    assert "One legend, under the two panels, names the lines of both." in " ".join(MD.split())
    assert get_activation("leaky_relu").alpha == 0.01
    assert 'the table and the library\'s default, `get_activation("leaky_relu")`, use 0.01' in " ".join(MD.split())
