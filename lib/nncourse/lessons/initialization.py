"""Lesson 04, weight initialization: what each way of choosing the starting weights does to the activations,
the gradients and training, measured.

Sources: Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural networks";
He et al. (2015), "Delving deep into rectifiers"; LeCun et al. (1998), "Efficient BackProp"; Saxe et al.
(2014), orthogonal initialization; Klambauer et al. (2017), SELU.
"""

import numpy as np

from nncourse.core import _validate, diagnostics
from nncourse.core.blas import one_blas_thread
from nncourse.core.init import initializer
from nncourse.core.metrics import accuracy
from nncourse.core.model import mlp
from nncourse.core.seeds import stream
from nncourse.core.train import fit
from nncourse.datasets import synthetic as data
from nncourse.plotting import layerplots
from nncourse.plotting.plots import plot_loss

COLORS = [f"C{i}" for i in range(8)]
# a seed's streams (core.seeds): stream(seed) draws the inputs or the data set, these child streams the rest
WEIGHTS, UPSTREAM = (
    0,
    1,
)  # the initial weights; the random upstream gradient a probe back-propagates  # the course style's Okabe-Ito cycle: safe for colour-blind readers

# ---------------------------------------------------------------------------------------------------------
# building blocks


def scaled(init_name, scale=1.0, **kwargs):
    """An initializer `scale * init_name(shape, rng)` (scale = 1: the initializer itself)."""
    base = initializer(init_name, **kwargs)
    if scale == 1.0:
        return base
    return lambda shape, rng: scale * base(shape, rng)


def network(sizes, activation, init, rng, bias=0.0, output_activation="identity"):
    """An MLP whose weights all come from `init` (a name or callable) and whose biases all equal `bias`."""
    model = mlp(sizes, activation, output_activation=output_activation, rng=rng, init=init)
    for layer in model.param_layers:
        layer.params["b"][...] = bias
    return model


def probe(model, X, rng):
    """Forward X and back-propagate a random N(0, 1) upstream gradient; return diagnostics.layer_stats."""
    diagnostics.backprop_probe(model, X, rng)
    return diagnostics.layer_stats(model)


# Plots use fixed margins (fig.subplots_adjust) rather than tight_layout, which doubled their drawing time.

# ---------------------------------------------------------------------------------------------------------
# the five cases

FIVE_CASES = {
    "zeros": dict(init="zeros"),
    "large": dict(init="normal", std=2.0),
    "small": dict(init="normal", std=0.01),
    "constant": dict(init="constant", value=0.5),
    "he_normal": dict(init="he_normal"),
}


@one_blas_thread
def run_five_cases(seed=0, n=200, width=16, hidden=5, lr=0.1, steps=300, dataset="moons"):
    """Train the same ReLU classifier (`hidden` layers of `width`) on a 2-feature data set from each starting
    point in FIVE_CASES (he_normal is the reference). Per case: the History, the gradient norm of every
    layer's weights at step 1, the relative change ||W_end - W_start|| / ||W_start|| of every layer, the
    accuracy, and the largest difference between two hidden units' weight vectors after training (0: the
    units are still identical)."""
    X, y = data.make_classification(dataset, n, stream(seed))
    sizes = [2] + [width] * hidden + [1]
    out = {}
    for name, spec in FIVE_CASES.items():
        spec = dict(spec)
        model = network(sizes, "relu", initializer(spec.pop("init"), **spec), stream(seed, WEIGHTS))
        start = [layer.params["W"].copy() for layer in model.param_layers]
        hist = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=steps)
        end = [layer.params["W"] for layer in model.param_layers]
        first = hist.grad_norm_array()[0] if hist.grad_norms else np.full(len(start), np.nan)
        change = [
            np.linalg.norm(e - s) / np.linalg.norm(s) if np.linalg.norm(s) > 0 else np.linalg.norm(e - s)
            for s, e in zip(start, end)
        ]
        hidden_w = end[1] if len(end) > 2 else end[0]
        out[name] = dict(
            history=hist,
            first_grad_norms=first,
            rel_change=np.array(change),
            accuracy=accuracy(model, X, y) if not hist.diverged else float("nan"),
            unit_spread=float(np.max(np.abs(hidden_w - hidden_w[:, :1]))),
            start_loss=hist.loss[0],
            end_loss=hist.final_loss,
        )
    return out


# zeros, small and constant all end at loss ln 2: dashes and widths keep the three lines apart where they overlap
FIVE_CASE_STYLES = {"zeros": dict(lw=4, alpha=0.6), "small": dict(ls="--", lw=2), "constant": dict(ls=":", lw=2)}

ROUNDING = 1e-15  # a gradient this small, where the exact value is 0, is rounding noise


def five_cases_table(result):
    """One row per case: loss at the start and end, ||dW|| of the first and last layer at step 1, how far the
    first layer's weights moved, the accuracy, and the spread between the hidden units' weights. A gradient norm
    below ROUNDING is 0 up to rounding: its digits differ from machine to machine, so it is shown as '< 1e-15'."""
    rows = []
    for name, r in result.items():
        out_norm = float(r["first_grad_norms"][-1])
        rows.append(
            {
                "case": name,
                "loss start": r["start_loss"],
                "loss end": r["end_loss"],
                "|dW1| step 1": float(r["first_grad_norms"][0]),
                "|dW_out| step 1": out_norm if out_norm == 0 or out_norm >= ROUNDING else f"< {ROUNDING:.0e}",
                "W1 moved": float(r["rel_change"][0]),
                "accuracy": r["accuracy"],
                "unit spread": r["unit_spread"],
            }
        )
    return rows


def plot_five_cases(result, fig):
    """Left: loss per step of each case (a diverging run leaves the top of the plot). Right: relative change of
    each layer's weights during training (zeros, which never move, cannot be drawn on the log scale)."""
    ax1, ax2 = fig.subplots(1, 2)
    for name, r in result.items():
        style = FIVE_CASE_STYLES.get(name, {})
        plot_loss(r["history"], ax1, label=name, log=True, **style)
        layerplots.plot_per_layer(r["rel_change"], ax2, label=name, **style)
    for text in ax1.texts:  # "diverged at step 5" reads to the right of its line, inside the axes
        text.set_horizontalalignment("left")
    ax1.set(title="training loss", ylim=(1e-3, 1e5))
    ax1.legend(loc="upper right")
    ax2.set(title="how far each layer's weights moved", ylabel="‖W_end − W_start‖ / ‖W_start‖")
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.9, wspace=0.32)
    return fig


# ---------------------------------------------------------------------------------------------------------
# N(0, 1) weights with N inputs of 1


@one_blas_thread
def run_unit_variance(n_inputs=500, depth=5, seed=0):
    """One input vector of `n_inputs` ones through `depth` layers of n_inputs units, weights N(0, 1) versus
    N(0, 1/n) (LeCun), tanh and ReLU. z of a unit is a sum of n_inputs weights, so Var(z) = n_inputs under
    N(0, 1): std sqrt(n_inputs). Returns {(init, activation): {"z": [z per layer], "dz": [...], "stats": rows}}."""
    n = _validate.positive_int("n_inputs", n_inputs)
    x = np.ones((1, n))
    out = {}
    for init in ("normal", "lecun_normal"):
        for act in ("tanh", "relu"):
            model = network([n] * (depth + 1), act, init, stream(seed, WEIGHTS), output_activation=act)
            with np.errstate(over="ignore", invalid="ignore"):
                stats = probe(model, x, stream(seed, UPSTREAM))
            recs = model.records()
            out[(init, act)] = dict(z=[r["z"].ravel() for r in recs], dz=[r["dz"].ravel() for r in recs], stats=stats)
    return out


def plot_unit_variance(result, fig):
    """Left: histogram of the first layer's z under N(0, 1) and N(0, 1/n). Right: std of z per layer."""
    ax1, ax2 = fig.subplots(1, 2)
    z_big, z_small = result[("normal", "tanh")]["z"][0], result[("lecun_normal", "tanh")]["z"][0]
    edges = np.linspace(-80, 80, 81)
    ax1.hist(z_small, bins=edges, alpha=0.6, density=True, label="N(0, 1/N)")
    ax1.hist(z_big, bins=edges, alpha=0.6, density=True, label="N(0, 1)")
    ax1.set(title="layer 1: z = sum of N weights", xlabel="z", ylabel="density")
    ax1.legend()
    for (init, act), r in result.items():
        layerplots.plot_per_layer([s["z_std"] for s in r["stats"]], ax2, label=f"{init}, {act}")
    ax2.set(title="std of z, layer after layer", ylabel="std(z)")
    ax2.legend(loc="upper left")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    return fig


# ---------------------------------------------------------------------------------------------------------
# variance-preserving schemes

SCHEMES = {
    "glorot_uniform": "tanh",
    "glorot_normal": "tanh",
    "he_normal": "relu",
    "lecun_normal": "selu",
    "orthogonal": "tanh",
}


@one_blas_thread
def run_schemes(depth=10, width=100, n=200, seed=0):
    """Each scheme in SCHEMES with the activation it suits: activation std and gradient std of every layer of a
    `depth`-layer network of `width` units at initialization (inputs N(0, 1), random upstream gradient)."""
    out = {}
    for init, act in SCHEMES.items():
        X = stream(seed).normal(size=(n, width))
        model = network([width] * (depth + 1), act, init, stream(seed, WEIGHTS), output_activation=act)
        out[init] = dict(activation=act, stats=probe(model, X, stream(seed, UPSTREAM)))
    return out


def plot_schemes(result, fig):
    """Activation std and back-propagated gradient std per layer for each scheme."""
    ax1, ax2 = fig.subplots(1, 2)
    for init, r in result.items():
        label = f"{init} + {r['activation']}"
        layerplots.plot_per_layer([s["std"] for s in r["stats"]], ax1, label=label)
        layerplots.plot_per_layer([s["grad_std"] for s in r["stats"]], ax2, label=label)
    ax1.set(title="std of the activations", ylim=(0.1, 10))
    ax2.set(title="std of dL/dz (back-propagated)", ylim=(0.1, 10))  # the same range: the two compare
    fig.legend(*ax1.get_legend_handles_labels(), loc="lower center", ncols=3, frameon=False)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.3, top=0.92, wspace=0.2)
    return fig


# ---------------------------------------------------------------------------------------------------------
# Glorot & Bengio (2010): standard versus normalized initialization of a deep tanh network


@one_blas_thread
def run_glorot(width=1000, hidden=5, n=100, n_out=10, seed=0, input_std=1.0):
    """A tanh network of `hidden` layers of `width` units and a linear layer of `n_out` outputs, fed `n` input
    vectors of `width` independent N(0, input_std^2) entries, initialized with the "standard"
    U[-1/sqrt(n), 1/sqrt(n)] and with the "normalized" U[-a, a], a = sqrt(6 / (n_in + n_out)). A random N(0, 1)
    gradient is back-propagated from the outputs.
    Returns {init: {"a": [activations per hidden layer], "dz": [dL/dz per hidden layer], "stats": rows}}."""
    out = {}
    for init in ("glorot_standard", "glorot_uniform"):
        X = input_std * stream(seed).normal(size=(n, width))
        model = network([width] * (hidden + 1) + [n_out], "tanh", init, stream(seed, WEIGHTS))
        stats = probe(model, X, stream(seed, UPSTREAM))[:hidden]
        recs = model.records()[:hidden]
        out[init] = dict(a=[r["a"] for r in recs], dz=[r["dz"] for r in recs], stats=stats)
    return out


def end_to_centre(a, edge=0.9, centre=0.1):
    """How bimodal a histogram of tanh activations is: the density of |a| > edge over the density of
    |a| < centre (above 1: more mass near +-1 than near 0, two humps at the ends)."""
    a = np.abs(np.ravel(a))
    return float((np.mean(a > edge) / (1 - edge)) / (np.mean(a < centre) / centre))


def glorot_table(result):
    """Per hidden layer: std of the activations and of the back-propagated gradient dL/dz, under both inits."""
    std, norm = result["glorot_standard"]["stats"], result["glorot_uniform"]["stats"]
    return [
        {
            "layer": s["layer"],
            "act std (standard)": s["std"],
            "act std (normalized)": t["std"],
            "grad std (standard)": s["grad_std"],
            "grad std (normalized)": t["grad_std"],
        }
        for s, t in zip(std, norm)
    ]


def plot_glorot(result, fig):
    """Histograms, layer by layer: activations (top) and back-propagated gradients (bottom), standard init
    (left) versus normalized init (right); the layout of Glorot & Bengio's figures 6 and 7."""
    axes = fig.subplots(2, 2)
    titles = {"glorot_standard": "standard U[-1/√n, 1/√n]", "glorot_uniform": "normalized √6/√(n_in+n_out)"}
    g_all = np.concatenate([np.ravel(d) for r in result.values() for d in r["dz"]])
    g_lim = float(np.percentile(np.abs(g_all), 99.5))
    for col, (init, r) in enumerate(result.items()):
        # one legend for all four panels (the same layer colours), where the standard init's panel is empty
        layerplots.plot_layer_histograms(
            r["a"],
            axes[0, col],
            value_range=(-1, 1),
            bins=50,
            legend=col == 0,
            title=f"activations, {titles[init]}",
            xlabel="tanh(z)",
        )
        layerplots.plot_layer_histograms(
            r["dz"],
            axes[1, col],
            value_range=(-g_lim, g_lim),
            bins=50,
            legend=False,
            title=f"gradients dL/dz, {titles[init]}",
            xlabel="dL/dz",
        )
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95, wspace=0.22, hspace=0.4)
    return fig


# ---------------------------------------------------------------------------------------------------------
# He et al. (2015): a 30-layer ReLU network, Var(W) = 1/n versus 2/n


@one_blas_thread
def run_he_depth(depth=30, width=256, n=200, seed=0):
    """Std of the pre-activations z of every layer of a `depth`-layer ReLU network of `width` units at
    initialization, with Var(W) = 1/n (lecun_normal) and 2/n (he_normal); inputs N(0, 1).
    For ReLU, E[relu(z)^2] = Var(z) / 2, so Var(z_next) = n Var(W) Var(z) / 2: halves under 1/n (std times
    1/sqrt 2 per layer), holds under 2/n. Returns {init: {"z_std": array, "grad_norm": array, "ratio": float}}."""
    out = {}
    for init in ("lecun_normal", "he_normal"):
        X = stream(seed).normal(size=(n, width))
        model = network([width] * (depth + 1), "relu", init, stream(seed, WEIGHTS), output_activation="relu")
        stats = probe(model, X, stream(seed, UPSTREAM))
        z_std = np.array([s["z_std"] for s in stats])
        out[init] = dict(
            z_std=z_std, grad_norm=np.array([s["grad_norm"] for s in stats]), ratio=diagnostics.std_ratio(z_std)
        )
    return out


def he_depth_table(result):
    """Per init: std of z in the first and the last layer, the average factor per layer measured, and the factor
    the variance argument predicts, sqrt(n Var(W) / 2): 1/sqrt(2) under 1/n, 1 under 2/n."""
    predicted = {"lecun_normal": 1 / np.sqrt(2), "he_normal": 1.0}
    var = {"lecun_normal": "1/n", "he_normal": "2/n"}
    return [
        {
            "init": init,
            "Var(W)": var[init],
            "std(z) layer 1": r["z_std"][0],
            f"std(z) layer {len(r['z_std'])}": r["z_std"][-1],
            "factor per layer": r["ratio"],
            "predicted factor": predicted[init],
        }
        for init, r in result.items()
    ]


@one_blas_thread
def run_he_training(depth=30, width=32, n=200, lr=0.02, steps=150, seed=0, dataset="moons"):
    """Train the `depth`-layer ReLU classifier (narrow, so it runs in a blink) from both inits; returns
    {init: {"history", "accuracy"}}."""
    X, y = data.make_classification(dataset, n, stream(seed))
    out = {}
    for init in ("lecun_normal", "he_normal"):
        model = network([2] + [width] * depth + [1], "relu", init, stream(seed, WEIGHTS))
        hist = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=steps)
        out[init] = dict(history=hist, accuracy=accuracy(model, X, y) if not hist.diverged else float("nan"))
    return out


def plot_he(depth_result, train_result, fig):
    """Left: std of z per layer under both inits. Right: training loss of the narrow version."""
    ax1, ax2 = fig.subplots(1, 2)
    labels = {"lecun_normal": "Var(W) = 1/n", "he_normal": "Var(W) = 2/n"}
    for init, r in depth_result.items():
        layerplots.plot_per_layer(r["z_std"], ax1, label=labels[init])
    ax1.set(title="std of the pre-activations", ylabel="std(z)")
    ax1.legend()
    for init, r in train_result.items():
        plot_loss(r["history"], ax2, label=labels[init], log=False)
    ax2.set(title="training loss, 30 narrow ReLU layers")
    ax2.legend()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    return fig


# ---------------------------------------------------------------------------------------------------------
# the exercise report's 2-2-1 ReLU regression, and the lecture's 2-feature classifier

REGRESSION_INITS = {
    "he_normal (reference)": dict(init="he_normal", bias=0.0),
    "weights in the millions": dict(init="uniform", low=-1e6, high=1e6, bias=0.0),
    "biases 1e3": dict(init="he_normal", bias=1e3),
    "zero weights, biases 2": dict(init="zeros", bias=2.0),
    "weights 2, biases 0": dict(init="constant", value=2.0, bias=0.0),
}


@one_blas_thread
def run_regression_inits(seed=0, n=200, lr=1e-3, steps=500):
    """The exercise: y = x1^2 + x2 + noise, a 2-2-1 ReLU network trained with MSE from each start in
    REGRESSION_INITS. Returns {name: {"history", "W1" (the hidden layer's weights after training)}}."""
    X, y = data.make_quadratic_regression(n, stream(seed))
    out = {}
    for name, spec in REGRESSION_INITS.items():
        spec = dict(spec)
        bias, init = spec.pop("bias"), spec.pop("init")
        model = network([2, 2, 1], "relu", initializer(init, **spec), stream(seed, WEIGHTS), bias=bias)
        hist = fit(model, X, y, loss="mse", lr=lr, epochs=steps)
        out[name] = dict(history=hist, W1=model.param_layers[0].params["W"].copy())
    return out


def plot_regression_inits(result, fig):
    """The loss curves, one panel per start, three panels a row."""
    cols = 3
    rows = -(-len(result) // cols)
    axes = np.atleast_2d(fig.subplots(rows, cols)).ravel()
    for i, (ax, (name, r)) in enumerate(zip(axes, result.items())):
        plot_loss(r["history"], ax, log=True)
        layerplots.plain_log_labels(ax)  # a panel spanning less than a decade still gets labelled ticks
        ax.set_title(name, fontsize=10)
        if i % cols:
            ax.set_ylabel("")
        if i < len(result) - cols:
            ax.set_xlabel("")
    for ax in axes[len(result) :]:
        ax.axis("off")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.93, wspace=0.35, hspace=0.45)
    return fig


def plot_running_example(result, fig):
    """Loss (left) and accuracy (right) per step, training (solid) and test (dashed), one colour per init."""
    ax1, ax2 = fig.subplots(1, 2)
    for color, (name, run) in zip(COLORS, result.items()):
        for split, ls in (("train", "-"), ("test", "--")):
            steps = np.arange(1, len(run.curves.loss[split]) + 1)
            ax1.plot(steps, run.curves.loss[split], ls, color=color, label=f"{name}, {split}")
            ax2.plot(steps, run.curves.accuracy[split], ls, color=color, label=f"{name}, {split}")
    ax2.axhline(0.5, color="0.6", ls=":", lw=1)
    ax1.set(xlabel="step", ylabel="loss (binary cross-entropy)")
    ax2.set(xlabel="step", ylabel="accuracy", ylim=(0.4, 1.02))
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax1.legend(fontsize=9)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.95, wspace=0.25)
    return fig


# ---------------------------------------------------------------------------------------------------------
# Glorot with a sigmoid: the slope at 0 is 1/4 and the output's mean is 1/2

SIGMOID_SETTINGS = {
    "Glorot + tanh": ("tanh", 1.0),
    "Glorot + sigmoid": ("sigmoid", 1.0),
    "4 x Glorot + sigmoid": ("sigmoid", 4.0),
}


def run_sigmoid_gain(depth=10, width=100, seed=0):
    """Std of dL/dz per layer at initialization (run_histograms' network) for each of SIGMOID_SETTINGS, and the
    average factor by which it shrinks per layer going down, (grad_std[last] / grad_std[first])^(1/(depth-1)).
    Returns {label: {"grad_std": array, "shrink": float, "mean": mean activation of layer 1}}."""
    out = {}
    for label, (act, scale) in SIGMOID_SETTINGS.items():
        r = run_histograms("glorot_uniform", scale, depth, width, act, seed=seed)
        g = np.array([s["grad_std"] for s in r["stats"]])
        out[label] = dict(
            grad_std=g, shrink=float((g[-1] / g[0]) ** (1 / (depth - 1))), mean=float(r["stats"][0]["mean"])
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# the slider panel

PANEL_INITS = [
    "he_normal",
    "glorot_uniform",
    "glorot_normal",
    "glorot_standard",
    "lecun_normal",
    "orthogonal",
    "normal",
    "zeros",
]
PANEL_ACTIVATIONS = ["tanh", "relu", "sigmoid", "selu"]


@one_blas_thread
def run_histograms(init="glorot_uniform", scale=1.0, depth=5, width=100, activation="tanh", n=200, seed=0):
    """A `depth`-layer network of `width` units at initialization (weights scale * init), inputs N(0, 1) of
    dimension `width`, a random N(0, 1) gradient back-propagated from the last layer. Returns a dict with the
    per-layer activations "a", gradients "dz" and "stats" (diagnostics.layer_stats rows)."""
    depth = _validate.positive_int("depth", depth)
    width = _validate.positive_int("width", width)
    X = stream(seed).normal(size=(n, width))
    model = network(
        [width] * (depth + 1), activation, scaled(init, scale), stream(seed, WEIGHTS), output_activation=activation
    )
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        stats = probe(model, X, stream(seed, UPSTREAM))
    recs = model.records()
    return dict(
        a=[r["a"] for r in recs],
        dz=[r["dz"] for r in recs],
        stats=stats,
        activation=activation,
        init=init,
        scale=scale,
    )


def plot_histograms(result, fig):
    """Activation histograms and back-propagated gradient histograms of at most 5 layers; one legend gives each
    layer's two stds. Two axes, one legend, a fixed layout: drawing dominates a slider move, so keep it lean."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.33, top=0.92, wspace=0.2)
    shown = layerplots.pick_layers(len(result["a"]))
    stats = result["stats"]
    labels = [f"layer {i + 1}: std {stats[i]['std']:.3g} | {stats[i]['grad_std']:.3g}" for i in shown]
    layerplots.plot_layer_histograms(
        [result["a"][i] for i in shown],
        ax1,
        bins=40,
        labels=labels,
        legend=False,
        title="activations",
        xlabel=result["activation"],
    )
    layerplots.plot_layer_histograms(
        [result["dz"][i] for i in shown],
        ax2,
        bins=40,
        labels=labels,
        legend=False,
        title="back-propagated gradients dL/dz",
        xlabel="dL/dz",
    )
    ax2.set_ylabel("")
    # below the axes, so that no layer's histogram hides behind it
    fig.legend(
        *ax1.get_legend_handles_labels(),
        loc="lower center",
        ncols=3,
        frameon=False,
        title="std of the activations | of the gradients",
    )
    for ax in (ax1, ax2):
        ax.locator_params(nbins=5)
    return fig


def histogram_summary(result):
    """Text for a checked cell: std of the activations and of dL/dz, first and last layer."""
    s = result["stats"]
    return (
        f"{result['init']} x {result['scale']:g}, {result['activation']}: activation std "
        f"{s[0]['std']:.3g} (layer 1) -> {s[-1]['std']:.3g} (layer {len(s)}); gradient std "
        f"{s[0]['grad_std']:.3g} -> {s[-1]['grad_std']:.3g}"
    )


def histogram_panel(**overrides):
    """Sliders: initializer, scale, depth, width, activation; the histograms update live. `seed` (no slider)
    draws the inputs, the weights and the gradient."""
    from nncourse.panels import dropdown, int_slider, log_slider, slider_panel

    # opens on the failure of section 4 (standard init, tanh, 10 layers): both histograms shrink layer by layer
    values = dict(init="glorot_standard", scale=1.0, depth=10, width=100, activation="tanh", seed=0)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    return slider_panel(
        run_histograms,
        plot_histograms,
        fixed={"n": 100, "seed": values["seed"]},
        figsize=(9, 4.2),
        init=dropdown(PANEL_INITS, values["init"], "initializer"),
        scale=log_slider(0.01, 100, values["scale"], "scale"),
        depth=int_slider(1, 10, values["depth"], description="depth"),
        width=int_slider(10, 200, values["width"], step=10, description="width"),
        activation=dropdown(PANEL_ACTIVATIONS, values["activation"], "activation"),
    )


# ---------------------------------------------------------------------------------------------------------
# the exercise report's own setup (source 002), as written where it is written

REPORT = dict(n=300, x1_range=(-5.0, 5.0), x2_range=(-10.0, 10.0), lr=0.1, epochs=1000)
REPORT_STARTS = {
    "report's random start": dict(weight_range=10.0, bias_range=5.0),
    "weights in the millions": dict(weight_range=1e6, bias_range=5.0),
    "everything 0": dict(weight_range=0.0, bias_range=0.0),
}


def report_data(seed=0, n=300, x1_range=(-5.0, 5.0), x2_range=(-10.0, 10.0)):
    """The report's data: y = x1^2 + x2 + b, x1 and x2 uniform on their ranges, b a random integer (we draw it
    from {-1, 0, 1}; the report does not say). The report scales the data without saying how: we min-max scale
    both inputs and the target to [0, 1]. Returns X (n, 2), y (n, 1)."""
    rng = stream(seed)
    x1, x2 = rng.uniform(*x1_range, size=n), rng.uniform(*x2_range, size=n)
    y = x1**2 + x2 + rng.integers(-1, 2, size=n)
    X = np.column_stack([x1, x2])
    X = (X - X.min(axis=0)) / np.ptp(X, axis=0)
    y = (y - y.min()) / np.ptp(y)
    return X, y[:, None]


def report_network(rng, weight_range=10.0, bias_range=5.0):
    """The report's 2-2-1 ReLU network (6 weights, 3 biases): weights U[-weight_range, weight_range], biases
    U[-bias_range, bias_range], both rounded to 2 decimals as in its code; ranges of 0 give all zeros."""
    model = network([2, 2, 1], "relu", "zeros", rng)
    for layer in model.param_layers:
        for key, r in (("W", weight_range), ("b", bias_range)):
            layer.params[key][...] = np.round(rng.uniform(-r, r, size=layer.params[key].shape), 2)
    return model


@one_blas_thread
def run_report(seed=0, weight_range=10.0, bias_range=5.0, lr=0.1, epochs=1000, **data_kw):
    """Train the report's network on its data (MSE, full-batch gradient descent). Returns the History, the 9
    parameters before and after, how many of them did not change at all, how many hidden units are dead
    (inactive on every training point) at the end, and the loss of the best constant prediction, Var(y)."""
    X, y = report_data(seed, **{**{k: REPORT[k] for k in ("n", "x1_range", "x2_range")}, **data_kw})
    model = report_network(stream(seed, WEIGHTS), weight_range, bias_range)
    params = lambda: np.concatenate([layer.params[k].ravel() for layer in model.param_layers for k in ("W", "b")])
    start = params()
    with np.errstate(over="ignore", invalid="ignore"):
        hist = fit(model, X, y, loss="mse", lr=lr, epochs=epochs)
    end = params()
    hidden = model.param_layers[0]
    z = X @ hidden.params["W"] + hidden.params["b"]
    return dict(
        history=hist,
        start=start,
        end=end,
        unchanged=int(np.sum(start == end)),
        dead=int(np.sum(np.all(z <= 0, axis=0))),
        constant_loss=float(np.var(y)),
        final_loss=hist.final_loss if not hist.diverged else float("inf"),
    )


def report_seeds(seeds=range(20), lr=0.1, epochs=1000, starts=None):
    """For each start in REPORT_STARTS and each seed: run_report. Returns {start: [results]}."""
    starts = REPORT_STARTS if starts is None else starts
    return {name: [run_report(s, lr=lr, epochs=epochs, **spec) for s in seeds] for name, spec in starts.items()}


def report_table(result, high=1.0):
    """Per (start, learning rate), counts over the seeds: runs that ended with every hidden unit dead, that ended
    within 1 % of the constant prediction's loss, that ended with a loss above `high` (or non-finite), and that
    have some parameters exactly unchanged; and the median of final loss / constant loss among the others."""
    rows = []
    for name, runs in result.items():
        ratio = np.array([r["final_loss"] / r["constant_loss"] for r in runs])
        ok = np.isfinite(ratio) & (np.array([r["final_loss"] for r in runs]) <= high)
        rows.append(
            {
                "start, learning rate": name,
                "seeds": len(runs),
                "all units dead": sum(r["dead"] == 2 for r in runs),
                "loss = constant's": int(np.sum(np.abs(ratio - 1) < 0.01)),
                f"final loss > {high:g}": int(np.sum(~ok)),
                "some params unchanged": sum(r["unchanged"] > 0 for r in runs),
                "median loss / constant's": float(f"{np.median(ratio[ok]):.2g}") if ok.any() else "-",
            }
        )
    return rows


def report_examples(seed=0, lr=0.1, small_lr=1e-3, epochs=1000):
    """One seed's runs for the figure: every start in REPORT_STARTS at `lr`, and the weights in the millions
    again at `small_lr`. Returns {label: run_report result}."""
    out = {f"{name}, lr {lr:g}": run_report(seed, lr=lr, epochs=epochs, **spec) for name, spec in REPORT_STARTS.items()}
    out[f"weights in the millions, lr {small_lr:g}"] = run_report(
        seed, lr=small_lr, epochs=epochs, **REPORT_STARTS["weights in the millions"]
    )
    return out


def plot_report(examples, fig):
    """Training loss per step of each run (log scale), and the loss of the best constant prediction, Var(y)."""
    ax = fig.subplots()
    for color, (label, r) in zip(COLORS, examples.items()):
        loss = np.asarray(r["history"].loss, dtype=float)
        ax.plot(np.arange(1, loss.size + 1), loss, color=color, label=label)
    const = next(iter(examples.values()))["constant_loss"]
    ax.axhline(const, color="k", ls=":", lw=1.2, label=f"constant prediction, Var(y) = {const:.2g}")
    ax.set(xscale="log", yscale="log", xlabel="step", ylabel="training loss (MSE)", ylim=(1e-2, 1e60))
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncols=2, frameon=False)  # below: no curve hidden
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.27, top=0.96)
    return fig


REPORT_GRID = {
    "report's random start, lr 0.1": ("report's random start", 0.1),
    "report's random start, lr 0.01": ("report's random start", 0.01),
    "weights in the millions, lr 0.1": ("weights in the millions", 0.1),
    "weights in the millions, lr 0.001": ("weights in the millions", 1e-3),
    "everything 0, lr 0.1": ("everything 0", 0.1),
}


def run_report_grid(seeds=range(20), epochs=1000):
    """report_seeds for every (start, learning rate) of REPORT_GRID: {label: [run_report results]}."""
    return {
        label: [run_report(s, lr=lr, epochs=epochs, **REPORT_STARTS[start]) for s in seeds]
        for label, (start, lr) in REPORT_GRID.items()
    }
