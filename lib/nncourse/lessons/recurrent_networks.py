"""Lesson 09, recurrent networks: how far back through time a gradient reaches (normal versus orthogonal recurrent
weights, tanh versus ReLU), a toy sequence task learned by backpropagation through time, and gradient clipping.

Sources: Elman (1990) for the recurrent layer; Werbos (1990) for backpropagation through time; Bengio, Simard &
Frasconi (1994) and Pascanu, Mikolov & Bengio (2013) for vanishing and exploding gradients through time and
clipping by the global norm; Saxe, McClelland & Ganguli (2014) for orthogonal initialization; Le, Jaitly &
Hinton (2015) for ReLU with identity recurrent weights (IRNN).
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.ticker import MaxNLocator

from nncourse.blocks.clipping import clipper
from nncourse.blocks.rnn import (
    RECURRENT_ACTIVATIONS,
    RECURRENT_INITS,
    RNN,
    TimeDistributed,
    make_delayed_echo,
)
from nncourse.core import _validate
from nncourse.core.diagnostics import dead_unit_fraction
from nncourse.core.gradcheck import check_layer
from nncourse.core.layers import Dense
from nncourse.core.metrics import sequence_accuracy
from nncourse.core.model import Sequential
from nncourse.core.seeds import stream
from nncourse.core.train import History, fit
from nncourse.panels import dropdown, float_slider, int_slider, slider_panel
from nncourse.plotting import layerplots

COLORS = {"normal": "C0", "orthogonal": "C1", "identity": "C2"}  # the course style's Okabe-Ito colours
DASHES = {"normal": "-", "orthogonal": "-", "identity": "--"}  # dashed: an orthogonal line under it shows


# ---------------------------------------------------------------------------------------------------------
# Checking backpropagation through time


def check_rnn(activation="tanh", seed=0, n=3, steps=5, n_in=2, hidden=4):
    """Relative errors ('x', 'Wx', 'Wh', 'b') between RNN.backward and central differences, with a random
    upstream gradient on every step (gradcheck.check_layer)."""
    rng = stream(seed)
    x = rng.normal(size=(n, steps, n_in))
    return check_layer(RNN(n_in, hidden, rng, activation), x, rng)


def format_echo_example(X, y, lag, index=0):
    """One sequence of the delayed-echo task as two text rows: the input bits and the targets ('.' where a
    step has no target)."""
    bits = "".join("1" if v > 0 else "0" for v in X[index, :, 0])
    target = "." * lag + "".join(str(int(v)) for v in y[index, lag:, 0])
    return f"input  x_t : {bits}\ntarget y_t : {target}"


# ---------------------------------------------------------------------------------------------------------
# The gradient through time


@dataclass
class GradientThroughTime:
    """One recurrent layer run forward over `steps` steps, with a random gradient put on its last state only.
    ratio[k] = |dL/dh_{T-1-k}| / |dL/dh_{T-1}| (root mean square over the batch): how much of the gradient
    reaches k steps back. rate = ratio[T-1] ** (1 / (T-1)): the average factor per step back.
    state_norm[t] = |h_t| (root mean square over the batch) in the forward pass."""

    activation: str
    init: str
    scale: float
    ratio: np.ndarray
    state_norm: np.ndarray
    rate: float

    @property
    def steps(self):
        return len(self.ratio)

    @property
    def status(self):
        return (
            f"{self.activation}, {self.init}, scale {self.scale:g}: gradient x {self.rate:.3g} per step back, "
            f"{self.ratio[-1]:.3g} of it reaches {self.steps - 1} steps back"
        )


def run_gradient_through_time(activation="tanh", init="orthogonal", scale=1.0, steps=50, hidden=64, batch=32, seed=0):
    """Forward a batch of random input sequences x_t ~ N(0, 1) (D = 1) through RNN(1, hidden), put a random
    upstream gradient on h_{T-1} only and backpropagate through time; measure the gradient reaching each
    earlier state. The inputs, Wx and the upstream gradient depend only on the seed, not on `init`, so
    initializations are compared on the same data."""
    steps = _validate.positive_int("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    rng_w, rng_x = stream(seed, 0), stream(seed, 1)
    layer = RNN(1, hidden, rng_w, activation, init, scale)
    x = rng_x.normal(size=(batch, steps, 1))
    dout = np.zeros((batch, steps, hidden))
    dout[:, -1] = rng_x.normal(size=(batch, hidden))
    # large scales overflow on purpose (that is the explosion): keep NumPy quiet and report inf
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        h = layer.forward(x)
        layer.backward(dout)
        grad = np.sqrt(np.mean(np.sum(layer.state_grads**2, axis=2), axis=0))[::-1]
        ratio = grad / grad[0]
        state = np.sqrt(np.mean(np.sum(h**2, axis=2), axis=0))
        rate = float(ratio[-1] ** (1.0 / (steps - 1)))
    return GradientThroughTime(activation, init, float(scale), ratio, state, rate)


def run_gradient_comparison(activations=RECURRENT_ACTIVATIONS, inits=("normal", "orthogonal"), **settings):
    """run_gradient_through_time for every (activation, init): {(activation, init): result}."""
    return {(a, i): run_gradient_through_time(a, i, **settings) for a in activations for i in inits}


def format_gradient_table(results):
    """One line per run: activation, init, factor per step back, and the share reaching T-1 steps back."""
    any_result = next(iter(results.values()))
    lines = [f"{'activation':10s} {'init':10s} {'per step':>9s} {f'after {any_result.steps - 1} steps':>16s}"]
    for (act, init), r in results.items():
        lines.append(f"{act:10s} {init:10s} {r.rate:9.3f} {r.ratio[-1]:16.3g}")
    return "\n".join(lines)


def run_seed_spread(activation="identity", inits=("normal", "orthogonal"), seeds=range(10), **settings):
    """The per-step factor (rate) of run_gradient_through_time over several random draws of the weights:
    {init: array of rates, one per seed}. An orthogonal matrix has every singular value equal to its scale, so
    a linear network (activation 'identity') keeps the gradient norm exactly, whatever the draw; a normal
    matrix of the same average gain stretches some directions and shrinks others, and the draw decides."""
    return {
        init: np.array([run_gradient_through_time(activation, init, seed=s, **settings).rate for s in seeds])
        for init in inits
    }


def format_seed_spread(spreads, steps):
    """spreads: {activation: run_seed_spread(activation, ...)}. One line per (activation, init): the lowest and the
    highest factor per step over the seeds, and what each makes of the gradient after steps - 1 steps back."""
    k = _validate.positive_int("steps", steps) - 1
    rows = [(act, init, r) for act, by_init in spreads.items() for init, r in by_init.items()]
    head = (
        f"{'activation':10s} {'init':10s} {'seeds':>5s} {'per step: lowest':>17s} {'highest':>8s} "
        f"{f'after {k} steps: lowest':>23s} {'highest':>8s}"
    )
    return "\n".join(
        [head]
        + [
            f"{act:10s} {init:10s} {len(r):5d} {r.min():17.3f} {r.max():8.3f} {r.min() ** k:23.3g} {r.max() ** k:8.3g}"
            for act, init, r in rows
        ]
    )


@dataclass
class GradientPanelResult:
    """The panel's runs: one GradientThroughTime per recurrent init, same activation, scale and length."""

    runs: dict

    @property
    def status(self):
        return "; ".join(f"{init}: x {r.rate:.3g} per step" for init, r in self.runs.items())


def run_gradient_panel(activation="tanh", scale=1.0, steps=50, hidden=64, batch=32, seed=0):
    """The panel's experiment: run_gradient_through_time for every recurrent init (normal, orthogonal,
    identity) at the same settings."""
    return GradientPanelResult(
        {
            init: run_gradient_through_time(activation, init, scale, steps, hidden, batch, seed)
            for init in RECURRENT_INITS
        }
    )


def _title(ax, text):
    """A title placed as plain text: Axes.set_title re-measures the tick labels at every draw to avoid them."""
    ax.text(0.5, 1.02, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=9)


def _finite_positive(y):
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.isfinite(y) & (y > 0), y, np.nan)


def plot_gradient_through_time(result, fig):
    """Left: |dL/dh_{T-1-k}| / |dL/dh_{T-1}| against k (log scale), one line per init. Right: the state norm
    |h_t| in the forward pass."""
    runs = result.runs if isinstance(result, GradientPanelResult) else {result.init: result}
    ax1, ax2 = fig.subplots(1, 2)
    for init, r in runs.items():
        k = np.arange(r.steps)
        ax1.plot(k, _finite_positive(r.ratio), DASHES[init], color=COLORS[init], label=f"{init} (x{r.rate:.3g}/step)")
        ax2.plot(k, _finite_positive(r.state_norm), DASHES[init], color=COLORS[init], label=init)
    ax1.axhline(1.0, color="0.6", lw=0.8, ls=":")
    layerplots.plain_log_labels(ax1)
    ax1.set(xlabel="k (steps back from the last step)", ylabel="gradient norm, relative to k = 0")
    r0 = next(iter(runs.values()))
    _title(ax1, f"gradient reaching step T-1-k ({r0.activation}, scale {r0.scale:g})")
    ax1.legend(loc="best")
    states = np.concatenate([_finite_positive(r.state_norm) for r in runs.values()])
    if np.nanmax(states) > 100 * np.nanmin(states):  # log scale only when the state explodes or dies
        layerplots.plain_log_labels(ax2)
    elif np.any(np.isfinite(states)):  # from 0: the input's step-to-step noise is small next to the state's size
        ax2.set_ylim(0, 1.1 * np.nanmax(states))
    ax2.set(xlabel="step t", ylabel="state norm |h_t|")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    _title(ax2, "forward pass: size of the state")
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=0.9, wspace=0.3)  # tight_layout is slow
    return fig


def gradient_panel(**overrides):
    """Sliders for the gradient through time: activation, recurrent weight scale, sequence length, seed; the
    figure compares normal, orthogonal and identity recurrent weights. `overrides` set starting values."""
    v = dict(activation="tanh", scale=1.0, steps=50, seed=0, hidden=64, batch=32)
    for name in overrides:
        _validate.choice("setting", name, v)
    v.update(overrides)
    return slider_panel(
        run_gradient_panel,
        plot_gradient_through_time,
        fixed={"hidden": v["hidden"], "batch": v["batch"]},
        activation=dropdown(RECURRENT_ACTIVATIONS, v["activation"], "activation"),
        scale=float_slider(0.5, 2.0, 0.05, v["scale"], "recurrent scale"),
        steps=int_slider(10, 100, v["steps"], step=5, description="sequence length T"),
        seed=int_slider(0, 20, v["seed"], description="seed"),
    )


# ---------------------------------------------------------------------------------------------------------
# The toy task: echo the bit seen `lag` steps ago


@dataclass
class EchoResult:
    """A training run on the delayed-echo task and its accuracy on fresh sequences (steps t >= lag).
    dead_fraction (ReLU only, else None): the share of hidden units that are off (z <= 0) at every step of every
    test sequence after training: such a unit passes no gradient and never recovers."""

    settings: dict
    history: History
    train_accuracy: float
    test_accuracy: float
    dead_fraction: float | None
    model: Sequential = field(repr=False)

    @property
    def lowest_loss(self):
        """The lowest training loss of the run and the step it was computed at."""
        step = int(np.argmin(self.history.loss))
        return float(self.history.loss[step]), step + 1

    @property
    def largest_grad_norm(self):
        """The largest global gradient norm of the run (before clipping) and the step it happened at."""
        return self.largest_grad_norm_until(len(self.history.grad_norms))

    def largest_grad_norm_until(self, steps):
        """The largest global gradient norm (before clipping) of the first `steps` steps, and its step. Early
        in a run this is the same on every machine; a maximum over a long chaotic run is not."""
        norms = np.sqrt(np.sum(self.history.grad_norm_array()[:steps] ** 2, axis=1))
        step = int(np.argmax(norms))
        return float(norms[step]), step + 1

    @property
    def status(self):
        """One line. A final loss below 1e-3 is printed as such: at that point its digits depend on the last bits
        of the arithmetic (the machine), and only its size matters."""
        s, h = self.settings, self.history
        clip = "no clipping" if s["clip"] is None else f"clipped at global norm {s['clip']:g}"
        dead = "" if self.dead_fraction is None else f"; dead units {self.dead_fraction:.0%}"
        run = h.status if h.diverged or h.final_loss >= 1e-3 else f"finished {h.steps} steps, final loss below 0.001"
        return f"lag {s['lag']}, {s['activation']}, {clip}: {run}; test accuracy {_percent(self.test_accuracy)}{dead}"


def echo_model(hidden, rng, activation="tanh", init="orthogonal", scale=1.0):
    """RNN(1, hidden) followed by Dense(hidden, 1) applied at every step: one logit per step."""
    return Sequential([RNN(1, hidden, rng, activation, init, scale), TimeDistributed(Dense(hidden, 1, rng))])


def run_echo(
    lag=4,
    steps=16,
    hidden=16,
    n_train=128,
    n_test=512,
    activation="tanh",
    init="orthogonal",
    scale=1.0,
    lr=1.0,
    epochs=200,
    clip=None,
    seed=0,
):
    """Train echo_model on make_delayed_echo(n_train, steps, lag) with full-batch SGD(lr) on the binary
    cross-entropy of the steps t >= lag, optionally clipping the global gradient norm at `clip`
    (Pascanu et al. 2013); accuracy on n_test fresh sequences."""
    settings = dict(
        lag=lag,
        steps=steps,
        hidden=hidden,
        n_train=n_train,
        n_test=n_test,
        activation=activation,
        init=init,
        scale=scale,
        lr=lr,
        epochs=epochs,
        clip=clip,
        seed=seed,
    )
    rng_data, rng_model = stream(seed, 0), stream(seed, 1)
    X, y = make_delayed_echo(n_train, steps, lag, rng_data)
    X_test, y_test = make_delayed_echo(n_test, steps, lag, rng_data)
    model = echo_model(hidden, rng_model, activation, init, scale)
    hook = None if clip is None else clipper("global_norm", clip)
    history = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=epochs, clip=hook, skip=lag)
    test_accuracy = sequence_accuracy(model, X_test, y_test, lag)  # leaves the test pass in model.layers[0]
    rnn = model.layers[0]
    dead = dead_unit_fraction(rnn.z.reshape(-1, hidden)) if activation == "relu" else None
    return EchoResult(settings, history, sequence_accuracy(model, X, y, lag), test_accuracy, dead, model)


def run_clipping_comparison(clip=1.0, **settings):
    """The same run_echo twice, without clipping and clipping at global norm `clip`:
    {'no clipping': ..., 'clipped': ...}."""
    return {"no clipping": run_echo(clip=None, **settings), "clipped": run_echo(clip=clip, **settings)}


@dataclass
class ClippingSeeds:
    """run_clipping_comparison for several seeds: runs[seed] = {'no clipping': EchoResult, 'clipped': ...}."""

    clip: float
    runs: dict

    def accuracies(self, kind):
        """Test accuracy per seed, in seed order, of the 'no clipping' or the 'clipped' runs."""
        return np.array([r[kind].test_accuracy for r in self.runs.values()])

    def summary(self, good=0.95, poor=0.8):
        """What holds on any machine, in two lines. At lr 1 these runs are chaotic (a run's accuracy changes with
        the last bits of the arithmetic, so with the machine), the unclipped ones wildly, the clipped ones a little:
        the portability check measured the worst clipped seed between 0.85 and 0.99 and the mean of the clipped
        seeds between 0.98 and 0.99; the worst unclipped seed between 0.50 and 0.72. So the clipped runs are stated
        by their mean against `good`, the unclipped ones by their worst seed against `poor`."""
        clipped, plain, n = self.accuracies("clipped"), self.accuracies("no clipping"), len(self.runs)
        mean = "above" if clipped.mean() > good else "below"
        worst = "stays below" if plain.min() < poor else "reaches"
        return (
            f"clipped at {self.clip:g}: mean test accuracy of the {n} seeds {mean} {good:.0%}\n"
            f"no clipping: the worst of the {n} seeds {worst} {poor:.0%}"
        )


def run_clipping_seeds(seeds, clip=1.0, **settings):
    """run_clipping_comparison(clip, seed=s, **settings) for each seed in `seeds`."""
    seeds = [int(_validate.non_negative("seed", s)) for s in seeds]
    if not seeds:
        raise _validate.InputError("seeds must name at least one seed, got none")
    return ClippingSeeds(clip, {s: run_clipping_comparison(clip, **{**settings, "seed": s}) for s in seeds})


def _percent(share):
    """An accuracy as a learner reads it, to 3 figures: '100%', '50.6%'."""
    return f"{100 * share:.3g}%"


def plot_echo_training(results, fig, accuracy=True):
    """Left: training loss per step. Right: the global gradient norm per step (before clipping), log scale.
    `results`: an EchoResult or a dict of them (e.g. from run_clipping_comparison). accuracy=False leaves the
    test accuracy out of the legend (for chaotic runs, whose accuracy changes from machine to machine)."""
    if isinstance(results, EchoResult):
        results = {"run": results}
    ax1, ax2 = fig.subplots(1, 2)
    for i, (name, r) in enumerate(results.items()):
        steps = np.arange(1, r.history.steps + 1)
        label = f"{name} (test acc. {_percent(r.test_accuracy)})" if accuracy else name
        z = 3 + len(results) - i  # the first run on top: runs often share their first steps
        ax1.plot(steps, r.history.loss, label=label, zorder=z)
        ax2.plot(steps, np.sqrt(np.sum(r.history.grad_norm_array() ** 2, axis=1)), label=name, zorder=z)
        if r.settings["clip"] is not None:
            ax2.axhline(r.settings["clip"], color="0.5", ls=":", lw=1)
    ax1.set(xlabel="step", ylabel="loss (binary cross-entropy)")
    ax1.set_title("training loss")
    ax1.legend()
    ax2.set_yscale("log")
    ax2.set(xlabel="step", ylabel="global gradient norm")
    ax2.set_title("gradient norm before clipping")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------------
# Classifying a whole sequence: one label per sequence, read from the last state


def make_majority(n, steps, rng):
    """Sequence classification: each input x_t is a random bit coded as -1 or +1, and the whole sequence has one
    label, 1 if more than half of its bits are 1. `steps` must be odd (no ties). The label is stored at the last
    step, y[:, -1]; the earlier steps carry none, so a loss over steps t >= steps - 1 reads the last state only.
    Returns X (n, steps, 1), y (n, steps, 1)."""
    n, steps = _validate.positive_int("n", n), _validate.positive_int("steps", steps)
    if steps % 2 == 0:
        raise _validate.InputError(f"steps must be odd, so that a sequence has no tie, got {steps}")
    _validate.rng(rng)
    bits = rng.integers(0, 2, size=(n, steps, 1)).astype(np.float64)
    y = np.zeros_like(bits)
    y[:, -1, 0] = bits.sum(axis=1)[:, 0] > steps / 2
    return 2.0 * bits - 1.0, y


@dataclass
class MajorityResult:
    """A run of run_majority: training history, accuracies on the training and on fresh test sequences, and
    the share of test sequences whose label is 1 (always guessing the more common label scores the larger of it
    and 1 minus it)."""

    settings: dict
    history: History
    train_accuracy: float
    test_accuracy: float
    test_share_of_ones: float

    @property
    def baseline_accuracy(self):
        return max(self.test_share_of_ones, 1.0 - self.test_share_of_ones)

    @property
    def status(self):
        s = self.settings
        return (
            f"majority of {s['steps']} bits, one label per sequence from the last state: test accuracy "
            f"{self.test_accuracy:.0%} (always guessing the more common label: {self.baseline_accuracy:.0%})"
        )


def run_majority(steps=15, hidden=8, n_train=256, n_test=512, lr=0.1, epochs=300, seed=0):
    """Train echo_model (a tanh RNN with orthogonal recurrent weights, then Dense at every step) on
    make_majority with full-batch SGD(lr); the loss is the binary cross-entropy of the last step only
    (fit with skip = steps - 1), so only the last state is classified. lr 0.1 keeps the run stable:
    its accuracy is the same on any machine (at lr 1 it changes with the last bits of the arithmetic)."""
    settings = dict(steps=steps, hidden=hidden, n_train=n_train, n_test=n_test, lr=lr, epochs=epochs, seed=seed)
    rng_data, rng_model = stream(seed, 0), stream(seed, 1)
    X, y = make_majority(n_train, steps, rng_data)
    X_test, y_test = make_majority(n_test, steps, rng_data)
    model = echo_model(hidden, rng_model)
    last = steps - 1
    history = fit(model, X, y, loss="bce_with_logits", lr=lr, epochs=epochs, skip=last)
    return MajorityResult(
        settings,
        history,
        sequence_accuracy(model, X, y, last),
        sequence_accuracy(model, X_test, y_test, last),
        float(y_test[:, -1].mean()),
    )
