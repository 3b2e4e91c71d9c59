"""Lesson 03, the learning rate and optimizers: paths on 2-D loss surfaces, training runs of the exercise
report's 2-2-1 ReLU regression and of a small moons classifier, schedules, seeds and data scaling.

Pure `run_*` functions return results; `plot_*(result, fig)` draw them; `*_panel(**overrides)` build the
lesson's slider panels with default settings.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from nncourse.blocks import surfaces
from nncourse.core import _validate
from nncourse.core.callbacks import StopAtLoss
from nncourse.core.metrics import accuracy
from nncourse.core.model import mlp
from nncourse.core.optim import OPTIMIZERS, get_optimizer
from nncourse.core.schedules import SCHEDULES, get_schedule
from nncourse.core.train import Training, fit
from nncourse.datasets import synthetic as data
from nncourse.panels import Stepper, blit_png, dropdown, float_slider, int_slider, log_slider, set_control, slider_panel
from nncourse.plotting import layerplots
from nncourse.plotting.plots import plot_decision_boundary, plot_loss

OPTIMIZER_NAMES = tuple(OPTIMIZERS)
REGIME_COLORS = {
    "crawls": "#0072B2",
    "converges": "#009E73",
    "converges, oscillating": "#56B4E9",
    "oscillates forever": "#E69F00",
    "diverges": "#D55E00",
}  # Okabe-Ito, colour-blind safe


def make_optimizer(name, lr, momentum=0.9, beta1=0.9, beta2=0.999):
    """The optimizer `name` with the knobs a panel has; each optimizer takes only those it uses
    (momentum for 'momentum' and 'nesterov', beta1 and beta2 for 'adam'; RMSprop keeps rho = 0.9)."""
    _validate.choice("optimizer", name, OPTIMIZERS)
    kwargs = {
        "momentum": {"momentum": momentum},
        "nesterov": {"momentum": momentum},
        "adam": {"beta1": beta1, "beta2": beta2},
    }.get(name, {})
    return get_optimizer(name, lr, **kwargs)


def _layout(fig, **kw):
    """Fixed margins: tight_layout would measure every label and cost more than the training itself."""
    fig.subplots_adjust(
        **{"left": 0.08, "right": 0.98, "bottom": 0.15, "top": 0.88, "wspace": 0.28, "hspace": 0.3, **kw}
    )


def _few_ticks(*axes):
    """At most 4 or 5 ticks on each linear axis (every tick is a few artists to build and draw)."""
    for ax in axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "linear":
                axis.set_major_locator(MaxNLocator(4))


def _set_values(controls, overrides):
    """Start the panel's sliders at the given values (a notebook's parameters)."""
    for name, value in overrides.items():
        _validate.choice("slider", name, controls)
        set_control(name, controls[name], value)


# --- 2-D surfaces ---------------------------------------------------------------------------------------


@dataclass
class SurfaceRun:
    """One optimizer's path on one surface; for plain GD on the quadratic, `regime` is what the theory predicts
    and `measured` what the path did (surfaces.REGIME_DEFINITIONS; both None on other surfaces or for other
    optimizers)."""

    surface: surfaces.Surface
    path: surfaces.Path
    optimizer: str
    lr: float
    regime: str | None = None
    measured: str | None = None

    @property
    def status(self):
        return f"{self.optimizer} on {self.surface.name}: {self.path.status}" + (
            f" - {self.measured} (theory: {self.regime})" if self.regime else ""
        )


def run_surface(surface="quadratic", optimizer="sgd", lr=0.1, momentum=0.9, beta1=0.9, beta2=0.999, steps=100):
    """Run one optimizer for `steps` steps on a named surface (surfaces.SURFACES) from its default start."""
    surf = surfaces.get_surface(surface)
    opt = make_optimizer(optimizer, lr, momentum, beta1, beta2)
    path = surfaces.run_path(surf, opt, steps=steps)
    regime = measured = None
    if surf.curvatures and optimizer == "sgd":
        regime = surfaces.quadratic_regime(lr, surf.curvatures, steps=steps)
        measured = surfaces.measured_regime(path, surf.curvatures)
    return SurfaceRun(surf, path, repr(opt), float(lr), regime, measured)


GLOBAL_STAR, LOCAL_STAR = "#F0E442", "0.75"  # minima: Okabe-Ito yellow (global), grey (local)


def _contours(ax, surf):
    P1, P2, F = surf.grid(100)
    low = F.min()  # levels evenly spaced in log(f - min): valleys and steep walls both get lines
    levels = low + np.geomspace(1e-2, np.quantile(F, 0.9) - low, 14)
    ax.contour(P1, P2, F, levels=levels, colors="0.6", linewidths=0.7, negative_linestyles="solid")
    for k, m in enumerate(surf.minima):
        ax.plot(*m, marker="*", ms=13, color=GLOBAL_STAR if k == 0 else LOCAL_STAR, mec="k", zorder=5)
    a, b, c, d = surf.extent
    ax.set(xlim=(a, b), ylim=(c, d), xlabel="p1", ylabel="p2")
    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.yaxis.set_major_locator(MaxNLocator(3))


def _draw_path(ax, run, color="C3", label=None):
    """The path as dots joined by a line, its start in black; a diverged path says so in the corner (unless a
    legend label does)."""
    pts = run.path.points
    ax.plot(
        pts[:, 0], pts[:, 1], "-o", color=color, ms=2.5, lw=1, label=label, zorder=1.9 if run.path.diverged else 2.1
    )  # a path that flies off stays under the others
    ax.plot(*pts[0], "ko", ms=5, zorder=3)
    if run.path.diverged and label is None:
        ax.text(
            0.02,
            0.02,
            f"diverged at step {run.path.diverged_at}",
            transform=ax.transAxes,
            fontsize=9,
            color=color,
            va="bottom",
            bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1},
        )


def plot_surface(result, fig):
    """Left: the path over the contours, titled with the regime; right: loss per step."""
    ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    _contours(ax, result.surface)
    color = REGIME_COLORS.get(result.measured, "#D55E00")
    _draw_path(ax, result, color)
    title = result.optimizer
    if result.regime:
        title += (
            f": {result.measured} (theory: {result.regime}; 2/lam_max = "
            f"{surfaces.critical_lr(result.surface.curvatures):g})"
        )
    ax.set_title(title, fontsize=10, color=color)
    vals = result.path.values
    floor = float(result.surface.value(np.asarray(result.surface.minima[0])))  # the global minimum's loss
    gap = np.asarray(vals, dtype=float) - floor
    # a log axis cannot show 0: leave those points out rather than lift them (a floor would draw a false plateau)
    ax_loss.plot(np.arange(len(vals)), np.where(gap > 0, gap, np.nan), color=color)
    layerplots.plain_log_labels(ax_loss)
    p = result.path
    ax_loss.set(
        xlabel="step", ylabel="loss" if floor == 0 else "loss - global minimum", xlim=(0, max(len(vals) - 1, 1))
    )
    ax_loss.set_title(
        p.status
        if p.diverged
        else f"loss {vals[-1]:.3g} after {p.steps} steps\n{p.distance_to_minimum():.3g} from a minimum",
        fontsize=10,
    )
    ax_loss.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    if result.path.diverged:
        ax_loss.axvline(result.path.diverged_at, color=color, ls=":")
    _layout(fig, top=0.84)


def surface_panel(**overrides):
    """Learning rate (log scale), optimizer, momentum, beta1, beta2 and surface on a 2-D loss surface."""
    controls = dict(
        lr=log_slider(1e-3, 1.0, 0.1, "learning rate"),
        optimizer=dropdown(OPTIMIZER_NAMES),
        surface=dropdown(surfaces.SURFACES),
        momentum=float_slider(0.0, 0.99, 0.01, 0.9),
        beta1=float_slider(0.0, 0.99, 0.01, 0.9),
        beta2=float_slider(0.9, 0.999, 0.001, 0.999),
    )
    _set_values(controls, overrides)
    return slider_panel(run_surface, plot_surface, fixed={"steps": 100}, applies=KNOBS_APPLY, **controls)


@dataclass
class RegimeRow:
    """One plain-GD run on the quadratic: the regime the theory predicts, the one the path showed, how much
    closer to the minimum it ended (distance at the end / at the start; None if it diverged), its final loss
    and the step at which it diverged."""

    lr: float
    theory: str
    measured: str
    closer: float | None
    final_loss: float | None
    diverged_at: int | None

    def line(self):
        what = (
            f"diverged at step {self.diverged_at}"
            if self.diverged_at
            else f"distance x {self.closer:.2g}, loss {self.final_loss:.2g}"
        )
        return f"lr = {self.lr:<6.3g} measured: {self.measured:<23} theory: {self.theory:<23} {what}"


def regime_table(lrs, surface="quadratic", steps=100):
    """[RegimeRow per lr] for plain GD on the quadratic (`steps` steps each)."""
    rows = []
    for lr in lrs:
        run = run_surface(surface, "sgd", lr, steps=steps)
        p = run.path
        d = np.linalg.norm(p.points, axis=1)
        rows.append(
            RegimeRow(
                float(lr),
                run.regime,
                run.measured,
                None if p.diverged else float(d[-1] / d[0]),
                None if p.diverged else float(p.values[-1]),
                p.diverged_at,
            )
        )
    return rows


def run_optimizer_paths(surface="rosenbrock", lrs=(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0), steps=200):
    """{optimizer: SurfaceRun} with each optimizer at its best learning rate from the grid `lrs` (the one
    ending at the lowest loss without diverging), so that no optimizer loses for a badly chosen rate."""
    out = {}
    for name in OPTIMIZER_NAMES:
        runs = [run_surface(surface, name, lr, steps=steps) for lr in lrs]
        ok = [r for r in runs if not r.path.diverged]
        if not ok:
            raise ValueError(f"{name} diverged at every learning rate in {list(lrs)}")
        out[name] = min(ok, key=lambda r: r.path.values[-1])
    return out


def plot_surface_comparison(runs, fig, ncols=3):
    """One contour plot per optimizer, `ncols` to a row."""
    nrows = -(-len(runs) // ncols)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (name, run) in zip(axes, runs.items()):
        _contours(ax, run.surface)
        _draw_path(ax, run)
        ax.set_title(f"{name}, lr={run.lr:g}: loss {run.path.values[-1]:.2g}", fontsize=10)
        ax.label_outer()
    for ax in axes[len(runs) :]:
        ax.set_axis_off()
    _layout(fig, left=0.07, bottom=0.1, top=0.93, wspace=0.08, hspace=0.25)


def escape_map(lrs, optimizer="sgd", steps=200, surface="two_minima"):
    """On the two-minima surface: for each lr, 'global', 'local' or 'diverged' (where plain GD ends up from
    the surface's start, which lies in the local minimum's basin)."""
    out = []
    for lr in lrs:
        path = run_surface(surface, optimizer, lr, steps=steps).path
        k = path.nearest_minimum()
        out.append("diverged" if k is None else ("global" if k == 0 else "local"))
    return out


def run_local_minima(lrs=(0.03, 0.1, 0.178), steps=200, optimizer="sgd"):
    """{'lr=...': SurfaceRun} on the two-minima surface, from a start in the local minimum's basin."""
    return {f"lr={lr:g}": run_surface("two_minima", optimizer, lr, steps=steps) for lr in lrs}


def plot_local_minima(runs, fig):
    """Paths of a small and a larger step on the two-minima surface (yellow star: global minimum, grey: local);
    the legend, beside the plot, says where each run ended."""
    ax = fig.subplots(1, 1)
    _contours(ax, next(iter(runs.values())).surface)
    for (label, run), color in zip(runs.items(), ("C0", "C2", "C3", "C4", "C1")):
        k = run.path.nearest_minimum()
        where = (
            f"diverged at step {run.path.diverged_at}"
            if k is None
            else f"{'global' if k == 0 else 'local'} minimum, loss {run.path.values[-1]:.3g}"
        )
        _draw_path(ax, run, color, label=f"{label}: {where}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    _layout(fig, left=0.08, right=0.6)


# --- training runs ----------------------------------------------------------------------------------------

TASKS = {
    "regression": {"sizes": [2, 2, 1], "loss": "mse", "epochs": 300},
    "classification": {"sizes": [2, 8, 1], "loss": "bce_with_logits", "epochs": 200},
}


@dataclass
class Task:
    name: str
    X: np.ndarray
    y: np.ndarray
    sizes: list
    loss: str


def make_task(
    task="regression", n=200, data_seed=0, x1_range=(-5.0, 5.0), x2_range=(-10.0, 10.0), noise=None, standardize=True
):
    """The exercise report's regression y = x1^2 + x2 + noise (network 2-2-1 ReLU, MSE) or the 2-feature
    moons classifier (2-8-1 ReLU, cross-entropy), with inputs standardized unless asked otherwise."""
    _validate.choice("task", task, TASKS)
    rng = _validate.generator(data_seed)
    if task == "regression":
        X, y = data.make_quadratic_regression(n, rng, x1_range, x2_range, 1.0 if noise is None else noise)
    else:
        X, y = data.make_classification("moons", n, rng, noise=0.2 if noise is None else noise)
    if standardize:
        X = data.Standardizer().fit_transform(X)
    return Task(task, X, y, TASKS[task]["sizes"], TASKS[task]["loss"])


@dataclass
class TrainingRun:
    task: Task
    history: object
    model: object
    optimizer: str
    schedule: str
    seed: int
    lr: float

    chaotic: bool | None = None  # set by mark_chaotic: None until checked

    @property
    def status(self):
        return f"{self.optimizer}, {self.schedule}: {self.outcome}"

    @property
    def outcome(self):
        """history.status, except for a run found chaotic: its final loss depends on the last bits of the
        arithmetic, so on the machine (another CPU or BLAS library rounds differently), and is not printed."""
        h = self.history
        if self.chaotic and not h.diverged:
            return f"finished {h.steps} steps, chaotic: the final loss depends on the machine"
        return h.status

    @property
    def weights(self):
        """All parameters flattened into one vector (W1, b1, W2, b2, ...)."""
        return np.concatenate([w.ravel() for layer in self.model.get_weights() for w in layer.values()])


def train(task, optimizer, seed=0, epochs=None, schedule=None, batch_size=None, callbacks=(), nudge=0.0):
    """Train a fresh network for `task` (a Task) with an Optimizer; init and shuffling drawn from `seed`.
    nudge: scale every initial weight by 1 + nudge (1e-12: a change in the twelfth digit), to see whether the
    run is chaotic."""
    model, training = start_train(task, optimizer, seed, epochs, schedule, batch_size, callbacks, nudge)
    return model, training.run()


def start_train(task, optimizer, seed=0, epochs=None, schedule=None, batch_size=None, callbacks=(), nudge=0.0):
    """`train`'s network and a train.Training not yet run: (model, training), to advance epoch by epoch."""
    rng = _validate.generator(seed)
    model = mlp(task.sizes, rng=rng)
    if nudge:
        for layer, name in model.parameters():
            layer.params[name] *= 1.0 + nudge
    epochs = TASKS[task.name]["epochs"] if epochs is None else epochs
    cbs = ([] if schedule is None else [schedule]) + list(callbacks)
    return model, Training(
        model,
        task.X,
        task.y,
        loss=task.loss,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        rng=rng,
        callbacks=cbs,
    )


SCHEDULE_DEFAULTS = {
    "constant": {},
    "step": {"factor": 0.5, "step_size": 50},
    "exponential": {"gamma": 0.99},
    "plateau": {"factor": 0.5, "patience": 5, "min_lr": 1e-4, "cooldown": 0},
}


def run_training(
    task="regression",
    optimizer="sgd",
    lr=0.03,
    momentum=0.9,
    beta1=0.9,
    beta2=0.999,
    schedule="constant",
    seed=1,
    epochs=None,
    n=200,
    data_seed=0,
    schedule_kwargs=None,
    nudge=0.0,
):
    """One training run of a lesson task with a named optimizer and schedule (knobs: SCHEDULE_DEFAULTS,
    overridden by schedule_kwargs; nudge: see `train`)."""
    play = start_training(**locals())
    play.training.run()
    return play.result()


class TrainingPlay:
    """run_training's run an epoch at a time (what the training panel's play button advances)."""

    def __init__(self, task, model, training, name, schedule, seed, lr):
        self.task, self.model, self.training = task, model, training
        self.name, self.schedule, self.seed, self.lr = name, schedule, seed, lr
        self.per_frame = max(1, training.epochs // FRAMES)

    def advance(self):
        self.training.advance(self.per_frame)
        return self.result()

    def result(self):
        return TrainingRun(self.task, self.training.history, self.model, self.name, self.schedule, self.seed, self.lr)

    def done(self):
        """Why the run can go no further (it finished or diverged), or None."""
        return self.training.history.status if self.training.done else None  # a diverged run is done too


FRAMES = 50  # a played run shows its epochs in about 50 frames: 5 s at 10 frames per second


def start_training(
    task="regression",
    optimizer="sgd",
    lr=0.03,
    momentum=0.9,
    beta1=0.9,
    beta2=0.999,
    schedule="constant",
    seed=1,
    epochs=None,
    n=200,
    data_seed=0,
    schedule_kwargs=None,
    nudge=0.0,
):
    """run_training's task, network and optimizer, not yet trained: a TrainingPlay."""
    t = make_task(task, n, data_seed)
    opt = make_optimizer(optimizer, lr, momentum, beta1, beta2)
    _validate.choice("schedule", schedule, SCHEDULES)
    sched = get_schedule(schedule, **{**SCHEDULE_DEFAULTS[schedule], **(schedule_kwargs or {})})
    name = repr(opt)  # before training: a schedule changes opt.lr
    model, training = start_train(t, opt, seed, epochs, sched, nudge=nudge)
    return TrainingPlay(t, model, training, name, schedule, seed, float(lr))


# The panels' momentum and betas apply only to the optimizers that use them (make_optimizer): disabled otherwise.
KNOBS_APPLY = {
    "momentum": lambda v: (
        None
        if v["optimizer"] in ("momentum", "nesterov")
        else f"{v['optimizer']} has no momentum; only momentum and nesterov use it"
    ),
    "beta1": lambda v: None if v["optimizer"] == "adam" else "only adam uses beta1 and beta2",
    "beta2": lambda v: None if v["optimizer"] == "adam" else "only adam uses beta1 and beta2",
}


CHAOS_NUDGE, CHAOS_GAP = 1e-12, 1e-4


def mark_chaotic(run, **settings):
    """Rerun `run` (with the run_training `settings` it was made with) from initial weights changed in the
    twelfth digit (CHAOS_NUDGE) and set run.chaotic: True if the final losses differ by more than a relative
    CHAOS_GAP. A stable run damps such a change (its final loss moves by about 1e-12); a chaotic one, at the edge
    of stability, amplifies it until the two runs have nothing in common: exactly what happens between two
    machines that round differently. Returns the nudged run."""
    nudged = run_training(**settings, nudge=CHAOS_NUDGE)
    a, b = run.history.final_loss, nudged.history.final_loss
    run.chaotic = bool(
        run.history.diverged != nudged.history.diverged
        or (np.isfinite(a) and abs(a - b) > CHAOS_GAP * max(abs(a), abs(b)))
    )
    return nudged


def _plot_fit(run, ax):
    """What the network learned: predicted against true targets, or the decision boundary."""
    if run.history.diverged:
        ax.text(
            0.5,
            0.5,
            run.history.status.replace(" (", "\n("),
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=10,
        )
        ax.set_axis_off()
        return
    if run.task.name == "regression":
        ax.plot(run.task.y.ravel(), run.model.predict(run.task.X).ravel(), "o", ms=2.5, alpha=0.6)
        lo, hi = run.task.y.min(), run.task.y.max()
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set(xlabel="target y", ylabel="prediction", title="fit")
    else:
        plot_decision_boundary(run.model, run.task.X, run.task.y, ax, resolution=50)
        ax.set_title(f"accuracy {accuracy(run.model, run.task.X, run.task.y):.3f}")


def plot_training(result, fig):
    """Loss per step with the learning rate plotted under it; the fit on the right."""
    gs = fig.add_gridspec(2, 2, height_ratios=[3, 1.2], width_ratios=[1.6, 1])
    ax_loss = fig.add_subplot(gs[0, 0])
    ax_lr = fig.add_subplot(gs[1, 0], sharex=ax_loss)
    plot_loss(result.history, ax_loss)
    if ax_loss.get_yscale() == "log":
        layerplots.plain_log_labels(ax_loss)
    ax_loss.set_title(result.status, fontsize=9)
    ax_loss.set_xlabel("")
    if result.history.lr:
        lrs = result.history.lr
        ax_lr.plot(np.arange(1, len(lrs) + 1), lrs, color="C4")
        ax_lr.set_ylim(min(lrs) / 2, max(lrs) * 2)
        layerplots.plain_log_labels(ax_lr)
    ax_lr.set(xlabel="step", ylabel="lr")
    ax_loss.tick_params(labelbottom=False)
    ax_fit = fig.add_subplot(gs[:, 1])
    _plot_fit(result, ax_fit)
    _few_ticks(ax_loss, ax_lr, ax_fit)
    _layout(fig, left=0.1)


class TrainingFrames:
    """The training panel's frames while it plays, drawn fast (as lesson 06's playground draws its own): the axes,
    ticks and labels are drawn once (again when the run outgrows them: twice the steps so far, the loss a decade
    and a half below its lowest, the learning rate below its axis); each frame draws only what changes -- the loss
    and learning-rate curves, the status title and the fit -- onto that background, written as a PNG. While it
    plays, the fit's axes keep the targets' range (a prediction outside it is cut at the edge); the final frame is
    drawn in full (SVG)."""

    def __init__(self):
        self._key = None

    def __call__(self, run, figsize, dpi):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        h = run.history
        if h.diverged or not h.loss or not h.lr:
            return None
        key = (id(run.model), figsize, dpi)
        if key != self._key or not self._room(h):
            fig = Figure(figsize=figsize, dpi=dpi)
            self._canvas = FigureCanvasAgg(fig)
            plot_training(run, fig)
            self._loss_ax, self._lr_ax, self._fit_ax = fig.axes[:3]
            self._regression = run.task.name == "regression"
            self._steps, self._low, self._high = 2 * len(h.loss), min(h.loss) / 30, 1.5 * max(h.loss)
            self._lr_low, self._lr_high = self._lr_ax.get_ylim()
            self._loss_ax.set_xlim(0, self._steps)
            self._loss_ax.set_ylim(self._low, self._high)
            if run.task.name == "regression":
                lo, hi = run.task.y.min(), run.task.y.max()
                self._fit_ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
            for artist in self._moving():
                artist.set_animated(True)
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(fig.bbox)
            self._key = key
        else:
            self._loss_ax.lines[0].set_data(np.arange(1, len(h.loss) + 1), h.loss)
            self._lr_ax.lines[0].set_data(np.arange(1, len(h.lr) + 1), h.lr)
            self._loss_ax.set_title(run.status, fontsize=9)
            if run.task.name == "regression":
                self._fit_ax.lines[0].set_ydata(run.model.predict(run.task.X).ravel())
            else:
                for artist in [*self._fit_ax.collections, *self._fit_ax.lines]:  # the shading and the points
                    artist.remove()
                _plot_fit(run, self._fit_ax)
            for artist in self._moving():
                artist.set_animated(True)
        return blit_png(self._canvas, self._background, self._moving())

    def _room(self, h):
        """Whether the run so far still fits the drawn axes."""
        return (
            len(h.loss) <= self._steps
            and self._low <= min(h.loss)
            and max(h.loss) <= self._high
            and self._lr_low <= min(h.lr)
            and max(h.lr) <= self._lr_high
        )

    def _moving(self):
        fit = [self._fit_ax.lines[0]] if self._regression else [*self._fit_ax.collections, *self._fit_ax.lines]
        return [self._loss_ax.lines[0], self._lr_ax.lines[0], self._loss_ax.title, *fit, self._fit_ax.title]


TRAINING_FRAMES = TrainingFrames()


def training_panel(schedule_kwargs=None, **overrides):
    """The same sliders on a real training run, with a schedule and a seed. schedule_kwargs: {schedule name:
    knobs} overriding SCHEDULE_DEFAULTS (fixed, no slider); overrides: starting values of the sliders."""
    controls = dict(
        lr=log_slider(1e-4, 1.0, 0.03, "learning rate"),
        optimizer=dropdown(OPTIMIZER_NAMES),
        momentum=float_slider(0.0, 0.99, 0.01, 0.9),
        beta1=float_slider(0.0, 0.99, 0.01, 0.9),
        beta2=float_slider(0.9, 0.999, 0.001, 0.999),
        schedule=dropdown(SCHEDULES),
        seed=int_slider(0, 19, 1),
        task=dropdown(TASKS),
    )
    _set_values(controls, overrides)
    knobs = dict(schedule_kwargs or {})

    def run(schedule, **values):
        return run_training(schedule=schedule, schedule_kwargs=knobs.get(schedule), **values)

    def start(schedule, **values):
        return start_training(schedule=schedule, schedule_kwargs=knobs.get(schedule), **values)

    stepper = Stepper(
        start=start,
        advance=TrainingPlay.advance,
        done=TrainingPlay.done,
        view=TrainingPlay.result,
        frame=TRAINING_FRAMES,
    )
    return slider_panel(run, plot_training, figsize=(9, 3.8), applies=KNOBS_APPLY, stepper=stepper, **controls)


def lr_cuts(history):
    """The steps (counting from 1) whose learning rate is lower than the step before: where a schedule cut it."""
    lrs = history.lr
    return [k + 1 for k in range(1, len(lrs)) if lrs[k] < lrs[k - 1]]


SWEEP_LRS = {"regression": (0.001, 0.01, 0.03, 0.1, 0.3), "classification": (0.01, 0.1, 1.0, 3.0, 10.0)}


def run_lr_sweep(lrs=None, optimizer="sgd", seed=1):
    """{task: [TrainingRun per lr]}: loss curves for several learning rates (lrs: {task: rates}, default
    SWEEP_LRS)."""
    lrs = SWEEP_LRS if lrs is None else lrs
    out = {}
    for task, rates in lrs.items():
        out[task] = [run_training(task, optimizer, lr, seed=seed) for lr in rates]
        for run in out[task]:
            mark_chaotic(run, task=task, optimizer=optimizer, lr=run.lr, seed=seed)
    return out


def _clip_ylim(ax, histories):
    """A diverged run's loss reaches 1e300: keep the axis on the runs that stayed finite, with a little room."""
    kept = [v for h in histories if not h.diverged for v in h.loss if np.isfinite(v)]
    if kept and min(kept) > 0:
        ax.set_ylim(min(kept) / 1.5, max(kept) * 1.5)


def plot_curves(result, fig, label="lr"):
    """One axes per task, one loss curve per run (label: 'lr', 'optimizer' or 'schedule'); each key sits
    above its axes, titled with the task, so that it hides no curve."""
    axes = fig.subplots(1, len(result), squeeze=False)[0]
    for ax, (task, runs) in zip(axes, result.items()):
        for run in runs:
            h = run.history
            text = {
                "lr": f"lr={run.lr:g}" + (f" (diverged at step {h.diverged_at})" if h.diverged else ""),
                "optimizer": f"{run.optimizer.split('(')[0]}, lr={run.lr:g}",
                "schedule": run.schedule,
            }[label]
            plot_loss(h, ax, label=text, lw=1.2)
            if h.diverged:  # the key says where; plot_loss's own note can fall outside the axes
                ax.texts[-1].remove()
        _clip_ylim(ax, [run.history for run in runs])
        ax.legend(
            title=task,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2,
            frameon=False,
            handlelength=1.5,
            columnspacing=1.0,
            labelspacing=0.25,
            borderaxespad=0.2,
        )
    _layout(fig, top=0.7, bottom=0.13)


def best_lr(task, optimizer, lrs, seed=1):
    """The lr of `lrs` with the lowest final training loss (diverged runs excluded) and its run."""
    runs = [run_training(task, optimizer, lr, seed=seed) for lr in lrs]
    ok = [r for r in runs if not r.history.diverged]
    if not ok:
        raise ValueError(f"{optimizer} diverged at every learning rate in {list(lrs)}")
    best = min(ok, key=lambda r: r.history.final_loss)
    return best.lr, best


def run_optimizer_training(lrs, tasks=("regression", "classification"), seed=1):
    """{task: [TrainingRun per optimizer]}, each optimizer at its best learning rate from the grid `lrs`."""
    return {task: [best_lr(task, name, lrs, seed)[1] for name in OPTIMIZER_NAMES] for task in tasks}


def run_schedules(task="regression", lr=0.1, seed=1, names=tuple(SCHEDULES), schedule_kwargs=None):
    """{task: [TrainingRun per schedule]} with SGD at a high starting rate."""
    kw = schedule_kwargs or {}
    runs = []
    for s in names:
        settings = dict(task=task, optimizer="sgd", lr=lr, schedule=s, seed=seed, schedule_kwargs=kw.get(s))
        runs.append(run_training(**settings))
        mark_chaotic(runs[-1], **settings)
    return {task: runs}


def plot_schedules(result, fig):
    """Loss curves (top) and learning rates (under them) for each schedule."""
    ((task, runs),) = result.items()
    ax_loss, ax_lr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    for run in runs:  # a chaotic run's final loss depends on the machine: the legend does not quote it
        end = "chaotic" if run.chaotic else f"{run.history.final_loss:.3g}"
        plot_loss(run.history, ax_loss, label=f"{run.schedule}: {end}", lw=1.2)
        ax_lr.semilogy(np.arange(1, len(run.history.lr) + 1), run.history.lr, lw=1.2)
    ax_loss.set(xlabel="")
    ax_loss.legend(
        title=f"{task}, SGD: schedule and final loss",
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(runs),
        frameon=False,
        handlelength=1.5,
        columnspacing=1.2,
        borderaxespad=0.2,
    )
    ax_lr.set(xlabel="step (= epoch, full batch)", ylabel="lr")
    _layout(fig, top=0.86, bottom=0.11, hspace=0.15)


# --- randomness -------------------------------------------------------------------------------------------


@dataclass
class SeedStudy:
    seeds: np.ndarray
    final_losses: np.ndarray  # (n_seeds,)
    first_layer: np.ndarray  # (n_seeds, 2, hidden): each seed's learned W1
    weights: np.ndarray  # (n_seeds, n_params)
    repeat_identical: bool  # did training seed 0 twice give bit-identical weights?
    stuck_threshold: float
    active: np.ndarray = None  # (n_seeds, hidden): fraction of the data on which each ReLU unit is > 0

    @property
    def dead(self):
        """How many seeds ended with at least one hidden unit that is inactive on every training point."""
        return int(np.sum(np.any(self.active == 0, axis=1)))

    @property
    def stuck(self):
        """How many seeds ended above the threshold loss."""
        return int(np.sum(self.final_losses > self.stuck_threshold))

    def fitted_range(self):
        """(lowest, highest) final loss among the seeds at or below the threshold; NaNs if there are none."""
        fine = self.final_losses[self.final_losses <= self.stuck_threshold]
        return (float(fine.min()), float(fine.max())) if fine.size else (float("nan"), float("nan"))


def run_seeds(n_seeds=20, task="regression", optimizer="sgd", lr=0.03, epochs=None, stuck_threshold=10.0):
    """The same training (same data, same settings) from seeds 0..n_seeds-1, plus seed 0 once more."""
    n_seeds = _validate.positive_int("n_seeds", n_seeds)
    runs = [run_training(task, optimizer, lr, seed=s, epochs=epochs) for s in range(n_seeds)]
    again = run_training(task, optimizer, lr, seed=0, epochs=epochs)
    active = []
    for r in runs:
        r.model.predict(r.task.X)
        active.append(np.mean(r.model.outputs[0] > 0, axis=0))  # first Dense layer's pre-activations
    return SeedStudy(
        np.arange(n_seeds),
        np.array([r.history.final_loss for r in runs]),
        np.array([r.model.get_weights()[0]["W"] for r in runs]),
        np.array([r.weights for r in runs]),
        bool(np.array_equal(again.weights, runs[0].weights)),
        float(stuck_threshold),
        np.array(active),
    )


def plot_seeds(study, fig):
    """Left: each seed's final loss; right: each seed's first-layer weights (one dot per hidden unit)."""
    ax_l, ax_w = fig.subplots(1, 2)
    stuck = study.final_losses > study.stuck_threshold
    colours = np.where(stuck, "C3", "C0")  # vermillion: stuck, blue: fitted (Okabe-Ito)
    ax_l.scatter(study.seeds, study.final_losses, c=colours)
    ax_l.set(
        yscale="log",
        xlabel="seed",
        ylabel="final training loss",
        title=f"{study.stuck} of {len(study.seeds)} seeds end above {study.stuck_threshold:g}",
    )
    ax_l.xaxis.set_major_locator(MaxNLocator(integer=True))
    key = [
        Line2D([], [], ls="", marker="o", color="C0", label=f"fitted (loss <= {study.stuck_threshold:g})"),
        Line2D([], [], ls="", marker="o", color="C3", label="stuck"),
    ]
    ax_l.legend(handles=key, loc="center right")
    W = study.first_layer
    for j in range(W.shape[2]):
        ax_w.scatter(W[:, 0, j], W[:, 1, j], c=colours, s=16, marker="os^v"[j % 4])
    ax_w.axhline(0, color="0.8", lw=0.8)
    ax_w.axvline(0, color="0.8", lw=0.8)
    ax_w.set(xlabel="weight from $x_1$", ylabel="weight from $x_2$", title="learned first-layer weights")
    ax_w.legend(
        handles=[
            Line2D([], [], ls="", marker="os^v"[j % 4], color="0.4", label=f"hidden unit {j + 1}")
            for j in range(W.shape[2])
        ],
        loc="best",
    )
    _layout(fig, wspace=0.3)


# --- data size and input range ----------------------------------------------------------------------------


RANGES = {"small": ((-1.0, 1.0), (-2.0, 2.0)), "wide": ((-5.0, 5.0), (-10.0, 10.0))}


@dataclass
class ScalingCase:
    n: int
    x_range: str
    scaled: bool
    target: float
    epochs_needed: int | None
    steps: int
    status: str


def run_data_scaling(
    sizes=(300, 3000),
    ranges=("small", "wide"),
    scaled=(False, True),
    lr=0.03,
    batch_size=32,
    max_epochs=60,
    r2_target=0.9,
    noise=0.1,
    seed=1,
    data_seed=0,
):
    """Epochs the 2-2-1 regression needs to reach R^2 >= r2_target (loss <= (1 - r2_target) var y) with
    mini-batch SGD, for each data size, input range and with or without input standardization."""
    cases = []
    for n in sizes:
        for rng_name in ranges:
            for sc in scaled:
                r1, r2 = RANGES[_validate.choice("input range", rng_name, RANGES)]
                t = make_task("regression", n, data_seed, r1, r2, noise=noise, standardize=sc)
                stop = StopAtLoss((1 - r2_target) * float(np.var(t.y)))
                _, hist = train(t, get_optimizer("sgd", lr), seed, max_epochs, batch_size=batch_size, callbacks=[stop])
                cases.append(ScalingCase(n, rng_name, sc, stop.target, stop.epoch, hist.steps, hist.status))
    return cases


def plot_data_scaling(cases, fig):
    """Epochs needed per case (bars); a run that diverged or never got there gets a label instead of a bar."""
    ax = fig.subplots(1, 1)
    labels = [f"n={c.n}\n{c.x_range}\n{'scaled' if c.scaled else 'raw'}" for c in cases]
    heights = [c.epochs_needed or 0 for c in cases]
    ax.bar(range(len(cases)), heights, color="C0")
    for i, c in enumerate(cases):
        if c.epochs_needed is None:
            bad = "diverged" in c.status
            ax.text(
                i,
                0.5,
                c.status.split(" (")[0].replace(" at ", "\nat "),
                ha="center",
                va="bottom",
                fontsize=9,
                color="C3" if bad else "0.4",
                rotation=0,
            )
        else:
            ax.text(i, c.epochs_needed, f"{c.epochs_needed}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(cases)), labels, fontsize=9)
    ax.set(ylabel="epochs to R$^2$ >= 0.9", ylim=(0, max(heights + [1]) * 1.2))
    _layout(fig, bottom=0.3)


# --- the exercise report's input-range experiment, as written ---------------------------------------------

REPORT_RANGES = {"report": ((-5.0, 5.0), (-10.0, 10.0)), "report x10": ((-50.0, 50.0), (-100.0, 100.0))}


def report_data(n=300, x_range="report", data_seed=0, scaled=True):
    """Source 002's data: x1, x2 uniform on their ranges (REPORT_RANGES), y = x1^2 + x2 + b with b a random
    integer (the report does not say which; here -1, 0 or 1). scaled: inputs and target standardized (the
    report scales the data set without saying how)."""
    r1, r2 = REPORT_RANGES[_validate.choice("input range", x_range, REPORT_RANGES)]
    rng = _validate.generator(data_seed)
    X = np.column_stack([rng.uniform(*r1, size=n), rng.uniform(*r2, size=n)])
    y = (X[:, 0] ** 2 + X[:, 1] + rng.integers(-1, 2, size=n))[:, None]
    if scaled:
        X, y = data.Standardizer().fit_transform(X), data.Standardizer().fit_transform(y)
    return X, y


def report_init(model, rng):
    """Source 002's initialization: weights uniform in [-10, 10] and biases in [-5, 5], rounded to 2 decimals."""
    for layer, name in model.parameters():
        high = 10.0 if name == "W" else 5.0
        layer.params[name][...] = np.round(rng.uniform(-high, high, size=layer.params[name].shape), 2)


@dataclass
class RangeCase:
    """One setting over several seeds: per seed, the epoch at which R^2 first reached the target (None if never)
    and whether the run diverged."""

    init: str
    x_range: str
    scaled: bool
    epochs_needed: list
    diverged: list

    @property
    def fitted(self):
        return sum(e is not None for e in self.epochs_needed)


def run_report_ranges(
    n_seeds=10,
    n=300,
    settings=(("report", True), ("he", True), ("he", False)),
    lr=0.03,
    epochs=2000,
    r2_target=0.8,
    data_seed=0,
):
    """Source 002's range experiment: the 2-2-1 ReLU network trained full batch (one update per epoch) with
    plain GD on the report's ranges and on ten times wider ones, for each (init, scaled) in `settings` (init
    'report': report_init; 'he': the lesson's default) and seeds 0..n_seeds-1. Returns [RangeCase]."""
    cases = []
    for init, scaled in settings:
        _validate.choice("init", init, ("report", "he"))
        for x_range in REPORT_RANGES:
            X, y = report_data(n, x_range, data_seed, scaled)
            target = (1 - r2_target) * float(np.var(y))
            needed, diverged = [], []
            for seed in range(n_seeds):
                rng = _validate.generator(seed)
                model = mlp([2, 2, 1], rng=rng)
                if init == "report":
                    report_init(model, rng)
                stop = StopAtLoss(target)
                hist = fit(
                    model,
                    X,
                    y,
                    loss="mse",
                    optimizer=get_optimizer("sgd", lr),
                    epochs=epochs,
                    rng=rng,
                    callbacks=[stop],
                )
                needed.append(stop.epoch)
                diverged.append(bool(hist.diverged))
            cases.append(RangeCase(init, x_range, scaled, needed, diverged))
    return cases


def plot_report_ranges(cases, fig):
    """Epochs each seed needed to reach the target, one column of dots per setting (top: never reached)."""
    ax = fig.subplots(1, 1)
    colors = {"report": "#0072B2", "report x10": "#D55E00"}
    top = max([e for c in cases for e in c.epochs_needed if e is not None] + [1]) * 1.15
    for i, c in enumerate(cases):
        ys = [top if e is None else e for e in c.epochs_needed]
        if not c.scaled:
            # a raw run that survives is at the edge of stability (its outcome depends on the machine's rounding):
            # no dots, only the threshold the lesson prints
            ax.text(
                i,
                top * 0.5,
                f"at least\n{min(sum(c.diverged), len(ys) - 1)}/{len(ys)}\ndiverge",
                ha="center",
                va="center",
                fontsize=9,
                color=colors[c.x_range],
            )
            continue
        xs = i + np.linspace(-0.2, 0.2, len(ys))
        ax.scatter(
            xs, ys, s=18, color=colors[c.x_range], marker="o", label=c.x_range if i < len(REPORT_RANGES) else None
        )
        ax.text(i, top * 1.04, f"{c.fitted}/{len(ys)}", ha="center", fontsize=9)
    ax.axhline(top, color="0.7", lw=0.8, ls=":")
    ax.set_xticks(
        range(len(cases)), [f"{c.init} init\n{'scaled' if c.scaled else 'raw'}\n{c.x_range}" for c in cases], fontsize=9
    )
    ax.set(ylabel="epochs to the target (dotted: never)", ylim=(0, top * 1.12), xlim=(-0.5, len(cases) - 0.5))
    ax.legend(fontsize=9, loc="center left")
    _layout(fig, bottom=0.25)
