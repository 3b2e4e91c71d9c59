"""Lesson 01 (neurons): one neuron a = f(w . x + b) by hand and by the library, the activation functions, a
hand-built and a learned "box detector", regression versus classification heads, and the slider panels.

The detector follows the exercise in the course brief: inputs (x1, x2, x3); the output fires only when x2 is
in [-1, 5] and x3 is in [-8, -4] (x1 is irrelevant).
"""

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from nncourse import panels
from nncourse.core import _validate
from nncourse.core.layers import ACTIVATIONS, Dense, Sigmoid, get_activation
from nncourse.core.losses import half_sse
from nncourse.core.metrics import accuracy
from nncourse.core.model import Sequential, mlp
from nncourse.core.train import fit
from nncourse.datasets.synthetic import Standardizer, train_test_split

# ---------------------------------------------------------------------------------------------------------------
# One neuron, forward and backward


HAND_EXAMPLE = {"x": (1.0, 2.0), "w": (0.5, -0.25), "b": 0.1, "target": 1.0}


def neuron_by_hand(x, w, b, target):
    """One sigmoid neuron and the loss E = 1/2 (a - target)^2 in plain Python floats, step by step.

    z = sum_i w_i x_i + b, a = sigmoid(z); chain rule: dE/dz = dE/da * da/dz = (a - target) * a (1 - a),
    dE/dw_i = dE/dz * x_i, dE/db = dE/dz, dE/dx_i = dE/dz * w_i. Mirrors the arithmetic the lesson writes out.
    """
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    a = 1.0 / (1.0 + math.exp(-z))
    loss = 0.5 * (a - target) ** 2
    dE_da = a - target
    da_dz = a * (1.0 - a)
    dE_dz = dE_da * da_dz
    return {
        "z": z,
        "a": a,
        "loss": loss,
        "dE_da": dE_da,
        "da_dz": da_dz,
        "dE_dz": dE_dz,
        "dE_dw": [dE_dz * xi for xi in x],
        "dE_db": dE_dz,
        "dE_dx": [dE_dz * wi for wi in w],
    }


def neuron_by_library(x, w, b, target, activation="sigmoid"):
    """The same neuron as a Dense(D, 1) layer plus an activation layer plus `half_sse`, run forward and
    backward by the library. Returns the keys of `neuron_by_hand` (dE_da, da_dz omitted) as floats/lists."""
    x = _validate.finite_array("x", x, ndim=1)[None, :]  # a batch of one: (1, D)
    dense = Dense.from_arrays(np.asarray(w, dtype=np.float64)[:, None], [b])
    act = get_activation(activation)
    z = dense.forward(x)
    a = act.forward(z)
    loss, dE_da = half_sse(a, np.array([[target]], dtype=np.float64))
    dE_dz = act.backward(dE_da)
    dE_dx = dense.backward(dE_dz)
    return {
        "z": float(z[0, 0]),
        "a": float(a[0, 0]),
        "loss": loss,
        "dE_dz": float(dE_dz[0, 0]),
        "dE_dw": dense.grads["W"][:, 0].tolist(),
        "dE_db": float(dense.grads["b"][0]),
        "dE_dx": dE_dx[0].tolist(),
    }


def neuron_after_step(x, w, b, target, lr=1.0):
    """One gradient-descent step on the neuron of `neuron_by_hand` (w <- w - lr dE/dw, b <- b - lr dE/db);
    returns that neuron's new output a and error E."""
    g = neuron_by_hand(x, w, b, target)
    new_w = [wi - lr * gi for wi, gi in zip(w, g["dE_dw"])]
    new = neuron_by_hand(x, new_w, b - lr * g["dE_db"], target)
    return {"w": new_w, "b": b - lr * g["dE_db"], "a": new["a"], "loss": new["loss"]}


# ---------------------------------------------------------------------------------------------------------------
# Activation functions


def activation_table(names=("identity", "sigmoid", "tanh", "relu", "leaky_relu", "selu"), z_max=6.0, points=1201):
    """Per activation: f(0), f'(0), the largest f' on [-z_max, z_max] and where it is, and f'(-3), f'(3).
    The grid contains z = 0 exactly (points odd)."""
    z = np.linspace(-z_max, z_max, points)
    rows = {}
    for name in names:
        act = get_activation(name)
        slope = act.derivative(z)
        i = int(np.argmax(slope))
        rows[name] = {
            "f(0)": float(act.function(np.array(0.0))),
            "f'(0)": float(act.derivative(np.array(0.0))),
            "max f'": float(slope[i]),
            "argmax": float(z[i]),
            "f'(-3)": float(act.derivative(np.array(-3.0))),
            "f'(3)": float(act.derivative(np.array(3.0))),
        }
    return rows


def format_activation_table(rows):
    """The table as fixed-width text for a checked cell."""
    cols = ["f(0)", "f'(0)", "max f'", "f'(-3)", "f'(3)"]
    lines = [f"{'':11s}" + "".join(f"{c:>10s}" for c in cols)]
    for name, row in rows.items():
        lines.append(f"{name:11s}" + "".join(f"{row[c]:10.4f}" for c in cols))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The box detector

BOX = {"x2": (-1.0, 5.0), "x3": (-8.0, -4.0)}
# where the detector's data are drawn: the box covers 6/12 of the x2 range and 4/10 of the x3 range (20 %)
DATA_RANGES = {"x1": (-10.0, 10.0), "x2": (-4.0, 8.0), "x3": (-11.0, -1.0)}


def in_box(X):
    """The rule to learn: 1.0 where x2 in [-1, 5] and x3 in [-8, -4], else 0.0. X (N, 3) -> (N, 1)."""
    X = _validate.finite_array("X", X, ndim=2)
    if X.shape[1] != 3:
        raise ValueError(f"the detector takes inputs (x1, x2, x3): X must have shape (N, 3), got {X.shape}")
    (lo2, hi2), (lo3, hi3) = BOX["x2"], BOX["x3"]
    inside = (X[:, 1] >= lo2) & (X[:, 1] <= hi2) & (X[:, 2] >= lo3) & (X[:, 2] <= hi3)
    return inside.astype(np.float64)[:, None]


def hand_detector(steepness=10.0, and_threshold=3.5, and_gain=10.0):
    """The detector built by hand: 3 inputs -> 4 "edge" sigmoid neurons -> 1 "AND" neuron (a logit).

    Edge neurons (steepness k): sigmoid(k (x2 + 1)) says x2 > -1, sigmoid(k (5 - x2)) says x2 < 5,
    sigmoid(k (x3 + 8)) says x3 > -8, sigmoid(k (-4 - x3)) says x3 < -4. Weights from x1 are 0.
    AND neuron: logit = and_gain (h1 + h2 + h3 + h4 - and_threshold); with threshold 3.5 it is positive only
    when all four edges hold. Returns a Sequential whose output is the logit (probability = sigmoid).
    """
    k = _validate.positive("steepness", steepness)
    gain = _validate.positive("and_gain", and_gain)
    (lo2, hi2), (lo3, hi3) = BOX["x2"], BOX["x3"]
    W = k * np.array(
        [
            [0.0, 0.0, 0.0, 0.0],  # x1: ignored
            [1.0, -1.0, 0.0, 0.0],  # x2
            [0.0, 0.0, 1.0, -1.0],
        ]
    )  # x3
    b = k * np.array([-lo2, hi2, -lo3, hi3])
    hidden = Dense.from_arrays(W, b)
    out = Dense.from_arrays(np.full((4, 1), gain), [-gain * float(and_threshold)])
    return Sequential([hidden, Sigmoid(), out])


def probability(model, X):
    """sigmoid of the model's logit: (N, 1)."""
    with np.errstate(over="ignore"):
        return ACTIVATIONS["sigmoid"].function(model.predict(X))


def detector_grid(model, resolution=120, x1=0.0):
    """The detector's probability over the (x2, x3) plane of DATA_RANGES at fixed x1.
    Returns (x2 values (R,), x3 values (R,), probability (R, R) indexed [x3, x2]). With the default 120 points
    no grid point lies exactly on an edge of the box (where a detector can only say 0.5)."""
    resolution = _validate.positive_int("resolution", resolution)
    x2 = np.linspace(*DATA_RANGES["x2"], resolution)
    x3 = np.linspace(*DATA_RANGES["x3"], resolution)
    g2, g3 = np.meshgrid(x2, x3)
    X = np.column_stack([np.full(g2.size, float(x1)), g2.ravel(), g3.ravel()])
    return x2, x3, probability(model, X).reshape(g2.shape)


def make_detector_data(n, rng):
    """n points uniform on DATA_RANGES, labelled by `in_box`: X (n, 3), y (n, 1)."""
    n = _validate.positive_int("n", n)
    _validate.rng(rng)
    X = np.column_stack([rng.uniform(*DATA_RANGES[k], size=n) for k in ("x1", "x2", "x3")])
    return X, in_box(X)


def fold_standardizer(model, scaler):
    """A copy of `model` that takes raw inputs: the scaling x' = (x - mean) / std folded into the first Dense
    layer, W' = W / std (per input row), b' = b - (mean / std) @ W. Same predictions, one model."""
    if not isinstance(model.layers[0], Dense):
        raise ValueError(f"the model must start with a Dense layer, got {model.layers[0]!r}")
    folded = copy.deepcopy(model)
    W, b = model.layers[0].params["W"], model.layers[0].params["b"]
    folded.layers[0].params["W"] = W / scaler.std[:, None]
    folded.layers[0].params["b"] = b - (scaler.mean / scaler.std) @ W
    return folded


@dataclass
class DetectorResult:
    """A learned detector: `model` takes raw (x1, x2, x3) and outputs a logit."""

    model: Sequential
    history: object
    train_accuracy: float
    test_accuracy: float
    baseline_accuracy: float  # always answering "no" on the test set
    hand_test_accuracy: float  # the hand-built detector on the same test set
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)

    @property
    def status(self):
        return (
            f"train accuracy {self.train_accuracy:.3f}, test accuracy {self.test_accuracy:.3f} "
            f"(always 'no': {self.baseline_accuracy:.3f})"
        )


def run_learned_detector(n_samples=1000, hidden=8, activation="tanh", lr=1.0, epochs=2000, seed=0):
    """Learn the detector: mlp [3, hidden, 1] with bce_with_logits, full-batch SGD on standardized inputs,
    75/25 train/test split. Returns a DetectorResult (the model with the scaling folded in)."""
    rng = _validate.generator(seed)
    X, y = make_detector_data(n_samples, rng)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, rng)
    scaler = Standardizer().fit(X_tr)
    net = mlp([3, hidden, 1], activation, rng=rng)
    history = fit(
        net, scaler.transform(X_tr), y_tr, loss="bce_with_logits", lr=lr, epochs=epochs, record_grad_norms=False
    )
    model = fold_standardizer(net, scaler)
    with np.errstate(all="ignore"):  # a diverged run has non-finite weights: it scores, it does not warn
        return DetectorResult(
            model,
            history,
            accuracy(model, X_tr, y_tr),
            accuracy(model, X_te, y_te),
            float(np.mean(y_te == 0)),
            accuracy(hand_detector(), X_te, y_te),
            X_te,
            y_te,
        )


def _draw_box(ax):
    (lo2, hi2), (lo3, hi3) = BOX["x2"], BOX["x3"]
    ax.plot([lo2, hi2, hi2, lo2, lo2], [lo3, lo3, hi3, hi3, lo3], "k--", lw=1)


def plot_detector(model, ax, title=""):
    """The probability a detector gives over (x2, x3) at x1 = 0, with the true box dashed."""
    x2, x3, prob = detector_grid(model)
    im = ax.imshow(
        prob,
        origin="lower",
        extent=(x2[0], x2[-1], x3[0], x3[-1]),
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
    )
    _draw_box(ax)
    ax.set(xlabel="x₂", ylabel="x₃", title=title)  # Unicode subscripts: no mathtext parse per redraw
    return im


def plot_unit_lines(model, ax, x1=0.0):
    """Where each first-layer neuron switches (its z = 0) in the (x2, x3) plane at fixed x1: thin grey lines."""
    W, b = model.layers[0].params["W"], model.layers[0].params["b"] + x1 * model.layers[0].params["W"][0]
    x2 = np.array(DATA_RANGES["x2"])
    for j in range(W.shape[1]):
        if abs(W[2, j]) > 1e-12:  # z = W[1] x2 + W[2] x3 + b = 0  ->  x3 = -(W[1] x2 + b) / W[2]
            ax.plot(x2, -(W[1, j] * x2 + b[j]) / W[2, j], color="0.4", lw=0.8)
        elif abs(W[1, j]) > 1e-12:
            ax.axvline(-b[j] / W[1, j], color="0.4", lw=0.8)
    ax.set(xlim=DATA_RANGES["x2"], ylim=DATA_RANGES["x3"])


def plot_detectors(result, fig):
    """Hand-built (left) and learned (right) detectors side by side; on the right, the learned model's test errors
    (crosses) and where each of its hidden neurons switches (grey lines)."""
    axes = fig.subplots(1, 2, sharey=True)
    plot_detector(hand_detector(), axes[0], "built by hand")
    im = plot_detector(result.model, axes[1], f"learned (test accuracy {result.test_accuracy:.3f})")
    plot_unit_lines(result.model, axes[1])
    wrong = ((result.model.predict(result.X_test) > 0) != (result.y_test > 0.5)).ravel()
    axes[1].scatter(result.X_test[wrong, 1], result.X_test[wrong, 2], marker="x", c="k", s=18, label="test errors")
    axes[1].legend(loc="upper right")
    axes[1].set_ylabel("")
    fig.colorbar(im, ax=axes, label="probability the detector fires", shrink=0.9)
    return axes


# ---------------------------------------------------------------------------------------------------------------
# Regression versus classification heads

HEADS = {  # (task, head): (output activation, loss)
    ("real target", "linear + MSE"): ("identity", "mse"),
    ("real target", "sigmoid + MSE"): ("sigmoid", "mse"),
    ("0/1 labels", "logistic + BCE"): ("identity", "bce_with_logits"),
    ("0/1 labels", "linear + MSE"): ("identity", "mse"),
}


def make_heads_data(n, rng, noise=0.1):
    """A tiny 1-D data set with two targets on the same x (uniform on [-3, 3], sorted):
    a real target 2 sin(1.5 x) + noise, and 0/1 labels drawn with probability p(x) = sigmoid(4 (1 - |x|))
    (likely 1 near the middle). Returns x (n, 1), y_real (n, 1), y_label (n, 1), p (n, 1)."""
    n = _validate.positive_int("n", n)
    _validate.rng(rng)
    x = np.sort(rng.uniform(-3.0, 3.0, n))[:, None]
    y_real = 2.0 * np.sin(1.5 * x) + noise * rng.normal(size=x.shape)
    p = ACTIVATIONS["sigmoid"].function(4.0 * (1.0 - np.abs(x)))
    y_label = (rng.uniform(size=x.shape) < p).astype(np.float64)
    return x, y_real, y_label, p


@dataclass
class HeadsResult:
    x: np.ndarray
    y_real: np.ndarray
    y_label: np.ndarray
    p: np.ndarray
    x_curve: np.ndarray
    curves: dict  # (task, head) -> output on x_curve (probability for the logistic head)
    fits: dict  # (task, head) -> {"mse", "min", "max"} on the training points


def run_heads(n_samples=80, hidden=8, lr=0.2, epochs=1500, seed=0):
    """The same 1-hidden-layer tanh network (same initial weights) trained with each head of HEADS on its task.
    Records each head's mean squared error to the targets and the range of its outputs (NaN if the run
    diverged)."""
    rng = _validate.generator(seed)
    x, y_real, y_label, p = make_heads_data(n_samples, rng)
    init_seed = int(rng.integers(2**31))
    x_curve = np.linspace(-3.0, 3.0, 201)[:, None]
    curves, fits = {}, {}
    for (task, head), (out_act, loss) in HEADS.items():
        y = y_real if task == "real target" else y_label
        net = mlp([1, hidden, 1], "tanh", output_activation=out_act, rng=_validate.generator(init_seed))
        history = fit(net, x, y, loss=loss, lr=lr, epochs=epochs, record_grad_norms=False)
        squash = loss == "bce_with_logits"  # this head's output is a logit: report the probability
        with np.errstate(all="ignore"):  # a diverged run has inf weights: its numbers become NaN
            out = probability(net, x) if squash else net.predict(x)
            curves[(task, head)] = (probability(net, x_curve) if squash else net.predict(x_curve)).ravel()
            fits[(task, head)] = {
                "mse": float(np.mean((out - y) ** 2)),
                "min": float(out.min()),
                "max": float(out.max()),
                "status": history.status,
            }
            if history.diverged:
                fits[(task, head)].update(mse=float("nan"), min=float("nan"), max=float("nan"))
    return HeadsResult(x, y_real, y_label, p, x_curve.ravel(), curves, fits)


def format_heads(result):
    """One line per (task, head): mean squared error to the targets and the range of the outputs."""
    lines = [f"{'task':12s}{'head':17s}{'MSE':>9s}{'min out':>10s}{'max out':>10s}"]
    for (task, head), f in result.fits.items():
        lines.append(f"{task:12s}{head:17s}{f['mse']:9.4f}{f['min']:10.4f}{f['max']:10.4f}")
    return "\n".join(lines)


HEAD_COLOURS = {"linear + MSE": "C0", "sigmoid + MSE": "C1", "logistic + BCE": "C2"}  # one colour per head


def plot_heads(result, fig):
    """Left: the real target and the two heads fitted to it. Right: the 0/1 labels, the true probability and
    the two heads fitted to them. A head has the same colour in both panels."""
    axes = fig.subplots(1, 2)
    for ax, task, y in ((axes[0], "real target", result.y_real), (axes[1], "0/1 labels", result.y_label)):
        ax.scatter(result.x.ravel(), y.ravel(), s=10, c="0.5", label="data")
        for (t, head), curve in result.curves.items():
            if t == task:
                ax.plot(result.x_curve, curve, lw=2, color=HEAD_COLOURS[head], label=head)
        ax.set(xlabel="x", title=task)
    axes[1].plot(result.x.ravel(), result.p.ravel(), "k:", lw=1.5, label="true p(y=1 | x)")
    axes[1].axhspan(0, 1, color="0.93", zorder=-1)
    axes[0].set_ylim(-2.4, 3.7)  # room for the legends above the data
    axes[1].set_ylim(-0.15, 1.45)
    for ax in axes:
        ax.legend(loc="upper center", ncols=2)
    return axes


# ---------------------------------------------------------------------------------------------------------------
# Slider panels

PLANE = (-3.0, 3.0)  # the input plane the neuron panel shows


@dataclass
class NeuronResult:
    w: tuple
    b: float
    activation: str
    x1: np.ndarray = field(repr=False)
    x2: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)  # (R, R) output over the plane, indexed [x2, x1]

    @property
    def status(self):
        def term(v, name):
            return f" {'-' if v < 0 else '+'} {abs(v):.3g}{name}"

        z = f"{self.w[0]:.3g} x1" + term(self.w[1], " x2") + term(self.b, "")
        return f"a = {self.activation}({z}): output from {self.a.min():.3g} to {self.a.max():.3g} on the plane"


def run_neuron(w1=1.0, w2=-0.5, bias=0.0, activation="sigmoid", resolution=61):
    """One neuron a = f(w1 x1 + w2 x2 + b) evaluated on a grid over PLANE x PLANE."""
    act = get_activation(activation)
    _validate.finite_array("w1, w2 and bias", [w1, w2, bias])
    x1 = np.linspace(*PLANE, _validate.positive_int("resolution", resolution))
    x2 = x1.copy()
    g1, g2 = np.meshgrid(x1, x2)
    z = float(w1) * g1 + float(w2) * g2 + float(bias)
    return NeuronResult((float(w1), float(w2)), float(bias), act.name, x1, x2, act.function(z))


def _z_line(ax, w, b):
    """Draw the line w1 x1 + w2 x2 + b = 0 (where z changes sign) across the plane, if there is one."""
    lo, hi = PLANE
    if abs(w[1]) > 1e-12:
        xs = np.array([lo, hi])
        ax.plot(xs, -(w[0] * xs + b) / w[1], "--", color="C3", lw=1.5)
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="C3", ls="--", lw=1.5)
    ax.set(xlim=PLANE, ylim=PLANE)


def plot_neuron(result, fig):
    """Left: the output a over the input plane, with the line z = 0. Right: f(z), shaded over the z the plane
    covers. Plain-text labels, few fixed ticks, no legend and no tight_layout: this figure is redrawn on
    every slider move, and those are what cost the time."""
    ax_plane, ax_f = fig.subplots(1, 2)
    im = ax_plane.imshow(
        result.a, origin="lower", extent=PLANE * 2, cmap="viridis", aspect="equal", interpolation="nearest"
    )
    _z_line(ax_plane, result.w, result.b)
    fig.colorbar(im, ax=ax_plane, label="a", ticks=np.linspace(result.a.min(), result.a.max(), 3), format="%.3g")
    ax_plane.set(xlabel="x1", ylabel="x2", title="output a (dashed: z = 0)", xticks=[-3, 0, 3], yticks=[-3, 0, 3])
    reach = abs(result.w[0]) * PLANE[1] + abs(result.w[1]) * PLANE[1]
    z = np.linspace(-6, 6, 241)
    ax_f.plot(z, get_activation(result.activation).function(z), color="C0")
    ax_f.axvspan(result.b - reach, result.b + reach, color="C1", alpha=0.2)
    ax_f.set(
        xlabel="z = w . x + b",
        ylabel="a = f(z)",
        title=f"{result.activation} (shaded: z on the plane)",
        xlim=(-6, 6),
        xticks=[-6, -3, 0, 3, 6],
    )
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.9, wspace=0.3)


def _with_overrides(controls, overrides, fixed_names=("resolution",)):
    """Set the given controls' starting values (checked: panels.set_control); `fixed_names` overrides become
    fixed keywords of run, any other name is refused."""
    fixed = {}
    for name, value in overrides.items():
        if name in controls:
            panels.set_control(name, controls[name], value)
        else:
            fixed[_validate.choice("setting", name, [*controls, *fixed_names])] = value
    return controls, fixed


def neuron_panel(**overrides):
    """Sliders w1, w2, bias and an activation menu; the figure of `plot_neuron`."""
    controls = {
        "w1": panels.float_slider(-4, 4, 0.1, 1.0),
        "w2": panels.float_slider(-4, 4, 0.1, -0.5),
        "bias": panels.float_slider(-4, 4, 0.1, 0.0),
        "activation": panels.dropdown(list(ACTIVATIONS), "sigmoid", "activation"),
    }
    controls, fixed = _with_overrides(controls, overrides)
    return panels.slider_panel(run_neuron, plot_neuron, fixed=fixed, **controls)


@dataclass
class HandDetectorResult:
    steepness: float
    and_threshold: float
    x2: np.ndarray = field(repr=False)
    x3: np.ndarray = field(repr=False)
    prob: np.ndarray = field(repr=False)
    grid_accuracy: float  # agreement with the true box on the grid

    @property
    def status(self):
        return (
            f"steepness {self.steepness:.3g}, AND threshold {self.and_threshold:.3g}: "
            f"agrees with the box on {100 * self.grid_accuracy:.1f}% of the grid"
        )


def run_hand_detector(steepness=10.0, and_threshold=3.5, resolution=120):
    """The hand-built detector with the given edge steepness and AND threshold, on a grid over (x2, x3)."""
    model = hand_detector(steepness, and_threshold)
    x2, x3, prob = detector_grid(model, resolution)
    g2, g3 = np.meshgrid(x2, x3)
    truth = in_box(np.column_stack([np.zeros(g2.size), g2.ravel(), g3.ravel()])).reshape(g2.shape)
    agree = float(np.mean((prob > 0.5) == (truth > 0.5)))
    return HandDetectorResult(float(steepness), float(and_threshold), x2, x3, prob, agree)


def plot_hand_detector(result, fig):
    """The hand-built detector's probability over (x2, x3), the true box dashed."""
    ax = fig.subplots()
    im = ax.imshow(
        result.prob,
        origin="lower",
        extent=(result.x2[0], result.x2[-1], result.x3[0], result.x3[-1]),
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
    )
    _draw_box(ax)
    fig.colorbar(im, ax=ax, label="probability the detector fires")
    ax.set(xlabel="x2", ylabel="x3", title="hand-built detector (x1 = 0)")  # plain text: faster redraw
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.15, top=0.9)


def detector_panel(**overrides):
    """Sliders for the edge neurons' steepness and the AND neuron's threshold of the hand-built detector."""
    controls = {
        "steepness": panels.log_slider(0.1, 30, 10.0),
        "and_threshold": panels.float_slider(0.5, 3.9, 0.1, 3.5, "AND threshold"),
    }
    controls, fixed = _with_overrides(controls, overrides)
    return panels.slider_panel(run_hand_detector, plot_hand_detector, fixed=fixed, figsize=(6, 3.6), **controls)
