"""Lesson 05, vanishing and exploding gradients: the case study's deep narrow chain, why gradients shrink or grow
layer by layer, and what helps (clipping, ReLU, residual connections, a sensible initialization), measured.

Sources: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks" (clipping
by the global norm, algorithm 1); He et al. (2016), "Deep residual learning for image recognition";
Glorot & Bengio (2010) for the activation derivatives.
"""

import numpy as np
from matplotlib.ticker import MaxNLocator

from nncourse.blocks.clipping import clipper
from nncourse.blocks.regularization import l1, l2
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import _validate, diagnostics
from nncourse.core.blas import one_blas_thread
from nncourse.core.callbacks import Recorder
from nncourse.core.init import initializer
from nncourse.core.layers import Dense, get_activation
from nncourse.core.metrics import accuracy
from nncourse.core.model import DEFAULT_INIT, Sequential
from nncourse.core.seeds import stream
from nncourse.core.train import fit
from nncourse.datasets import synthetic as data
from nncourse.plotting import layerplots
from nncourse.plotting.plots import plot_loss

# a seed's streams (core.seeds): stream(seed) draws the inputs or the data set, these child streams the rest
WEIGHTS, UPSTREAM = 0, 1  # the initial weights; the random upstream gradient a probe back-propagates

# ---------------------------------------------------------------------------------------------------------
# the case study (source 000): 10 layers in all, 9 layers of 3 units and one output unit; input 1, target 1e12,
# loss |1e12 - output|. Its experiment changes the weights of the 8 hidden layers between the first layer and the
# output layer (the 3x3 matrices); the first layer's and the output layer's weights stay at 1e-3.

TARGET = 1e12
OUTER_WEIGHT = 1e-3


def chain_network(depth=9, width=3, init="constant", activation="identity", rng=None, outer_weight=None, **init_kw):
    """Input 1 -> `depth` Dense layers of `width` units (each followed by the activation) -> Dense(width, 1):
    depth + 1 layers and weight matrices in all (the case study: depth 9). init: an initializer name (e.g.
    'constant' with value=1e-3, 'uniform' with low/high). outer_weight None: `init` for every weight; a number:
    the first and the output layer's weights are that constant and `init` sets only the depth - 1 hidden
    width x width matrices (the case study's "8 hidden layers"). Biases start at 0."""
    depth = _validate.positive_int("depth", depth)
    width = _validate.positive_int("width", width)
    rng = None if rng is None else _validate.rng(rng)  # None: Dense refuses a random init by name
    w_init = initializer(init, **init_kw)
    outer = w_init if outer_weight is None else initializer("constant", value=outer_weight)
    layers, n_in = [], 1
    for i in range(depth):
        layers += [Dense(n_in, width, rng=rng, init=outer if i == 0 else w_init), get_activation(activation)]
        n_in = width
    layers.append(Dense(n_in, 1, rng=rng, init=outer))
    return Sequential(layers)


def first_layer_gradient(model):
    """dL/dW of the first layer (shape (1, width)) for input 1 and target TARGET, loss |TARGET - output|."""
    x, y = np.ones((1, 1)), np.full((1, 1), TARGET)
    from nncourse.core.losses import absolute_error

    _, dpred = absolute_error(model.forward(x), y)
    model.backward(dpred)
    return model.param_layers[0].grads["W"].copy()


def estimated_first_gradient(weight, depth):
    """The case study's estimate (1e-3)^(Nlayers - 1) for a chain of `depth` hidden layers and one output layer
    (Nlayers = depth + 1): one factor `weight` per layer after the first, weight ** depth."""
    return weight**depth


def exact_first_gradient(weight, depth, width):
    """The linear chain with every weight equal to w, biases 0: dL/dW1[0, j] = -(sum over the paths from unit j
    to the output of the product of their weights) = -width^(depth-1) * w^depth. There are depth weight matrices
    between the first layer's output and the loss (depth - 1 hidden-to-hidden, one hidden-to-output) and
    width^(depth-1) paths through them. The sign is dL/d(output) = sign(output - target) = -1."""
    return -(width ** (depth - 1)) * weight**depth


@one_blas_thread
def run_case_study(
    weight=1e-3,
    lr=1.0,
    steps=100,
    depth=9,
    width=3,
    activation="identity",
    clip_mode="none",
    threshold=1.0,
    init="constant",
    seed=0,
    outer_weight=OUTER_WEIGHT,
    regularizer=None,
    **init_kw,
):
    """Train the case-study chain on the single example (1 -> 1e12) with SGD, lr 1 as in the case study.
    init 'constant' uses `weight` for the hidden weights; other initializer names take `init_kw` (e.g.
    init='uniform', low=5e-3, high=5e-2). outer_weight: the first and output layers' weights (1e-3, as in the
    case study; None: `init` everywhere, see chain_network). regularizer: e.g. regularization.l2(0.01).
    Returns a dict: "history", "first_grad" (dL/dW1 before training), "grad_norms0" (||dW|| of every layer at
    step 1), "output0" (the output before training), "outputs" (the output after each step), "status"."""
    kw = dict(init_kw)
    if init == "constant":
        kw["value"] = weight
    model = chain_network(depth, width, init, activation, stream(seed, WEIGHTS), outer_weight, **kw)
    first = first_layer_gradient(model)
    x, y = np.ones((1, 1)), np.full((1, 1), TARGET)
    output0 = float(model.predict(x)[0, 0])
    recorder = Recorder(lambda m: _output(m, x))
    hist = fit(
        model,
        x,
        y,
        loss="absolute_error",
        lr=lr,
        epochs=steps,
        clip=clipper(clip_mode, threshold),
        callbacks=[recorder],
        regularizer=regularizer,
    )
    norms0 = hist.grad_norm_array()[0] if hist.grad_norms else np.full(depth + 1, np.nan)
    return dict(
        history=hist,
        first_grad=first,
        grad_norms0=norms0,
        outputs=np.array(recorder.values),
        output0=output0,
        final_output=recorder.values[-1] if recorder.values else float("nan"),
        status=hist.status,
        clip_mode=clip_mode,
    )


def _output(model, x):
    """The network's output on the single example (an overflow is a result here, not an error)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(model.predict(x)[0, 0])


def relative_progress(result):
    """How much of the way to the target training went: (loss at step 1 - last loss) / loss at step 1."""
    loss = result["history"].loss
    return (loss[0] - loss[-1]) / loss[0] if loss else float("nan")


def loss_jump(result):
    """The step k with the largest ratio loss[k] / loss[k-1] and that ratio: where the run blew up."""
    loss = np.asarray(result["history"].loss)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = loss[1:] / loss[:-1]
    k = int(np.nanargmax(ratio))
    return k + 2, float(ratio[k])


COUNTERMEASURES = {
    "none": dict(clip_mode="none"),
    "clip by value 1": dict(clip_mode="value", threshold=1.0),
    "clip each tensor's norm to 1": dict(clip_mode="norm", threshold=1.0),
    "clip the global norm to 1": dict(clip_mode="global_norm", threshold=1.0),
    "sensible init (lecun_normal)": dict(init="lecun_normal", outer_weight=None),
    "sensible init + global norm 1": dict(
        init="lecun_normal", outer_weight=None, clip_mode="global_norm", threshold=1.0
    ),
    "L2 penalty 0.01": dict(regularizer=l2(0.01)),
    "L1 penalty 0.01": dict(regularizer=l1(0.01)),
}


@one_blas_thread
def run_countermeasures(weight=0.5, lr=1.0, steps=100, seed=0):
    """The exploding run (all weights `weight`, learning rate `lr`) with each remedy in COUNTERMEASURES."""
    return {
        name: run_case_study(weight=weight, lr=lr, steps=steps, seed=seed, **spec)
        for name, spec in COUNTERMEASURES.items()
    }


def lowest_error(result):
    """The smallest |1e12 - output| over the steps (without any penalty term), to 2 significant figures."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(TARGET - np.concatenate([[result["output0"]], result["outputs"]]))
    return float(f"{np.nanmin(err):.2g}")


def countermeasure_table(results):
    """Per remedy: how the run ended (diverged at which step, or finished) and the smallest |1e12 - output|
    reached, rounded: the clipped runs jump around the target, their exact values are not robust."""
    return [
        {"remedy": name, "outcome": outcome(r), "lowest |1e12 - output|": f"{lowest_error(r):.2g}"}
        for name, r in results.items()
    ]


def plot_case_study(results, fig):
    """Loss per step (log scale) of several case-study runs {label: result}: the runs that diverge (left, their
    first steps) and the runs that stay finite (right, every step). A single result gets one panel."""
    diverged = {k: r for k, r in results.items() if r["history"].diverged}
    finite = {k: r for k, r in results.items() if not r["history"].diverged}
    groups = [g for g in (diverged, finite) if g]
    axes = np.atleast_1d(fig.subplots(1, len(groups)))
    styles = ["-", "--", "-.", ":"]
    for ax, group in zip(axes, groups):
        for i, (name, r) in enumerate(group.items()):
            plot_loss(
                r["history"],
                ax,
                label=name,
                log=True,
                ls=styles[i % 4],
                lw=1.8,
                marker="o" if r["history"].diverged else None,
                ms=3,
            )
        for text in list(ax.texts):  # the step of divergence is in the table; overlapping notes would not read
            text.remove()
        ax.axhline(TARGET, color="0.6", ls=":", lw=1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if diverged:
        last = max(r["history"].diverged_at for r in diverged.values())
        axes[0].set(
            title="diverged (dotted: the step it stopped)", xlim=(0.5, 2 * last + 0.5), ylim=(1e9, 1e30)
        )  # room on the right for the legend
        axes[0].legend(loc="lower right")
    if finite:
        axes[-1].set(title="stayed finite", ylim=(1e10, 1e14), ylabel="" if diverged else "loss")
        axes[-1].legend(loc="upper right")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.22)
    return fig


# ---------------------------------------------------------------------------------------------------------
# why: one weight and one activation derivative per layer


def max_derivative(name):
    """The largest value of an activation's derivative on a fine grid over [-10, 10] (sigmoid: 1/4 at 0)."""
    z = np.linspace(-10, 10, 20001)
    return float(np.max(get_activation(name).derivative(z)))


def plain_network(depth, width, activation, rng, init=None, n_in=2):
    """n_in -> `depth` Dense layers of `width` + activation -> Dense(width, 1), init by activation by default."""
    init = init or DEFAULT_INIT[activation]
    layers, d = [], n_in
    for _ in range(depth):
        layers += [Dense(d, width, rng=rng, init=init), get_activation(activation)]
        d = width
    layers.append(Dense(d, 1, rng=rng, init=init))
    return Sequential(layers)


def residual_network(depth, width, activation, rng, init=None, n_in=2):
    """The same Dense layers as `plain_network`, but every hidden layer after the first is wrapped in a skip
    connection: a <- a + act(a W + b). A gradient reaches layer 1 through the identity path unchanged."""
    init = init or DEFAULT_INIT[activation]
    layers = [Dense(n_in, width, rng=rng, init=init), get_activation(activation)]
    for _ in range(depth - 1):
        layers.append(ResidualBlock([Dense(width, width, rng=rng, init=init), get_activation(activation)]))
    layers.append(Dense(width, 1, rng=rng, init=init))
    return Sequential(layers)


@one_blas_thread
def run_depth_profile(depth=30, width=64, activations=("sigmoid", "tanh", "relu"), residual=False, n=200, seed=0):
    """||dL/dW|| of every layer at initialization, for each activation with its usual init (Glorot for sigmoid
    and tanh, He for ReLU), inputs N(0, 1), a random N(0, 1) gradient at the output.
    Returns {activation: array of depth + 1 norms, input side first}."""
    build = residual_network if residual else plain_network
    out = {}
    for name in activations:
        X = stream(seed).normal(size=(n, 2))
        model = build(depth, width, name, stream(seed, WEIGHTS))
        diagnostics.backprop_probe(model, X, stream(seed, UPSTREAM))
        out[name] = diagnostics.weight_grad_norms(model)
    return out


@one_blas_thread
def run_residual_comparison(depths=(20, 30, 50), width=32, activation="sigmoid", n=200, seed=0):
    """Per depth: ||dL/dW|| per layer of the plain and the residual network. {depth: {"plain", "residual"}}."""
    out = {}
    for depth in depths:
        out[depth] = {}
        for label, build in (("plain", plain_network), ("residual", residual_network)):
            X = stream(seed).normal(size=(n, 2))
            model = build(depth, width, activation, stream(seed, WEIGHTS))
            diagnostics.backprop_probe(model, X, stream(seed, UPSTREAM))
            out[depth][label] = diagnostics.weight_grad_norms(model)
    return out


def plot_depth_profile(profile, fig, title="gradient norm per layer at initialization"):
    """||dW|| per layer on a log scale, one line per activation (or per network)."""
    ax = fig.subplots()
    for name, norms in profile.items():
        layerplots.plot_per_layer(norms, ax, label=name)
    ax.set(title=title, ylabel="||dL/dW||")
    ax.legend()
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=0.9)
    return fig


def plot_residual_comparison(result, fig):
    """One panel per depth: plain versus residual gradient norms per layer."""
    axes = fig.subplots(1, len(result), sharey=True)
    for ax, (depth, r) in zip(np.atleast_1d(axes), result.items()):
        for label, norms in r.items():
            layerplots.plot_per_layer(norms, ax, label=label)
        ax.set_title(f"depth {depth}")
    np.atleast_1d(axes)[0].set_ylabel("||dL/dW||")
    np.atleast_1d(axes)[0].legend(loc="lower right")
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.12)
    return fig


@one_blas_thread
def run_remedies_training(depth=20, width=16, n=200, lr=0.1, steps=200, seed=0, dataset="moons"):
    """Train a deep classifier three ways: sigmoid (Glorot), ReLU (He), and sigmoid with residual connections.
    Returns {label: {"history", "accuracy"}}."""
    X, y = data.make_classification(dataset, n, stream(seed))
    setups = {
        "sigmoid": (plain_network, "sigmoid"),
        "relu": (plain_network, "relu"),
        "sigmoid + residual": (residual_network, "sigmoid"),
    }
    out = {}
    for label, (build, act) in setups.items():
        model = build(depth, width, act, stream(seed, WEIGHTS))
        hist = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=steps)
        out[label] = dict(history=hist, accuracy=accuracy(model, X, y) if not hist.diverged else float("nan"))
    return out


def remedies_summary(result, relu_below=0.3, relu_accuracy_above=0.75):
    """What run_remedies_training shows on any machine, one line per network. The plain sigmoid network learns
    nothing: its loss is ln 2, but its accuracy comes from output differences at the rounding level (0.455 or 0.46
    under a relative 1e-13 perturbation of the steps), so it is not given. The ReLU run is chaotic (final loss
    0.212 to 0.227, accuracy 0.80 to 0.935 under perturbations of 1e-13 to 1e-11): stated against thresholds. The
    residual sigmoid run is stable: 3 figures."""
    side = lambda value, bound: "above" if value > bound else "below"
    sig, relu, res = result["sigmoid"], result["relu"], result["sigmoid + residual"]
    return "\n".join(
        [
            f"{'sigmoid':>18}: final loss {sig['history'].final_loss:.3f}, the loss of a constant guess (ln 2)",
            f"{'relu':>18}: final loss {side(relu['history'].final_loss, relu_below)} {relu_below:g}, accuracy "
            f"{side(relu['accuracy'], relu_accuracy_above)} {relu_accuracy_above:g}",
            f"{'sigmoid + residual':>18}: final loss {res['history'].final_loss:.3g}, accuracy {res['accuracy']:.3g}",
        ]
    )


def plot_remedies_training(result, fig):
    """Training loss of each remedy (no accuracy in the legend: the ReLU run's changes from machine to machine)."""
    ax = fig.subplots()
    for label, r in result.items():
        plot_loss(r["history"], ax, label=label, log=True)
    ax.legend()
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=0.95)
    return fig


# ---------------------------------------------------------------------------------------------------------
# the slider panel

PANEL_ACTIVATIONS = ["identity", "relu", "tanh", "sigmoid"]


@one_blas_thread
def run_case_panel(
    depth=9, weight=0.5, lr=1.0, clip_mode="none", threshold=1.0, activation="identity", steps=50, seed=0
):
    """The case-study chain with the panel's settings (all weights `weight`); see run_case_study."""
    return run_case_study(
        weight=weight,
        lr=lr,
        steps=steps,
        depth=depth,
        activation=activation,
        clip_mode=clip_mode,
        threshold=threshold,
        seed=seed,
    )


def _plot_loss_log(history, ax, **kw):
    """plot_loss on a log scale that also copes with a loss that hardly changes (a vanishing run: 1e12 minus a
    few units): such a line gives matplotlib a zero-height log range and a warning."""
    plot_loss(history, ax, log=False, **kw)
    loss = history.loss
    if loss and min(loss) > 0:
        if max(loss) < min(loss) * (1 + 1e-6):
            ax.set_ylim(min(loss) / 10, max(loss) * 10)  # fixed limits: no autoscaling of an empty range
        ax.set_yscale("log")
    return ax


def plot_case_panel(result, fig):
    """Left: loss per step. Right: ||dW|| of every layer at step 1 (log scale). Fixed layout: fast redraw."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=0.88, wspace=0.25)
    _plot_loss_log(result["history"], ax1)
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps count: no tick at step 2.5
    ax1.set_title(result["status"], fontsize=9, y=1.0)  # explicit y: no automatic placement, faster redraw
    layerplots.plot_per_layer(result["grad_norms0"], ax2)
    ax2.set_title("||dL/dW|| per layer at step 1", y=1.0)
    ax2.set_ylabel("")
    for ax in (ax1, ax2):
        if ax.get_yscale() == "log":
            layerplots.plain_log_labels(ax)
    return fig


def outcome(result):
    """'diverged at step k' or 'finite for n steps': what is robust about a run (not the size it blew up to)."""
    h = result["history"]
    return f"diverged at step {h.diverged_at}" if h.diverged else f"finite for {h.steps} steps"


def case_summary(result):
    """Text for a checked cell."""
    return (
        f"{outcome(result)}; ||dW|| at step 1: layer 1 {result['grad_norms0'][0]:.3g}, "
        f"output layer {result['grad_norms0'][-1]:.3g}"
    )


def case_study_panel(**overrides):
    """Sliders: depth, initial weight, learning rate, clipping mode and threshold, activation; `steps` and
    `seed` (no slider) as in run_case_study."""
    from nncourse.panels import dropdown, int_slider, log_slider, slider_panel

    values = dict(depth=9, weight=0.5, lr=1.0, clip_mode="none", threshold=1.0, activation="identity", steps=50, seed=0)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    return slider_panel(
        run_case_panel,
        plot_case_panel,
        fixed={"steps": values["steps"], "seed": values["seed"]},
        figsize=(9, 3.2),
        applies={"threshold": lambda v: "no clipping" if v["clip_mode"] == "none" else None},
        depth=int_slider(2, 30, values["depth"], description="depth"),
        weight=log_slider(1e-4, 10, values["weight"], "initial weight"),
        lr=log_slider(1e-4, 10, values["lr"], "learning rate"),
        clip_mode=dropdown(["none", "value", "norm", "global_norm"], values["clip_mode"], "clipping"),
        threshold=log_slider(1e-2, 100, values["threshold"], "threshold"),
        activation=dropdown(PANEL_ACTIVATIONS, values["activation"], "activation"),
    )
