"""Lesson 07, how big should my network be: width and trainability, dead ReLU units, magnitude pruning and the
lottery ticket experiment (Frankle & Carbin 2018, arXiv:1803.03635).

Pictures use two-feature synthetic sets (`data.make_classification`); the lottery ticket runs on the 8x8
digits that ship inside scikit-learn (`digits.load_digits`), 10 classes, softmax cross-entropy.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

from nncourse.blocks.pruning import (
    dead_units,
    iterative_pruning,
    masked_layers,
    prunable,
    reinitialize,
    remaining_counts,
)
from nncourse.core import _validate
from nncourse.core.callbacks import Recorder
from nncourse.core.init import initializer
from nncourse.core.metrics import accuracy
from nncourse.core.model import mlp
from nncourse.core.optim import SGD
from nncourse.core.seeds import stream
from nncourse.core.train import fit
from nncourse.datasets.digits import softmax_cross_entropy, split_digits
from nncourse.datasets.synthetic import make_classification
from nncourse.panels import SliderPanel, dropdown, int_slider, log_slider, slider_panel, toggle
from nncourse.plotting.plots import plot_decision_boundary

# a seed's streams (core.seeds): stream(seed) draws a data set (data_seed's, or the lottery ticket's split), these
# child streams the rest
WEIGHTS, BATCHES, REINIT = 0, 1, 2  # initial weights; mini-batch order; the control's fresh weights (REINIT, round)
INITS = ("he_normal", "glorot_uniform", "normal")  # "normal" is N(0, 1): far too large for 16 inputs


def _init(name):
    _validate.choice("initializer", name, INITS)
    return initializer("normal", std=1.0) if name == "normal" else initializer(name)


# --- 1. bigger trains more easily -----------------------------------------------------------------------------
@dataclass
class WidthRun:
    """One network of one width trained on a two-feature set."""

    width: int
    model: object
    history: object
    X: np.ndarray
    y: np.ndarray
    train_accuracy: float

    @property
    def status(self):
        return f"width {self.width}: final loss {self.history.final_loss:.3g}, accuracy {self.train_accuracy:.3f}"


def run_width(width=4, seed=0, dataset="circles", n=200, noise=0.1, lr=0.5, epochs=300, data_seed=0):
    """Train a 2-width-1 ReLU classifier (He init, full-batch gradient descent, BCE on one logit) on a fixed
    data set (drawn with data_seed); `seed` draws the initial weights (its stream WEIGHTS)."""
    width = _validate.positive_int("width", width)
    X, y = make_classification(dataset, n, stream(data_seed), noise=noise)
    model = mlp([2, width, 1], rng=stream(seed, WEIGHTS))
    hist = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=epochs, record_grad_norms=False)
    return WidthRun(width, model, hist, X, y, accuracy(model, X, y))


@dataclass
class WidthSweep:
    """final_loss and train_accuracy have shape (len(widths), n_seeds); a run succeeds when its training
    accuracy reaches `threshold`."""

    widths: tuple
    final_loss: np.ndarray
    train_accuracy: np.ndarray
    threshold: float
    settings: dict = field(default_factory=dict)

    @property
    def successes(self):
        """How many seeds succeed at each width."""
        return (self.train_accuracy >= self.threshold).sum(axis=1)

    @property
    def n_seeds(self):
        return self.final_loss.shape[1]

    def table(self):
        """Width, median final loss, seeds that succeed."""
        rows = [f"{'width':>6} {'median loss':>12} {'succeeded':>10}"]
        rows += [
            f"{w:>6} {np.median(l):>12.4f} {s:>6} of {self.n_seeds}"
            for w, l, s in zip(self.widths, self.final_loss, self.successes)
        ]
        return "\n".join(rows)


def run_width_sweep(widths=(1, 2, 3, 4, 8, 16, 64), n_seeds=6, first_seed=0, dataset="circles", threshold=0.95, **kw):
    """The same task at every width, with initial-weight seeds first_seed, ..., first_seed + n_seeds - 1
    (see run_width for kw)."""
    widths = tuple(_validate.positive_int("width", w) for w in widths)
    seeds = range(first_seed, first_seed + _validate.positive_int("n_seeds", n_seeds))
    runs = [[run_width(w, s, dataset=dataset, **kw) for s in seeds] for w in widths]
    loss = np.array([[r.history.final_loss for r in row] for row in runs])
    acc = np.array([[r.train_accuracy for r in row] for row in runs])
    return WidthSweep(widths, loss, acc, threshold, dict(dataset=dataset, **kw))


def plot_width_sweep(result, fig):
    """Left: final loss of every seed against width (median as a line). Right: successes out of n_seeds."""
    ax1, ax2 = fig.subplots(1, 2)
    x = np.arange(len(result.widths))
    for j in range(result.n_seeds):
        ax1.scatter(x, result.final_loss[:, j], s=12, color="C0", alpha=0.5, label="one seed" if j == 0 else None)
    ax1.plot(x, np.median(result.final_loss, axis=1), color="C0", label="median")
    ax1.set(yscale="log", xlabel="hidden units", ylabel="final training loss", title="final loss per seed")
    ticks = [
        t
        for t in (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
        if result.final_loss.min() / 2 <= t <= 2 * result.final_loss.max()
    ]
    ax1.set_yticks(ticks, [f"{t:g}" for t in ticks])  # plain numbers, not 6x10^-1
    ax1.minorticks_off()
    ax2.bar(x, result.successes, color="C2")
    ax2.set(
        xlabel="hidden units",
        ylabel=f"seeds out of {result.n_seeds}",
        ylim=(0, result.n_seeds + 0.3),
        title=f"training accuracy >= {result.threshold:g}",
    )
    for ax in (ax1, ax2):
        ax.set_xticks(x, [str(w) for w in result.widths])
    ax1.legend()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    return fig


def plot_width(result, fig):
    """The decision boundary of one run and its loss curve."""
    ax1, ax2 = fig.subplots(1, 2)
    plot_decision_boundary(result.model, result.X, result.y, ax1, resolution=60)
    ax1.set_title(f"{result.width} hidden units: accuracy {result.train_accuracy:.2f}")
    ax2.plot(np.arange(1, len(result.history.loss) + 1), result.history.loss)
    # a linear axis: a log axis over less than a decade draws mathtext labels that double the redraw time
    ax2.set(xlabel="step", ylabel="training loss", title="loss", ylim=(0, None))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.3)  # tight_layout costs ~80 ms
    return fig


def width_panel(**overrides):
    """Sliders: hidden width and the seed of the initial weights."""
    values = dict(width=3, seed=0)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    return slider_panel(
        run_width,
        plot_width,
        width=int_slider(1, 64, values["width"], description="hidden units"),
        seed=int_slider(0, 9, values["seed"], description="seed"),
    )


# --- 2. dead ReLU units ---------------------------------------------------------------------------------------
@dataclass
class DeadUnitsRun:
    """dead[e, l] is the fraction of hidden layer l's units that are dead on the training data after epoch e
    (row 0: at initialization); final_dead lists each hidden layer's boolean dead mask at the end."""

    lr: float
    init: str
    dead: np.ndarray
    final_dead: list
    weights: list
    history: object
    train_accuracy: float

    @property
    def status(self):
        d = ", ".join(f"{f:.2f}" for f in self.dead[-1])
        return (
            f"lr {self.lr:g}, init {self.init}: dead fraction per hidden layer {d}; accuracy {self.train_accuracy:.2f}"
        )


def dead_unit_masks(model, X):
    """Which hidden units are dead on X, per ReLU layer: pre-activation <= 0 for every row."""
    model.forward(X, train=False)
    return [dead_units(rec["z"]) for rec in model.records() if rec["activation"] == "relu"]


def run_dead_units(
    lr=1.0,
    init="he_normal",
    width=16,
    depth=3,
    epochs=60,
    batch_size=50,
    seed=0,
    dataset="circles",
    n=200,
    noise=0.1,
    data_seed=0,
):
    """Train a 2-(width x depth)-1 ReLU net with mini-batch SGD on a fixed data set (drawn with data_seed) and
    count dead units after every epoch; `seed` draws the initial weights and the batch order."""
    X, y = make_classification(dataset, n, stream(data_seed), noise=noise)
    model = mlp(
        [2] + [_validate.positive_int("width", width)] * _validate.positive_int("depth", depth) + [1],
        rng=stream(seed, WEIGHTS),
        init=_init(init),
    )
    tracker = Recorder(lambda m: dead_unit_masks(m, X))
    tracker.record(model)  # epoch 0: before training
    hist = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        rng=stream(seed, BATCHES),
        callbacks=[tracker],
        record_grad_norms=False,
    )
    dead = np.array([[m.mean() for m in row] for row in tracker.values])
    acc = accuracy(model, X, y) if not hist.diverged else float("nan")
    return DeadUnitsRun(
        lr, init, dead, tracker.values[-1], [layer.params["W"].copy() for layer in model.param_layers], hist, acc
    )


def run_dead_unit_grid(lrs=(0.03, 0.3, 1.0, 3.0), inits=("he_normal", "normal"), n_seeds=2, first_seed=0, **kw):
    """Final dead fraction of all hidden units together, for every (init, lr), averaged over seeds
    first_seed, ..., first_seed + n_seeds - 1: an array (len(inits), len(lrs))."""
    seeds = range(first_seed, first_seed + _validate.positive_int("n_seeds", n_seeds))
    out = np.zeros((len(inits), len(lrs)))
    for i, init in enumerate(inits):
        for j, lr in enumerate(lrs):
            out[i, j] = np.mean([run_dead_units(lr=lr, init=init, seed=s, **kw).dead[-1].mean() for s in seeds])
    return out


def dead_grid_table(grid, lrs=(0.03, 0.3, 1.0, 3.0), inits=("he_normal", "normal")):
    """The grid as text: one row per initializer, percent of hidden units dead after training."""
    rows = [f"{'init / lr':>14}" + "".join(f"{lr:>8g}" for lr in lrs)]
    rows += [f"{init:>14}" + "".join(f"{100 * v:>7.1f}%" for v in row) for init, row in zip(inits, grid)]
    return "\n".join(rows)


def draw_network(ax, sizes, weights=None, dead=None, masks=None, max_edges=3000):
    """A network diagram on `ax`: one column of circles per layer, lines for the weights (blue positive, vermilion
    negative, opacity by |w|; pruned weights, mask 0, are not drawn). dead[l] (bool per unit of hidden layer
    l) draws those units hollow and grey with their outgoing weights removed from the picture."""
    sizes = list(sizes)
    ys = [np.linspace(-1, 1, s) if s > 1 else np.zeros(1) for s in sizes]
    dead = [None] + list(dead or []) + [None] * len(sizes)
    for l in range(len(sizes) - 1):
        W = np.ones((sizes[l], sizes[l + 1])) if weights is None else np.asarray(weights[l])
        keep = np.ones_like(W, dtype=bool) if masks is None else np.asarray(masks[l]) == 1
        if dead[l] is not None:
            keep &= ~np.asarray(dead[l])[:, None]
        if dead[l + 1] is not None:
            keep &= ~np.asarray(dead[l + 1])[None, :]
        scale = np.max(np.abs(W)) or 1.0
        i, j = np.nonzero(keep)
        i, j = i[:max_edges], j[:max_edges]
        w = W[i, j]
        segments = np.stack(
            [np.column_stack([np.full(i.size, l), ys[l][i]]), np.column_stack([np.full(i.size, l + 1), ys[l + 1][j]])],
            axis=1,
        )
        colors = np.array([to_rgba("C0"), to_rgba("C3")])[(w < 0).astype(int)]
        colors[:, 3] = 0.1 + 0.6 * np.abs(w) / scale
        ax.add_collection(LineCollection(segments, colors=colors, linewidths=0.6))
    for l, s in enumerate(sizes):
        d = np.zeros(s, dtype=bool) if dead[l] is None else np.asarray(dead[l])
        ax.scatter(np.full(s, l)[~d], ys[l][~d], s=60, color="w", edgecolors="k", zorder=3)
        ax.scatter(np.full(s, l)[d], ys[l][d], s=60, color="0.85", edgecolors="0.6", marker="X", zorder=3)
    ax.set(xlim=(-0.3, len(sizes) - 0.7), ylim=(-1.15, 1.15), xticks=range(len(sizes)), yticks=[])
    ax.set_xticklabels(["input"] + [f"hidden {i}" for i in range(1, len(sizes) - 1)] + ["output"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


def network_key(dead=False):
    """Legend handles for draw_network's colours: positive and negative weights (and dead units)."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=to_rgba("C0"), label="positive weight"),  # resolved now, as the edges are
        Line2D([], [], color=to_rgba("C3"), label="negative weight"),
    ]
    if dead:
        handles.append(Line2D([], [], ls="", marker="X", ms=8, color="0.85", markeredgecolor="0.6", label="dead unit"))
    return handles


def plot_dead_units(result, fig):
    """Left: dead fraction per hidden layer against epoch. Right: the trained net, dead units crossed out."""
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    for l in range(result.dead.shape[1]):
        ax1.plot(np.arange(result.dead.shape[0]), result.dead[:, l], label=f"hidden layer {l + 1}")
    ax1.set(
        xlabel="epoch",
        ylabel="fraction of units dead",
        ylim=(-0.03, 1.03),
        title=f"lr = {result.lr:g}, init = {result.init}",
    )
    ax1.legend()
    sizes = [result.weights[0].shape[0]] + [W.shape[1] for W in result.weights]
    draw_network(ax2, sizes, result.weights, dead=result.final_dead)
    ax2.set_title("after training")
    ax2.legend(
        handles=network_key(dead=True),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncols=3,
        frameon=False,
        handlelength=1.5,
        columnspacing=1.2,
    )
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.22, top=0.9, wspace=0.15)
    return fig


def dead_units_panel(**overrides):
    """Sliders: learning rate and initializer of a 2-16-16-16-1 ReLU net; `seed` (no slider) draws the initial
    weights and the batches."""
    values = dict(lr=1.0, init="he_normal", seed=0)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    return slider_panel(
        run_dead_units,
        plot_dead_units,
        fixed={"seed": values["seed"]},
        figsize=(9, 3.9),
        lr=log_slider(0.01, 10, values["lr"], description="learning rate"),
        init=dropdown(INITS, values["init"], description="init"),
    )


# --- 3. the lottery ticket ------------------------------------------------------------------------------------
class AccuracyCurve:
    """Callback: the argmax accuracy of the model on (X, labels) after every epoch."""

    def __init__(self, X, labels):
        self.X, self.labels, self.accuracy = X, labels, []

    def on_epoch_end(self, epoch, history, model, optimizer):
        self.accuracy.append(accuracy(model, self.X, self.labels))
        return False


@dataclass
class TicketRound:
    """One round: the weights kept per layer, and for the pruned net trained from its reset weights and for the
    same structure randomly re-initialized, the early-stopping iteration (the step of the lowest validation
    loss, checked once per epoch) and the test accuracy at that iteration."""

    round: int
    kept: list
    sizes: list
    ticket_accuracy: float
    ticket_iteration: int
    random_accuracy: float
    random_iteration: int
    input_kept: np.ndarray = None  # (64,) fraction of each input pixel's weights still kept

    @property
    def fractions(self):
        return [k / s for k, s in zip(self.kept, self.sizes)]

    @property
    def total_fraction(self):
        return sum(self.kept) / sum(self.sizes)


@dataclass
class LotteryResult:
    rounds: list
    rate: float
    output_rate: float
    rewind: bool
    width: int

    @property
    def status(self):
        last = self.rounds[-1]
        return (
            f"round {last.round}: {100 * last.total_fraction:.1f}% of weights left; test accuracy "
            f"{last.ticket_accuracy:.3f} (ticket) vs {last.random_accuracy:.3f} (random re-init)"
        )

    def column(self, name):
        return np.array([getattr(r, name) for r in self.rounds])


def _train_once(model, data, lr, epochs, batch_size, seed):
    """Mini-batch SGD with the batch order fixed by `seed`; returns (early-stopping iteration, test accuracy
    there)."""
    curve = AccuracyCurve(data["X_test"], data["y_test"])
    hist = fit(
        model,
        data["X_train"],
        data["Y_train"],
        loss=softmax_cross_entropy,
        optimizer=SGD(lr),
        epochs=epochs,
        batch_size=batch_size,
        rng=stream(seed, BATCHES),
        X_val=data["X_val"],
        y_val=data["Y_val"],
        callbacks=[curve],
        record_grad_norms=False,
    )
    best = int(np.argmin(hist.val_loss))
    steps_per_epoch = hist.steps // len(hist.val_loss)
    return (best + 1) * steps_per_epoch, curve.accuracy[best]


def run_lottery_ticket(
    width=64,
    rounds=4,
    rate=0.2,
    output_rate=None,
    rewind=True,
    epochs=20,
    lr=0.5,
    batch_size=64,
    seed=0,
    control=True,
    progress=None,
):
    """Iterative magnitude pruning of a 64-width-10 ReLU net on the digits (train 60%, validation 15%,
    test 25%). Round 0 trains the dense net; each later round prunes `rate` of each hidden layer's surviving
    weights and `output_rate` (default rate / 2, the paper's 20% / 10%) of the output layer's, resets the
    survivors (rewind=True: to their initial values; False: keeps trained values) and retrains. The control
    trains the same sparse structure from fresh random weights: control=True in every round, False in none,
    or a collection of round numbers (the others get NaN; a round's control does not depend on which others
    run). `progress`: anything with .max and .value (an ipywidgets IntProgress) to show the rounds done."""
    output_rate = rate / 2 if output_rate is None else output_rate
    data = split_digits(stream(seed), test_fraction=0.25, val_fraction=0.15)
    model = prunable(mlp([64, _validate.positive_int("width", width), 10], rng=stream(seed, WEIGHTS)))
    rounds = 0 if rounds == 0 else _validate.positive_int("rounds", rounds)
    if progress is not None:
        progress.max, progress.value = rounds + 1, 0

    def train(m, k):
        twin = copy.deepcopy(m)  # same masks; trained from fresh weights below
        ticket = _train_once(m, data, lr, epochs, batch_size, seed)
        rand = (np.nan, np.nan)
        if control is True or (control is not False and k in control):
            reinitialize(twin, stream(seed, REINIT, k), init="he_normal")
            rand = _train_once(twin, data, lr, epochs, batch_size, seed)
        if progress is not None:
            progress.value = k + 1
        layers = masked_layers(m)
        return TicketRound(
            k,
            [l.n_kept for l in layers],
            [l.mask.size for l in layers],
            ticket[1],
            ticket[0],
            rand[1],
            rand[0],
            layers[0].mask.mean(axis=1),
        )

    recs = iterative_pruning(model, train, rounds, rate, output_rate=output_rate, rewind_weights=rewind)
    return LotteryResult(recs, rate, output_rate, rewind, width)


def expected_kept(width=100, rounds=5, rate=0.2, output_rate=None):
    """The weights each layer of the 64-width-10 net keeps after each round, by `pruning.remaining_counts`:
    a list of (hidden, output) pairs."""
    output_rate = rate / 2 if output_rate is None else output_rate
    return list(zip(remaining_counts(64 * width, rate, rounds), remaining_counts(width * 10, output_rate, rounds)))


def count_table(width=64, rounds=4, rate=0.2, output_rate=None):
    """Weights kept per round by the rounding rule, next to the exact n (1 - rate)^k."""
    output_rate = rate / 2 if output_rate is None else output_rate
    n_h, n_o = 64 * width, width * 10
    rows = [
        f"{'round':>5} {'hidden kept':>11} {'n*%.2g^k' % (1 - rate):>11} {'output kept':>11} "
        f"{'n*%.2g^k' % (1 - output_rate):>11}"
    ]
    for k, (h, o) in enumerate(expected_kept(width, rounds, rate, output_rate)):
        rows.append(f"{k:>5} {h:>11} {n_h * (1 - rate) ** k:>11.3f} {o:>11} {n_o * (1 - output_rate) ** k:>11.3f}")
    return "\n".join(rows)


def lottery_table(result):
    """One row per round: weights left, and accuracy / early-stopping iteration of ticket and control."""
    name = "rewound" if result.rewind else "kept"
    rows = [f"{'round':>5} {'% left':>7} {'acc (' + name + ')':>14} {'iter':>5} {'acc (random)':>13} {'iter':>5}"]
    for r in result.rounds:
        rand = ("-", "-") if np.isnan(r.random_accuracy) else (f"{r.random_accuracy:.3f}", r.random_iteration)
        rows.append(
            f"{r.round:>5} {100 * r.total_fraction:>7.2f} {r.ticket_accuracy:>14.3f} "
            f"{r.ticket_iteration:>5} {rand[0]:>13} {rand[1]:>5}"
        )
    return "\n".join(rows)


def border_and_inner_kept(ticket_round):
    """Mean fraction of weights kept by the 28 border pixels of the 8x8 image and by the inner 36."""
    kept = ticket_round.input_kept.reshape(8, 8)
    border = np.ones((8, 8), dtype=bool)
    border[1:-1, 1:-1] = False
    return float(kept[border].mean()), float(kept[~border].mean())


def progress_bar(description="rounds trained"):
    """An ipywidgets progress bar to pass as `progress=` (display it first; headless it only counts). Where no
    widget can be shown (GitHub, nbviewer, an HTML export, JupyterLab before the cell runs) it reads as one line
    saying what it counted, not as ipywidgets' repr."""
    import ipywidgets as widgets

    class ProgressBar(widgets.IntProgress):
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs) or {}
            return {**bundle, "text/plain": f"[a progress bar: {self.description}, filled while the cell ran]"}

    return ProgressBar(description=description, style={"description_width": "initial"})


def plot_lottery(result, fig, others=None):
    """Test accuracy and early-stopping iteration against the percentage of weights remaining (log axis,
    decreasing to the right), the pruned-and-reset net against the random re-initialization; and which input
    pixels keep their weights. `others` (a TicketSeeds of the same settings) adds the other seeds' accuracies as
    faint points, so that this run's differences can be read against the spread between seeds."""
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.55]})
    pct = 100 * result.column("total_fraction")
    name = "winning ticket (rewound)" if result.rewind else "pruned, trained values kept"
    for ax, col, label in (
        (ax1, "accuracy", "test accuracy at early stop"),
        (ax2, "iteration", "early-stopping iteration"),
    ):
        ax.plot(pct, result.column(f"ticket_{col}"), "o-", ms=3, label=name)
        rand = result.column(f"random_{col}").astype(float)
        if not np.all(np.isnan(rand)):  # rounds without a control are left out, not drawn as gaps
            ok = ~np.isnan(rand)
            ax.plot(pct[ok], rand[ok], "s--", ms=3, label="random re-init")
        ax.set(xscale="log", xlabel="% of weights remaining", ylabel=label)
        ax.set_xlim(105, min(pct) * 0.9)
        ticks = [t for t in (100, 50, 20, 10, 5, 2, 1) if t >= min(pct) * 0.9]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
    lo = np.nanmin(np.r_[result.column("ticket_accuracy"), result.column("random_accuracy")].astype(float))
    if others is not None:
        _plot_other_seeds(ax1, [r for r in others.runs if r is not result], pct, name)
    ax2.set_ylim(
        0, 1.1 * np.nanmax(np.r_[result.column("ticket_iteration"), result.column("random_iteration")].astype(float))
    )
    ax1.set_ylim(min(0.9, np.floor(100 * lo) / 100 - 0.01), 1.0)  # a fixed span: a 1-point wobble stays small
    im = ax3.imshow(result.rounds[-1].input_kept.reshape(8, 8), cmap="viridis", vmin=0, vmax=1)
    ax3.set(title=f"weights kept per pixel\n(round {result.rounds[-1].round})", xticks=[], yticks=[])
    fig.colorbar(im, ax=ax3, fraction=0.046)
    handles, labels = ax1.get_legend_handles_labels()
    top = 0.86 if len(labels) <= 2 else 0.79
    fig.subplots_adjust(left=0.08, right=0.94, bottom=0.16, top=top, wspace=0.38)
    x0, x1 = ax1.get_position().x0, ax2.get_position().x1  # one key above both line plots
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=((x0 + x1) / 2, top + 0.01),
        ncols=2,
        frameon=False,
        columnspacing=1.5,
    )
    return fig


def _plot_other_seeds(ax, runs, pct, name):
    """Faint points: each other seed's ticket (every round) and control (the rounds that have one)."""
    for i, run in enumerate(runs):
        rand = run.column("random_accuracy").astype(float)
        ok = ~np.isnan(rand)
        ax.plot(
            pct,
            run.column("ticket_accuracy"),
            "o",
            ms=3,
            color="C0",
            alpha=0.3,
            zorder=1,
            label=f"{name.split(' (')[0]}, other {len(runs)} seeds" if i == 0 else None,
        )
        ax.plot(
            pct[ok],
            rand[ok],
            "s",
            ms=3,
            color="C1",
            alpha=0.45,
            zorder=1,
            label=f"random re-init, other {len(runs)} seeds" if i == 0 else None,
        )


@dataclass
class TicketSeeds:
    """The lottery ticket over several seeds (each seed: its own data split, initial weights and batch order).
    ticket and random are test accuracies, shape (n_seeds, rounds + 1), random NaN where no control ran."""

    seeds: tuple
    runs: list
    control_rounds: tuple

    @property
    def fraction(self):
        return self.runs[0].column("total_fraction")

    @property
    def ticket(self):
        return np.array([r.column("ticket_accuracy") for r in self.runs])

    @property
    def random(self):
        return np.array([r.column("random_accuracy") for r in self.runs], dtype=float)

    def summary(self, k):
        """Round k in percentage points: ticket mean and sd over seeds, random mean and sd, paired gap mean
        and sd, and the number of seeds in which the ticket scores higher."""
        t, r = 100 * self.ticket[:, k], 100 * self.random[:, k]
        g = t - r
        return dict(
            ticket=t.mean(),
            ticket_sd=t.std(ddof=1),
            random=r.mean(),
            random_sd=r.std(ddof=1),
            gap=g.mean(),
            gap_sd=g.std(ddof=1),
            ahead=int((g > 0).sum()),
        )

    def table(self):
        """One row per round with a control: mean +- sd over seeds, in percent."""
        n = len(self.seeds)
        rows = [f"{'round':>5} {'% left':>7} {'ticket':>11} {'random':>11} {'gap':>11} {'ticket ahead':>13}"]
        for k in self.control_rounds:
            s = self.summary(k)
            rows.append(
                f"{k:>5} {100 * self.fraction[k]:>7.1f} {s['ticket']:>5.1f} ± {s['ticket_sd']:.1f} "
                f"{s['random']:>5.1f} ± {s['random_sd']:.1f} {s['gap']:>+5.1f} ± {s['gap_sd']:.1f} "
                f"{s['ahead']:>6} of {n}"
            )
        return "\n".join(rows)

    def markdown_table(self):
        """The same rows as a markdown table, for a lesson's prose (its test compares the two)."""
        n = len(self.seeds)
        rows = [
            "| round | % of weights left | ticket, % | random re-init, % | gap, points | ticket ahead |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for k in self.control_rounds:
            s = self.summary(k)
            rows.append(
                f"| {k} | {100 * self.fraction[k]:.1f} | {s['ticket']:.1f} ± {s['ticket_sd']:.1f} | "
                f"{s['random']:.1f} ± {s['random_sd']:.1f} | {s['gap']:+.1f} ± {s['gap_sd']:.1f} | "
                f"{s['ahead']} of {n} |"
            )
        return "\n".join(rows)


def run_ticket_seeds(n_seeds=5, first_seed=0, rounds=9, control_every=3, progress=None, **kw):
    """run_lottery_ticket for seeds first_seed, ..., first_seed + n_seeds - 1, the random re-initialization
    control trained only every `control_every` rounds and in the last one (to keep the run to seconds); kw as
    for run_lottery_ticket. `progress` counts seeds."""
    seeds = tuple(range(first_seed, first_seed + _validate.positive_int("n_seeds", n_seeds)))
    control = tuple(
        sorted(set(range(0, rounds + 1, _validate.positive_int("control_every", control_every))) | {rounds})
    )
    if progress is not None:
        progress.max, progress.value = len(seeds), 0
    runs = []
    for s in seeds:
        runs.append(run_lottery_ticket(rounds=rounds, seed=s, control=control, **kw))
        if progress is not None:
            progress.value = len(runs)
    return TicketSeeds(seeds, runs, control)


def plot_ticket_seeds(result, fig):
    """Left: test accuracy (mean +- sd over seeds) of ticket and random re-init against the % of weights left.
    Right: each seed's gap, ticket minus random, in percentage points, with its mean."""
    ax1, ax2 = fig.subplots(1, 2)
    k = list(result.control_rounds)
    pct = 100 * result.fraction[k]
    lo = 90.0
    for acc, fmt, color, label in (
        (result.ticket, "o-", "C0", "winning ticket (rewound)"),
        (result.random, "s--", "C1", "random re-init"),
    ):
        a = 100 * acc[:, k]
        mean, sd = a.mean(axis=0), a.std(axis=0, ddof=1) if len(a) > 1 else np.zeros(len(k))
        ax1.errorbar(pct, mean, yerr=sd, fmt=fmt, ms=4, capsize=3, color=color, label=label)
        lo = min(lo, np.floor(np.min(mean - sd) / 5) * 5)
    # accuracy over at least 10 points, the gap over at least ±5: a one-point difference looks as small as it is
    ax1.set(ylim=(lo, 100), ylabel="test accuracy, % (mean ± sd)", title=f"{len(result.seeds)} seeds")
    gap = 100 * (result.ticket[:, k] - result.random[:, k])
    span = max(5.0, np.ceil(np.max(np.abs(gap)) + 0.5))
    for j in range(len(result.seeds)):
        ax2.plot(pct, gap[j], "o", ms=4, color="0.55", label="one seed" if j == 0 else None)
    ax2.plot(pct, gap.mean(axis=0), "-", color="C0", label="mean")
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set(ylim=(-span, span), ylabel="ticket − random, points", title="the gap, seed by seed")
    for ax in (ax1, ax2):
        ax.set(xscale="log", xlabel="% of weights remaining")
        ax.set_xlim(105, min(pct) * 0.9)
        ticks = [t for t in (100, 50, 20, 10, 5) if t >= min(pct) * 0.9]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.legend()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.3)
    return fig


class _ProgressPanel(SliderPanel):
    """A slider panel with a progress bar above the figure, for runs that take seconds."""

    @property
    def widget(self):
        box = super().widget  # keeps whatever the base panel sets on its box
        box.children = (box.children[0], self.fixed["progress"], *box.children[1:])
        return box


def _lottery_full(max_rounds, progress=None, **settings):
    """The lottery panel's run: all max_rounds rounds for a setting (the panel caches it)."""
    return run_lottery_ticket(rounds=max_rounds, progress=progress, **settings)


def lottery_rounds(result, rounds):
    """The first `rounds` rounds of a run, as a run of that many rounds would give them (a round's numbers do not
    depend on how many rounds follow it): what the rounds slider shows, without training again."""
    return LotteryResult(result.rounds[: rounds + 1], result.rate, result.output_rate, result.rewind, result.width)


def lottery_panel(**overrides):
    """Sliders: hidden width, pruning rate per round (output layer at half), rounds shown, rewind on/off.
    Changing width, rate or rewind retrains max_rounds rounds (seconds; the bar shows progress); the rounds
    slider picks among the cached rounds. `max_rounds`, `epochs` and `seed` have no slider."""
    values = dict(width=64, rate=0.2, rounds=8, rewind=True, max_rounds=8, epochs=20, seed=0)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    _validate.positive_int("max_rounds", values["max_rounds"])  # the rounds slider's top
    fixed = dict(max_rounds=values["max_rounds"], epochs=values["epochs"], seed=values["seed"], progress=progress_bar())
    controls = dict(
        width=int_slider(8, 128, values["width"], step=8, description="hidden units"),
        rate=dropdown((0.1, 0.2, 0.3, 0.5), values["rate"], description="pruning rate"),
        rounds=int_slider(0, values["max_rounds"], values["rounds"], description="rounds"),
        rewind=toggle(values["rewind"], description="rewind to initial weights"),
    )
    return _ProgressPanel(
        _lottery_full,
        plot_lottery,
        controls,
        fixed=fixed,
        views=("rounds",),
        view=lottery_rounds,
        figsize=(9, 3.4),
        background=True,
    )
