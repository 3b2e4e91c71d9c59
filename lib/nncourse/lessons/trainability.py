"""Lesson 06, trainability: one small binary classifier on a two-feature data set, and the choices (activation,
initialization, input scale, normalization, regularization, skip connections) that decide whether it trains.

Every run is full-batch gradient descent (SGD on the whole training set each step) with binary cross-entropy on
one output logit: a sigmoid output unit folded into the loss (`losses.bce_with_logits`).
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.ticker import MaxNLocator

from nncourse.blocks.normalization import BatchNorm, Dropout, dropout_rate
from nncourse.blocks.regularization import near_zero_fraction, penalized, weight_penalty
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import _validate
from nncourse.core.callbacks import EarlyStopping, EvalCurves, restore_state, snapshot_state
from nncourse.core.init import INITIALIZERS, initializer
from nncourse.core.layers import Dense, get_activation
from nncourse.core.losses import get_loss
from nncourse.core.model import DEFAULT_INIT, Sequential
from nncourse.core.optim import SGD
from nncourse.core.seeds import stream
from nncourse.core.train import Training
from nncourse.datasets.synthetic import CLASSIFICATION_SETS, Standardizer, make_classification, train_test_split
from nncourse.panels import Stepper, blit_png, dropdown, float_slider, int_slider, log_slider, slider_panel, toggle
from nncourse.plotting.plots import plot_decision_boundary

DATASETS = tuple(CLASSIFICATION_SETS)
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("default", "he_normal", "glorot_uniform", "normal", "zeros")
LOSS = "bce_with_logits"
# a seed's streams (core.seeds): stream(seed) draws the data set and its test split; each other source of randomness
# has its own child stream, so that none repeats another's numbers
WEIGHTS, DROPOUT, VALIDATION, BATCHES, UPSTREAM = 0, 1, 2, 3, 4

# the running example, as in the lecture (source 004): a binary classifier on two features, targets 0/1, Dense
# hidden layers (ReLU, tanh or sigmoid) and a sigmoid output, weights drawn from N(0, 1). The lecture's data and
# architecture are in figures its notes do not include; ours: 240 noisy moons, a quarter held out, 2-8-8-1.
EXAMPLE = dict(
    dataset="moons", n=240, noise=0.2, depth=2, width=8, activation="relu", init="normal", lr=0.5, epochs=200
)
# where the playground opens: the running example made deep (6 sigmoid layers, Glorot's init), which does not learn
PLAYGROUND_START = dict(activation="sigmoid", depth=6, init="default")


# --- data ---------------------------------------------------------------------------------------------------
@dataclass
class Split:
    """A train/test split of a two-class data set: X (N, 2), y (N, 1) with 0/1 labels."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    name: str = ""

    def transformed(self, fn, name=None):
        """The same split with fn applied to both X arrays."""
        return Split(fn(self.X_train), fn(self.X_test), self.y_train, self.y_test, name or self.name)


def make_split(dataset="moons", n=240, noise=0.2, seed=0, test_fraction=0.25, n_test=None):
    """Draw `n` points of a named data set (data.CLASSIFICATION_SETS) and hold out a test set: a fraction of
    them, or, with n_test, `n_test` extra points drawn from the same distribution (for a small training set
    whose test curve should not be noisy)."""
    rng = stream(seed)
    if n_test is None:
        X, y = make_classification(dataset, n, rng, noise=noise)
        return Split(*train_test_split(X, y, rng, test_fraction), name=dataset)
    n_test = _validate.positive_int("n_test", n_test)
    X, y = make_classification(dataset, n + n_test, rng, noise=noise)
    return Split(X[:n], X[n:], y[:n], y[n:], name=dataset)


def unscale(X, factor=100.0, shift=(2.0, 50.0)):
    """The lesson's badly scaled input: feature 2 multiplied by `factor`, then both features shifted."""
    return X * np.array([1.0, factor]) + np.asarray(shift, dtype=np.float64)


# --- the network --------------------------------------------------------------------------------------------
def build_classifier(
    depth=2,
    width=8,
    activation="relu",
    init="default",
    batchnorm=False,
    dropout=0.0,
    residual=False,
    seed=0,
    n_in=2,
):
    """A classifier with `depth` hidden layers of `width` units and one output logit.

    Hidden layer: Dense -> [BatchNorm] -> activation -> [Dropout]. With residual=True every hidden layer after
    the first is a ResidualBlock x + f(x) around Dense -> [BatchNorm] -> activation (the first one changes
    the width from n_in, so it cannot be a skip). init: an initializer name, or "default" for the usual one
    for the activation (He for ReLU, Glorot for tanh and sigmoid). Weights and dropout masks come from
    `seed`'s child streams WEIGHTS and DROPOUT (its own stream draws the data: make_split).
    """
    depth = _validate.positive_int("depth", depth)
    width = _validate.positive_int("width", width)
    _validate.choice("activation", activation, HIDDEN_ACTIVATIONS)
    _validate.choice("initializer", init, ("default",) + tuple(INITIALIZERS))
    dropout = dropout_rate(dropout)
    w_init = DEFAULT_INIT[activation] if init == "default" else init
    w_init = initializer("normal", std=1.0) if w_init == "normal" else initializer(w_init)
    rng, drop_rng = stream(seed, WEIGHTS), stream(seed, DROPOUT)
    layers, size = [], n_in
    for i in range(depth):
        block = [Dense(size, width, rng=rng, init=w_init)]
        block += [BatchNorm(width)] if batchnorm else []
        block.append(get_activation(activation))
        layers += [ResidualBlock(block)] if residual and i > 0 else block
        if dropout > 0:
            layers.append(Dropout(dropout, rng=drop_rng))
        size = width
    layers.append(Dense(size, 1, rng=rng, init=w_init))
    return Sequential(layers)


def count_parameters(model):
    """(number of weights, number of biases) of a model: entries of its weight matrices and of its bias
    vectors (batch norm's gamma and beta count as neither)."""
    w = sum(layer.params[k].size for layer, k in model.parameters() if k == "W" or k.endswith(".W"))
    b = sum(layer.params[k].size for layer, k in model.parameters() if k == "b" or k.endswith(".b"))
    return int(w), int(b)


# --- one training run ---------------------------------------------------------------------------------------
@dataclass
class ClassifierRun:
    """A trained classifier and its curves. train_loss/test_loss and train_acc/test_acc are per-epoch lists
    measured in inference mode without the penalty; `final` holds the same four for the returned model."""

    model: Sequential
    split: Split
    history: object
    curves: EvalCurves
    final: dict
    settings: dict = field(default_factory=dict)
    early_stopping: EarlyStopping | None = None

    @property
    def train_loss(self):
        return self.curves.loss["train"]

    @property
    def test_loss(self):
        return self.curves.loss["test"]

    @property
    def train_acc(self):
        return self.curves.accuracy["train"]

    @property
    def test_acc(self):
        return self.curves.accuracy["test"]

    @property
    def diverged(self):
        return self.history.diverged

    def late_train_loss(self, k=50):
        """Mean training loss over the last k epochs: steadier than the last value when the curve is spiky."""
        return float(np.mean(self.train_loss[-k:]))

    @property
    def status(self):
        """One line for the panel and the checked cells."""
        if self.diverged:
            return self.history.status
        f = self.final
        line = (
            f"train loss {f['train_loss']:.3g}, test loss {f['test_loss']:.3g}, "
            f"train accuracy {f['train_acc']:.3f}, test accuracy {f['test_acc']:.3f}"
        )
        if self.early_stopping is not None and self.early_stopping.stopped_epoch is not None:
            line += (
                f"; stopped at epoch {self.early_stopping.stopped_epoch}, kept epoch {self.early_stopping.best_epoch}"
            )
        return line


def _metrics(model, sets):
    out = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, (X, y) in sets.items():
            logits = model.predict(X)
            out[f"{name}_loss"] = get_loss(LOSS)(logits, y)[0]
            out[f"{name}_acc"] = float(np.mean((logits > 0) == (y > 0.5)))
    return out


def train_classifier(
    model, split, lr=0.5, epochs=200, l1=0.0, l2=0.0, patience=None, val_fraction=0.25, seed=0, settings=None
):
    """Full-batch gradient descent on split's training set, with optional L1/L2 penalties and early stopping.

    With patience set, `val_fraction` of the training set is held out as the validation set that early stopping
    watches (the test set stays untouched); the model then keeps the weights of its best validation epoch, and
    the "train" curves and metrics are those of the points it actually trained on.
    """
    play = ClassifierTraining(model, split, lr, epochs, l1, l2, patience, val_fraction, seed, settings)
    play.training.run()
    return play.result()


class ClassifierTraining:
    """train_classifier's run an epoch at a time (what the playground's play button advances): `advance(k)`
    trains k more epochs, `result()` is the ClassifierRun so far, `done` once the run has ended."""

    def __init__(
        self, model, split, lr=0.5, epochs=200, l1=0.0, l2=0.0, patience=None, val_fraction=0.25, seed=0, settings=None
    ):
        X, y = split.X_train, split.y_train
        self.stopper, kw = None, {}
        if patience is not None:
            X, X_val, y, y_val = train_test_split(X, y, stream(seed, VALIDATION), val_fraction)
            self.stopper = EarlyStopping(patience=patience)
            kw = dict(X_val=X_val, y_val=y_val)
        self.sets = {"train": (X, y), "test": (split.X_test, split.y_test)}
        self.curves = EvalCurves(LOSS, **self.sets)
        self.model, self.split, self.settings = model, split, dict(settings or {})
        self.training = Training(
            model,
            X,
            y,
            loss=LOSS,
            optimizer=SGD(lr),
            epochs=epochs,
            regularizer=weight_penalty(l1, l2),
            record_grad_norms=False,
            callbacks=[self.curves] + ([self.stopper] if self.stopper else []),
            **kw,
        )

    @property
    def done(self):
        return self.training.done

    def advance(self, epochs=1):
        self.training.advance(epochs)
        return self.result()

    def result(self):
        return ClassifierRun(
            self.model,
            self.split,
            self.training.history,
            self.curves,
            _metrics(self.model, self.sets),
            self.settings,
            self.stopper,
        )


def run_classifier(
    dataset="moons",
    n=240,
    noise=0.2,
    depth=2,
    width=8,
    activation="relu",
    init="default",
    lr=0.5,
    epochs=200,
    l1=0.0,
    l2=0.0,
    dropout=0.0,
    batchnorm=False,
    residual=False,
    patience=None,
    n_test=None,
    seed=0,
):
    """Draw the data, build the network, train it: the whole running example as one pure function."""
    play = start_classifier(**locals())
    play.training.run()
    return play.result()


def start_classifier(
    dataset="moons",
    n=240,
    noise=0.2,
    depth=2,
    width=8,
    activation="relu",
    init="default",
    lr=0.5,
    epochs=200,
    l1=0.0,
    l2=0.0,
    dropout=0.0,
    batchnorm=False,
    residual=False,
    patience=None,
    n_test=None,
    seed=0,
):
    """run_classifier's data and network, not yet trained: a ClassifierTraining to advance."""
    settings = dict(locals())
    split = make_split(dataset, n, noise, seed, n_test=n_test)
    model = build_classifier(depth, width, activation, init, batchnorm, dropout, residual, seed)
    return ClassifierTraining(model, split, lr, epochs, l1, l2, patience, seed=seed, settings=settings)


EPOCHS_PER_FRAME = 4  # the playground plays 200 epochs in 50 frames: 5 s at 10 frames per second


def _play_done(play):
    if play.training.history.diverged:
        return play.training.history.status
    if play.done:
        return f"finished {play.training.epoch} epochs: {play.result().status}"
    return None


class PlaygroundFrames:
    """The playground's frames while it plays, drawn fast. The axes, ticks, labels and legend are drawn once per
    run (again when the loss outgrows its axis); each frame draws only what changes -- the shaded boundary, the
    points over it, the two loss curves, the titles -- onto that background (blitting), written as a PNG. About a
    quarter of a full redraw; the final frame is drawn in full (SVG)."""

    def __init__(self):
        self._key, self._canvas = None, None

    def __call__(self, run, figsize, dpi):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if run.diverged:
            return None
        finite = [v for v in (*run.train_loss, *run.test_loss) if np.isfinite(v)]
        top = 1.1 * max(finite) if finite else 1.0
        key = (id(run.model), figsize, dpi)
        if key != self._key or top > self._top:
            fig = Figure(figsize=figsize, dpi=dpi)
            self._canvas = FigureCanvasAgg(fig)
            plot_panel(run, fig)
            self._ax_b, self._ax_l = fig.axes[:2]
            self._top = 1.25 * top  # room to grow before the background is drawn again
            self._ax_l.set_ylim(0, self._top)
            for artist in self._moving():
                artist.set_animated(True)
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(fig.bbox)
            self._key = key
        else:
            for artist in [*self._ax_b.collections, *self._ax_b.lines]:
                artist.remove()
            plot_boundary(run, self._ax_b, resolution=40)
            epochs = np.arange(1, len(run.train_loss) + 1)
            train, test = self._ax_l.lines[:2]
            train.set_data(epochs, run.train_loss)
            test.set_data(epochs, run.test_loss)
            self._ax_l.set_title(
                f"accuracy: train {run.final['train_acc']:.3f}, test {run.final['test_acc']:.3f}", fontsize=9
            )
            for artist in self._moving():
                artist.set_animated(True)
        return blit_png(self._canvas, self._background, self._moving())

    def _moving(self):
        return [*self._ax_b.collections, *self._ax_b.lines, self._ax_b.title, *self._ax_l.lines[:2], self._ax_l.title]


PLAYGROUND_STEPPER = Stepper(
    start=start_classifier,
    advance=lambda play: play.advance(EPOCHS_PER_FRAME),
    done=_play_done,
    view=lambda play: play.result(),
    frame=PlaygroundFrames(),
)


# --- drawing ------------------------------------------------------------------------------------------------
def _epoch_ticks(ax):
    """Whole epochs on the x axis, at round steps (0, 50, 100, ...)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def plot_split(split, ax, title=None):
    """Training points filled, test points as open rings, coloured by class."""
    colors = np.array(["#2166ac", "#b2182b"])
    ax.scatter(
        *split.X_train.T,
        c=colors[split.y_train.ravel().astype(int)],
        s=14,
        edgecolors="k",
        linewidths=0.3,
        label="train",
    )
    ax.scatter(
        *split.X_test.T,
        facecolors="none",
        edgecolors=colors[split.y_test.ravel().astype(int)],
        s=22,
        linewidths=1.0,
        label="test",
    )
    ax.set(
        xlabel="x₁",  # Unicode subscripts: mathtext is parsed at every redraw of the playground
        ylabel="x₂",
        title=title or f"{split.name}: {len(split.X_train)} train, {len(split.X_test)} test",
    )
    legend = ax.legend(loc="best")
    for handle in legend.legend_handles:  # legend markers in grey: colour is the class, not the set
        handle.set_edgecolor("0.3")
    legend.legend_handles[0].set_facecolor("0.3")
    return ax


def plot_boundary(run, ax, title=None, resolution=50, test_points=True):
    """The TensorFlow-Playground picture: the predicted probability of class 1 shaded over the plane, the
    training points on top (test points as rings, unless test_points=False)."""
    if run.diverged:
        ax.text(0.5, 0.5, run.history.status, ha="center", va="center", transform=ax.transAxes, fontsize=8)
        ax.set(title=title or "", xticks=[], yticks=[])
        return ax
    Xtr, Xte = run.split.X_train, run.split.X_test
    # wide enough a margin that the test points, drawn over it, fall inside the shaded square too
    margin = max(0.3, float(np.max(np.r_[Xtr.min(axis=0) - Xte.min(axis=0), Xte.max(axis=0) - Xtr.max(axis=0)])))
    plot_decision_boundary(run.model, Xtr, run.split.y_train, ax, resolution=resolution, margin=margin)
    if test_points:
        ax.plot(*run.split.X_test.T, "o", ms=4, color="k", mfc="none", mew=0.5, ls="none")
    ax.set(title=title or f"test accuracy {run.final['test_acc']:.3f}")
    return ax


def plot_curves(run, ax, metric="loss", label="", color=None, from_zero=True):
    """Train (solid) and test (dashed) `metric` ('loss' or 'accuracy') per epoch; a dotted line marks the epoch
    early stopping kept. The loss axis starts at 0 unless from_zero=False: a flat curve then looks flat instead
    of its last digits filling the axis."""
    train, test = (run.train_loss, run.test_loss) if metric == "loss" else (run.train_acc, run.test_acc)
    epochs = np.arange(1, len(train) + 1)
    (line,) = ax.plot(epochs, train, color=color, label=f"{label} train".strip())
    ax.plot(epochs, test, ls="--", color=line.get_color(), label=f"{label} test".strip())
    if metric == "loss":
        ax.set(xlabel="epoch", ylabel="loss (cross-entropy)")
        finite = np.array([v for v in (*train, *test) if np.isfinite(v)])
        if from_zero and finite.size:
            ax.set_ylim(0, 1.1 * finite.max())
    else:
        ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0.4, 1.02))
    _epoch_ticks(ax)
    es = run.early_stopping
    if es is not None and es.stopped_epoch is not None:
        ax.axvline(es.best_epoch, color=line.get_color(), ls=":", lw=1)
    return ax


def plot_run(run, fig):
    """Decision boundary, loss curves and accuracy curves of one run side by side (fixed margins: cheaper than
    tight_layout, which measures every label first)."""
    ax_b, ax_l, ax_a = fig.subplots(1, 3)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.35)
    plot_boundary(run, ax_b)
    plot_curves(run, ax_l, "loss")
    plot_curves(run, ax_a, "accuracy")
    ax_l.legend()
    return fig


def plot_panel(run, fig):
    """What a slider panel redraws on every move: the boundary and the train/test loss curves, with the
    accuracies in the titles. Two axes and fixed margins, because creating axes and laying out their tick
    labels costs more than training this network."""
    ax_b, ax_l = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    plot_boundary(run, ax_b, resolution=40)
    plot_curves(run, ax_l, "loss")
    ax_l.set_xlim(0, run.settings.get("epochs") or max(len(run.train_loss), 1))  # a playing run grows into it
    ax_l.legend()
    if not run.diverged:
        ax_l.set_title(f"accuracy: train {run.final['train_acc']:.3f}, test {run.final['test_acc']:.3f}", fontsize=9)
    for ax in (ax_b, ax_l):
        ax.locator_params(nbins=4)  # fewer tick labels to lay out: about a fifth of the drawing time
    return fig


def plot_side_by_side(results, fig, rows=("boundary", "loss"), resolution=40, own_scale=False):
    """One column per run in `results` ({label: ClassifierRun}); rows from 'boundary', 'loss', 'accuracy'.
    The loss axes of a row share one scale from 0; with own_scale=True each keeps its own, as in the lecture's
    plots (section 2's point: read the numbers on the axes before comparing)."""
    axes = fig.subplots(len(rows), len(results), squeeze=False)
    for j, (label, run) in enumerate(results.items()):
        for i, row in enumerate(rows):
            if row == "boundary":
                plot_boundary(
                    run,
                    axes[i, j],
                    resolution=resolution,
                    title=label if run.diverged else f"{label}: test accuracy {run.final['test_acc']:.3f}",
                )
            else:
                plot_curves(run, axes[i, j], row, from_zero=not own_scale)
                axes[i, j].set_title(f"{label}: {row}", fontsize=9)
    for i, row in enumerate(rows):
        if row != "boundary":
            axes[i, 0].legend()
        if row == "loss" and not own_scale:
            top = max(ax.get_ylim()[1] for ax in axes[i])
            for ax in axes[i]:
                ax.set_ylim(0, top)
    fig.tight_layout()
    return fig


def plot_remedies(results, fig, resolution=40):
    """Runs of one set-up side by side ({label: ClassifierRun}): a decision boundary per run on top, with the
    training points only (the test set is large: its rings would hide the boundary); below, the training and the
    test loss of every run on two axes of one scale, a colour per run (the first, the unregularized baseline, in
    black); a dotted line marks the epoch early stopping kept."""
    top, bottom = fig.add_gridspec(2, 1, height_ratios=(1, 1.3))
    ax_b = [fig.add_subplot(cell) for cell in top.subgridspec(1, len(results))]
    ax_tr, ax_te = (fig.add_subplot(cell) for cell in bottom.subgridspec(1, 2))
    colours = ["black"] + [f"C{k}" for k in range(len(results) - 1)]
    for ax, colour, (label, run) in zip(ax_b, colours, results.items()):
        plot_boundary(
            run,
            ax,
            resolution=resolution,
            test_points=False,
            title=label if run.diverged else f"{label}\ntest acc. {run.final['test_acc']:.3f}",
        )
        ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
        for ax_l, curve in ((ax_tr, run.train_loss), (ax_te, run.test_loss)):
            ax_l.plot(np.arange(1, len(curve) + 1), curve, color=colour, lw=1.2, label=label)
        if run.early_stopping is not None and run.early_stopping.stopped_epoch is not None:
            ax_te.axvline(run.early_stopping.best_epoch, color=colour, ls=":", lw=1.2)
    ax_tr.set(xlabel="epoch", ylabel="loss (cross-entropy)", title="training loss")
    ax_te.set(xlabel="epoch", title="test loss")
    ymax = max(ax.get_ylim()[1] for ax in (ax_tr, ax_te))
    for ax in (ax_tr, ax_te):
        ax.set_ylim(0, ymax)
        _epoch_ticks(ax)
    ax_te.legend(loc="upper center", ncols=2)  # one key for both: the same colours
    fig.tight_layout()
    return fig


# --- the lesson's comparisons -------------------------------------------------------------------------------
def run_variants(variants, seed=0, **base):
    """{label: run_classifier(**base, **overrides)} for each (label, overrides) in `variants`."""
    return {label: run_classifier(**{**base, **overrides}, seed=seed) for label, overrides in variants.items()}


def run_activations(activations=HIDDEN_ACTIVATIONS, seed=0, **base):
    """The running example with each hidden activation (the output is always a sigmoid, inside the loss)."""
    return run_variants({a: {"activation": a} for a in activations}, seed, **{**EXAMPLE, **base})


def run_initialization(activations=HIDDEN_ACTIVATIONS, init="zeros", seed=0, **base):
    """The lecture's second figure: the running example with each hidden activation, every weight set to zero."""
    return run_activations(activations, seed, **{**base, "init": init})


def hidden_units_identical(model):
    """True if, in every hidden Dense layer, all units (columns of W, entries of b) are equal: the symmetry a
    constant initialization starts with and gradient descent cannot break."""
    hidden = [layer for layer in model.layers if isinstance(layer, Dense)][:-1]
    return all(
        np.all(layer.params["W"] == layer.params["W"][:, :1]) and np.all(layer.params["b"] == layer.params["b"][0])
        for layer in hidden
    )


def batchnorm_backward_variants(n=6, d=3, seed=0):
    """Why batch norm's gradient checks use a random upstream gradient. For the right backward pass and three that
    drop terms of dx = (g - mean(g) - x_hat mean(g x_hat)) / sigma: {variant: (max |dx| for dout = 1, whose true dx
    is 0; relative error against central differences with a random dout)}."""
    from nncourse.core import gradcheck

    drop = {
        "right": (1, 1),
        "without both mean terms": (0, 0),
        "without mean(g)": (0, 1),
        "without x_hat mean(g x_hat)": (1, 0),
    }
    x, rng = stream(seed).normal(size=(n, d)), stream(seed, UPSTREAM)
    out = {}
    for name, (keep_mean, keep_xhat) in drop.items():

        class Variant(BatchNorm):
            def backward(self, dout):
                super().backward(dout)
                g = dout * self.params["gamma"]
                # B023: each Variant is built, run and dropped within its own iteration, so it reads that one's terms
                dx = g - keep_mean * g.mean(axis=0) - keep_xhat * self.x_hat * (g * self.x_hat).mean(axis=0)  # noqa: B023
                return dx * self.inv_std

        layer = Variant(d)
        layer.forward(x, train=True)
        ones_dx = float(np.max(np.abs(layer.backward(np.ones((n, d))))))
        out[name] = (ones_dx, float(gradcheck.check_layer(layer, x, rng)["x"]))
    return out


# over-fitting: a small noisy training set, a network far larger than it needs, a large test set
OVERFIT = dict(dataset="moons", n=30, noise=0.35, n_test=200, depth=2, width=32, activation="relu", lr=0.5, epochs=300)
REGULARIZERS = {
    "none": {},
    "L2": {"l2": 0.01},
    "L1": {"l1": 0.003},
    "dropout": {"dropout": 0.4},
    "early stopping": {"patience": 20},
}


def run_regularization(variants=None, seed=0, **base):
    """The over-fitting set-up with no regularization and with each of `variants` (default REGULARIZERS)."""
    return run_variants(REGULARIZERS if variants is None else variants, seed, **{**OVERFIT, **base})


def weights(run):
    """Every weight-matrix entry of a run's model, flattened (biases excluded, as in the penalty)."""
    return np.concatenate([layer.params[k].ravel() for layer, k in penalized(run.model)])


def plot_weight_histograms(results, fig, tol=1e-2, bins=np.linspace(-3, 3, 61)):  # noqa: B008 (read, never written)
    """A histogram of the weights of each run, with the fraction |w| < tol in the title."""
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for ax, (label, run) in zip(axes, results.items()):
        counts, _ = np.histogram(np.clip(weights(run), bins[0], bins[-1]), bins=bins)
        ax.stairs(counts, bins, fill=True, color="0.4")  # one patch, not one per bar: cheaper to draw
        ax.set_yscale("log")
        ax.set(title=f"{label}: {near_zero_fraction(run.model, tol):.0%} with |w| < {tol:g}", xlabel="weight")
    axes[0].set_ylabel("count (log scale)")
    fig.tight_layout()
    return fig


# deep versions of the classifier
DEEP = dict(EXAMPLE, depth=8, width=16, activation="sigmoid", init="default", lr=0.5, epochs=200)
DEEPER = dict(EXAMPLE, depth=20, width=8, activation="tanh", init="default", lr=0.05, epochs=200)


def run_batchnorm(seed=0, **base):
    """The deep sigmoid classifier without and with batch normalization after every hidden Dense layer."""
    return run_variants(
        {"without batch norm": {"batchnorm": False}, "with batch norm": {"batchnorm": True}}, seed, **{**DEEP, **base}
    )


def batchnorm_summary(deep, k=50, below=0.2, accuracy_above=0.9):
    """What run_batchnorm shows on any machine, one line per network. Without batch norm the run sits at the
    class-share entropy (stable: stated to 3 decimals). With it the jagged curve is chaotic: under four OpenBLAS
    kernels (make portability) the mean training loss of the last `k` epochs was 0.067 to 0.120 and the test
    accuracy 0.967 to 0.983, and a relative 1e-12 nudge took one run's accuracy below 0.95; so it is stated
    against thresholds all of them clear."""
    plain, bn = deep["without batch norm"].final, deep["with batch norm"]
    side = lambda value, bound: "above" if value > bound else "below"
    return (
        f"{'without batch norm':18s} train loss {plain['train_loss']:.3f}, test accuracy {plain['test_acc']:.3f}\n"
        f"{'with batch norm':18s} mean train loss over the last {k} epochs {side(bn.late_train_loss(k), below)} "
        f"{below:g}, test accuracy {side(bn.final['test_acc'], accuracy_above)} {accuracy_above:g}"
    )


def run_residual(seed=0, **base):
    """The deeper tanh classifier as a plain stack and with every hidden layer after the first a skip block."""
    return run_variants({"plain": {"residual": False}, "residual": {"residual": True}}, seed, **{**DEEPER, **base})


def residual_summary(res, k=50, plain_above=0.15, residual_below=0.1):
    """What run_residual shows on any machine, one line per network. Both deep runs are chaotic (their losses
    depend on the last bits of the arithmetic, so on the machine: measured here between 0.22 and 0.29 for the
    plain stack and between 0.034 and 0.073 for the residual one), so the mean training loss of the last `k`
    epochs is stated against thresholds, not to four digits."""
    side = lambda value, bound: "above" if value > bound else "below"
    lines = []
    for name, bound in (("plain", plain_above), ("residual", residual_below)):
        late = res[name].late_train_loss(k)
        lines.append(f"{name:9s} mean training loss over the last {k} epochs {side(late, bound)} {bound:g}")
    return "\n".join(lines)


def batch_dependence(model, split, i=0, seed=0, batch_size=16):
    """What batch norm's two modes mean for one test sample: its logit computed in training mode inside two
    random batches of training points (they differ: each batch has its own statistics) and inside the whole
    training set (close to inference: full-batch training made the running averages track these statistics),
    then in inference mode alone and within the test set (identical: running statistics, no batch dependence).
    Restores the running statistics that the training-mode passes moved."""
    rng = stream(seed, BATCHES)
    x = split.X_test[i : i + 1]
    saved = snapshot_state(model)
    out = {}
    for k in (1, 2):
        batch = split.X_train[rng.choice(len(split.X_train), batch_size - 1, replace=False)]
        out[f"training mode, random batch {k}"] = float(model.forward(np.vstack([x, batch]), train=True)[0, 0])
    out["training mode, whole training set"] = float(model.forward(np.vstack([x, split.X_train]), train=True)[0, 0])
    restore_state(model, saved)
    out["inference mode, alone"] = float(model.predict(x)[0, 0])
    out["inference mode, in the test set"] = float(model.predict(split.X_test)[i, 0])
    return out


def batch_dependence_summary(out, tol=1e-9):
    """batch_dependence's result as it reads on any machine (the trained batch-norm network is chaotic, so its
    logits are not): how many different logits the training-mode passes gave, and the inference-mode ones."""
    train = _distinct([v for k, v in out.items() if k.startswith("training mode")], tol)
    infer = _distinct([v for k, v in out.items() if k.startswith("inference mode")], tol)
    return (
        f"training mode (2 random batches, the whole training set): {train} different logits\n"
        "inference mode (alone, in the test set): "
        + ("the same logit both times" if infer == 1 else f"{infer} different logits")
    )


def _distinct(values, tol):
    """How many of `values` differ from all the earlier ones by at least tol."""
    kept = []
    for v in values:
        if all(abs(v - k) >= tol for k in kept):
            kept.append(v)
    return len(kept)


# --- input scaling ------------------------------------------------------------------------------------------
SCALING_LRS = (1.0, 0.1, 0.01, 1e-3, 1e-4)


@dataclass
class ScalingResult:
    """Training on badly scaled versus standardized inputs at each learning rate of `lrs`.
    final_loss[version][k]: final training loss at lrs[k] (nan if the run diverged); best[version]: the run
    with the lowest final training loss; splits[version]: the inputs it saw."""

    lrs: tuple
    final_loss: dict
    best: dict
    best_lr: dict
    splits: dict


def standardized(split):
    """The split with both X arrays standardized by the training set's mean and standard deviation."""
    s = Standardizer().fit(split.X_train)
    return split.transformed(s.transform, name=f"{split.name}, standardized")


def run_input_scaling(lrs=SCALING_LRS, factor=100.0, shift=(2.0, 50.0), seed=0, init="normal", **base):
    """The running example (its N(0, 1) start unless `init` says otherwise) on unscaled inputs (feature 2 times
    `factor`, both shifted) and on the same inputs standardized, trained at every learning rate in `lrs`; keeps
    the best run of each."""
    cfg = {**EXAMPLE, **base, "init": init}
    split = make_split(cfg["dataset"], cfg["n"], cfg["noise"], seed)
    raw = split.transformed(lambda X: unscale(X, factor, shift), name=f"{split.name}, unscaled")
    splits = {"unscaled": raw, "standardized": standardized(raw)}
    final, best, best_lr = {}, {}, {}
    for version, sp in splits.items():
        final[version] = []
        for lr in lrs:
            model = build_classifier(cfg["depth"], cfg["width"], cfg["activation"], cfg["init"], seed=seed)
            run = train_classifier(model, sp, lr, cfg["epochs"], seed=seed)
            final[version].append(float("nan") if run.diverged else run.final["train_loss"])
            if not run.diverged and (version not in best or final[version][-1] < best[version].final["train_loss"]):
                best[version], best_lr[version] = run, lr
    return ScalingResult(tuple(lrs), final, best, best_lr, splits)


def logistic_hessian(X):
    """The Hessian of the mean logistic loss of a linear model z = w . x + b at w = 0, b = 0:
    H = (1/4) mean_n [x_n, 1][x_n, 1]^T (sigmoid' = 1/4 there). Its condition number (largest over smallest
    eigenvalue) is how elongated the loss surface's valleys are near the start."""
    Xa = np.column_stack([X, np.ones(len(X))])
    return 0.25 * Xa.T @ Xa / len(X)


def condition_number(H):
    """Largest over smallest eigenvalue of a symmetric positive definite matrix."""
    ev = np.linalg.eigvalsh(H)
    return float(ev[-1] / ev[0])


def logistic_loss_grid(X, y, w_range=6.0, resolution=81):
    """The mean logistic loss of z = w1 x1 + w2 x2 + b over a square grid of (w1, w2), with b at 0:
    returns (w1 grid, w2 grid, loss grid)."""
    w = np.linspace(-w_range, w_range, resolution)
    W1, W2 = np.meshgrid(w, w)
    Z = np.einsum("ij,nj->in", np.column_stack([W1.ravel(), W2.ravel()]), X)
    t = y.ravel()[None, :]
    loss = np.mean(np.maximum(Z, 0) - t * Z + np.log1p(np.exp(-np.abs(Z))), axis=1)
    return W1, W2, loss.reshape(W1.shape)


def plot_input_scaling(result, fig):
    """Left: training loss of the best run of each version, each line labelled. Middle and right: contours of
    the logistic-loss surface over (w1, w2) (b = 0) for unscaled and standardized inputs, on the same square,
    equal-aspect window: the shape is the point, so the contours are one colour."""
    ax_l, *ax_s = fig.subplots(1, 3, width_ratios=(1.3, 1, 1))
    for k, (version, run) in enumerate(result.best.items()):
        curve = run.train_loss
        (line,) = ax_l.plot(np.arange(1, len(curve) + 1), curve, color=f"C{k}")
        ax_l.text(
            len(curve),
            1.25 * max(curve[len(curve) // 2 :]),
            f"{version}, lr {result.best_lr[version]:g}",
            color=line.get_color(),
            ha="right",
            va="bottom",
        )
    ax_l.set(xlabel="epoch", ylabel="training loss (log scale)", yscale="log", title="best learning rate of each")
    _epoch_ticks(ax_l)
    for ax, (version, sp) in zip(ax_s, result.splits.items()):
        W1, W2, L = logistic_loss_grid(sp.X_train, sp.y_train)
        ax.contour(W1, W2, L, levels=np.geomspace(L.min(), L.max(), 15), colors="0.3", linewidths=0.8)
        cond = condition_number(logistic_hessian(sp.X_train))
        ax.set(
            xlabel="$w_1$",
            ylabel="$w_2$",
            aspect="equal",
            title=f"{version}: loss contours\ncurvature ratio {cond:.2g}",
        )
    fig.tight_layout()
    return fig


# --- slider panels ------------------------------------------------------------------------------------------
def playground_panel(**overrides):
    """Every knob of the lesson on the running example: data set, noise, activation, depth, width, learning
    rate, initializer, L1 and L2 strength, dropout rate, batch norm. Opens on PLAYGROUND_START (a deep sigmoid
    version that does not learn) unless `overrides` say otherwise. Shows boundary and loss."""
    v = {**EXAMPLE, **PLAYGROUND_START, "l1": 0.0, "l2": 0.0, "dropout": 0.0, "batchnorm": False, "seed": 0}
    for name in overrides:
        _validate.choice("setting", name, v)
    v.update(overrides)
    return slider_panel(
        run_classifier,
        plot_panel,
        fixed={"n": v["n"], "epochs": v["epochs"], "seed": v["seed"]},
        stepper=PLAYGROUND_STEPPER,
        dataset=dropdown(DATASETS, v["dataset"], "data set"),
        noise=float_slider(0.0, 0.5, 0.05, v["noise"], "noise"),
        activation=dropdown(HIDDEN_ACTIVATIONS, v["activation"], "activation"),
        init=dropdown(INITS, v["init"], "initializer"),
        depth=int_slider(1, 8, v["depth"], description="hidden layers"),
        width=int_slider(2, 32, v["width"], description="width"),
        lr=log_slider(1e-3, 10, v["lr"], "learning rate"),
        l1=float_slider(0.0, 0.03, 0.001, v["l1"], "L1"),
        l2=float_slider(0.0, 0.1, 0.005, v["l2"], "L2"),
        dropout=float_slider(0.0, 0.8, 0.1, v["dropout"], "dropout"),
        batchnorm=toggle(v["batchnorm"], "batch norm"),
    )


def run_overfitting(
    n=30,
    noise=0.35,
    width=32,
    l1=0.0,
    l2=0.0,
    dropout=0.0,
    early_stopping=False,
    patience=20,
    dataset="moons",
    epochs=300,
    seed=0,
):
    """The over-fitting set-up (OVERFIT) with the given regularization; early stopping holds out a quarter of
    the training set as its validation set."""
    cfg = {**OVERFIT, "n": n, "noise": noise, "width": width, "dataset": dataset, "epochs": epochs}
    return run_classifier(
        **cfg, l1=l1, l2=l2, dropout=dropout, patience=patience if early_stopping else None, seed=seed
    )


def overfitting_panel(**overrides):
    """Training-set size, noise and width against the four regularizers; shows train versus test curves."""
    v = {**OVERFIT, "l1": 0.0, "l2": 0.0, "dropout": 0.0, "early_stopping": False, "seed": 0}
    for name in overrides:  # OVERFIT's other keys (n_test, depth, activation, lr) are not the panel's to set
        _validate.choice(
            "setting",
            name,
            ("n", "noise", "width", "l1", "l2", "dropout", "early_stopping", "seed", "dataset", "epochs"),
        )
    v.update(overrides)
    return slider_panel(
        run_overfitting,
        plot_panel,
        fixed={"seed": v["seed"], "dataset": v["dataset"], "epochs": v["epochs"]},
        n=int_slider(10, 200, v["n"], step=10, description="training points"),
        noise=float_slider(0.0, 0.5, 0.05, v["noise"], "noise"),
        width=int_slider(4, 64, v["width"], step=4, description="width"),
        l1=float_slider(0.0, 0.03, 0.001, v["l1"], "L1"),
        l2=float_slider(0.0, 0.1, 0.005, v["l2"], "L2"),
        dropout=float_slider(0.0, 0.8, 0.1, v["dropout"], "dropout"),
        early_stopping=toggle(v["early_stopping"], "early stopping"),
    )
