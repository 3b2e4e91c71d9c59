"""Lesson 02, backpropagation: the 2-2-2 sigmoid worked example by hand and by the library, the exercise
report's 2-2-1 ReLU regression, and gradient checking.

The worked example is Matt Mazur's "A Step by Step Backpropagation Example" (2015): inputs 0.05, 0.10,
weights w1..w8 = 0.15 ... 0.55, one bias per layer (0.35 hidden, 0.60 output), targets 0.01, 0.99,
E = sum 1/2 (target - out)^2, learning rate 0.5. His naming: w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2,
w5: h1->o1, w6: h2->o1, w7: h1->o2, w8: h2->o2. In the library's batch-first layout W[i, j] is the weight
from input i to unit j, so W1 = [[w1, w3], [w2, w4]] and W2 = [[w5, w7], [w6, w8]].
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from nncourse.core import _validate
from nncourse.core.gradcheck import AGREES, check_model, format_error, numerical_gradient, relative_error
from nncourse.core.init import initializer
from nncourse.core.layers import Dense, ReLU, Sigmoid, Tanh
from nncourse.core.losses import half_sse, mse
from nncourse.core.model import Sequential, mlp
from nncourse.core.optim import SGD
from nncourse.core.seeds import stream
from nncourse.core.train import fit
from nncourse.datasets.synthetic import Standardizer, make_quadratic_regression
from nncourse.panels import dropdown, float_slider, int_slider, log_slider, slider_panel, toggle
from nncourse.plotting import layerplots

# ---------------------------------------------------------------------------------------------------------
# The 2-2-2 worked example
# ---------------------------------------------------------------------------------------------------------

MAZUR = {
    "inputs": (0.05, 0.10),
    "weights": (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55),
    "biases": (0.35, 0.60),
    "targets": (0.01, 0.99),
    "lr": 0.5,
}
WEIGHT_NAMES = tuple(f"w{k}" for k in range(1, 9))
BIAS_NAMES = ("b_h1", "b_h2", "b_o1", "b_o2")
BIAS_CONVENTIONS = ("held", "per_unit", "shared")
FORWARD_KEYS = ("net_h1", "net_h2", "out_h1", "out_h2", "net_o1", "net_o2", "out_o1", "out_o2", "E_o1", "E_o2", "E")
DELTA_KEYS = ("delta_o1", "delta_o2", "delta_h1", "delta_h2")
GRADIENT_KEYS = tuple("dE/d" + w for w in WEIGHT_NAMES + BIAS_NAMES)


def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


def mazur_initial_state():
    """{'w1'..'w8', 'b_h1', 'b_h2', 'b_o1', 'b_o2'}: the example's starting values, one bias value per unit
    (both hidden units start at 0.35, both outputs at 0.60)."""
    b1, b2 = MAZUR["biases"]
    return {**dict(zip(WEIGHT_NAMES, MAZUR["weights"])), "b_h1": b1, "b_h2": b1, "b_o1": b2, "b_o2": b2}


def hand_pass(s):
    """Forward and backward pass of the 2-2-2 network in plain scalar arithmetic (no arrays), as on paper.

    s: a state dict as from `mazur_initial_state`. Returns every intermediate number: net inputs net_*,
    outputs out_*, the errors E_o1, E_o2 and E, the output deltas delta_o* = dE/dnet_o*, the hidden deltas
    delta_h* = dE/dnet_h*, and the gradients dE/dw1..dE/dw8 and dE/db_* (one per unit).
    """
    i1, i2 = MAZUR["inputs"]
    t1, t2 = MAZUR["targets"]
    r = {"net_h1": s["w1"] * i1 + s["w2"] * i2 + s["b_h1"], "net_h2": s["w3"] * i1 + s["w4"] * i2 + s["b_h2"]}
    r["out_h1"], r["out_h2"] = _logistic(r["net_h1"]), _logistic(r["net_h2"])
    r["net_o1"] = s["w5"] * r["out_h1"] + s["w6"] * r["out_h2"] + s["b_o1"]
    r["net_o2"] = s["w7"] * r["out_h1"] + s["w8"] * r["out_h2"] + s["b_o2"]
    r["out_o1"], r["out_o2"] = _logistic(r["net_o1"]), _logistic(r["net_o2"])
    r["E_o1"], r["E_o2"] = 0.5 * (t1 - r["out_o1"]) ** 2, 0.5 * (t2 - r["out_o2"]) ** 2
    r["E"] = r["E_o1"] + r["E_o2"]
    # chain rule, output layer: dE/dnet_o = dE/dout_o * dout_o/dnet_o = (out - target) * out (1 - out)
    r["delta_o1"] = (r["out_o1"] - t1) * r["out_o1"] * (1 - r["out_o1"])
    r["delta_o2"] = (r["out_o2"] - t2) * r["out_o2"] * (1 - r["out_o2"])
    # hidden layer: each hidden output feeds both outputs, so its dE/dout_h sums two paths (original weights)
    r["delta_h1"] = (r["delta_o1"] * s["w5"] + r["delta_o2"] * s["w7"]) * r["out_h1"] * (1 - r["out_h1"])
    r["delta_h2"] = (r["delta_o1"] * s["w6"] + r["delta_o2"] * s["w8"]) * r["out_h2"] * (1 - r["out_h2"])
    # dE/dw = delta of the unit the weight feeds * the value on the weight's input side
    r.update(
        {
            "dE/dw1": r["delta_h1"] * i1,
            "dE/dw2": r["delta_h1"] * i2,
            "dE/dw3": r["delta_h2"] * i1,
            "dE/dw4": r["delta_h2"] * i2,
            "dE/dw5": r["delta_o1"] * r["out_h1"],
            "dE/dw6": r["delta_o1"] * r["out_h2"],
            "dE/dw7": r["delta_o2"] * r["out_h1"],
            "dE/dw8": r["delta_o2"] * r["out_h2"],
        }
    )
    r.update(
        {"dE/db_h1": r["delta_h1"], "dE/db_h2": r["delta_h2"], "dE/db_o1": r["delta_o1"], "dE/db_o2": r["delta_o2"]}
    )
    return r


def hand_update(s, r, lr, biases="held"):
    """One gradient-descent step from the state `s` and its pass `r` (all gradients come from the original
    weights). biases: 'held' (Mazur: never updated), 'per_unit' (each unit's bias moves by its own
    gradient), 'shared' (one bias per layer, whose gradient is the sum over the units that use it)."""
    _validate.choice("bias convention", biases, BIAS_CONVENTIONS)
    new = {w: s[w] - lr * r["dE/d" + w] for w in WEIGHT_NAMES}
    if biases == "held":
        new.update({b: s[b] for b in BIAS_NAMES})
    elif biases == "per_unit":
        new.update({b: s[b] - lr * r["dE/d" + b] for b in BIAS_NAMES})
    else:
        b_h = s["b_h1"] - lr * (r["dE/db_h1"] + r["dE/db_h2"])
        b_o = s["b_o1"] - lr * (r["dE/db_o1"] + r["dE/db_o2"])
        new.update({"b_h1": b_h, "b_h2": b_h, "b_o1": b_o, "b_o2": b_o})
    return new


def hand_train(steps, biases="held", lr=None):
    """`steps` updates by hand formulas. Returns (final state, errors) where errors[k] is E after k updates
    (length steps + 1)."""
    steps = _validate.positive_int("steps", steps)
    lr = MAZUR["lr"] if lr is None else _validate.positive("learning rate", lr)
    s, errors = mazur_initial_state(), []
    for _ in range(steps):
        r = hand_pass(s)
        errors.append(r["E"])
        s = hand_update(s, r, lr, biases)
    errors.append(hand_pass(s)["E"])
    return s, errors


def hand_error_hidden_after_output(steps, lr=None):
    """E after `steps` updates (biases held) when the hidden deltas are computed with the output weights
    *already updated* in the same round: not backpropagation as written (every gradient should come from
    one set of weights), but it reproduces a figure printed in the worked example."""
    steps = _validate.positive_int("steps", steps)
    lr = MAZUR["lr"] if lr is None else _validate.positive("learning rate", lr)
    s = mazur_initial_state()
    for _ in range(steps):
        r = hand_pass(s)
        early = {**s, **{w: s[w] - lr * r["dE/d" + w] for w in ("w5", "w6", "w7", "w8")}}
        # hidden deltas from the updated output weights but the current forward values
        d_h1 = (r["delta_o1"] * early["w5"] + r["delta_o2"] * early["w7"]) * r["out_h1"] * (1 - r["out_h1"])
        d_h2 = (r["delta_o1"] * early["w6"] + r["delta_o2"] * early["w8"]) * r["out_h2"] * (1 - r["out_h2"])
        i1, i2 = MAZUR["inputs"]
        early.update(
            {
                "w1": s["w1"] - lr * d_h1 * i1,
                "w2": s["w2"] - lr * d_h1 * i2,
                "w3": s["w3"] - lr * d_h2 * i1,
                "w4": s["w4"] - lr * d_h2 * i2,
            }
        )
        s = early
    return hand_pass(s)["E"]


# --- the same network in the library -----------------------------------------------------------------------


def mazur_arrays(state=None):
    """(X (1, 2), T (1, 2), W1 (2, 2), b1 (2,), W2 (2, 2), b2 (2,)) in the library's batch-first layout:
    W[i, j] is the weight from input i to unit j."""
    s = mazur_initial_state() if state is None else state
    W1 = np.array([[s["w1"], s["w3"]], [s["w2"], s["w4"]]])
    W2 = np.array([[s["w5"], s["w7"]], [s["w6"], s["w8"]]])
    b1, b2 = np.array([s["b_h1"], s["b_h2"]]), np.array([s["b_o1"], s["b_o2"]])
    return np.array([MAZUR["inputs"]]), np.array([MAZUR["targets"]]), W1, b1, W2, b2


def mazur_model(state=None):
    """Sequential(Dense, Sigmoid, Dense, Sigmoid) holding the example's weights (or those of `state`)."""
    _, _, W1, b1, W2, b2 = mazur_arrays(state)
    return Sequential([Dense.from_arrays(W1, b1), Sigmoid(), Dense.from_arrays(W2, b2), Sigmoid()])


def _state_from(W1, b1, W2, b2):
    return {
        "w1": W1[0, 0],
        "w2": W1[1, 0],
        "w3": W1[0, 1],
        "w4": W1[1, 1],
        "w5": W2[0, 0],
        "w6": W2[1, 0],
        "w7": W2[0, 1],
        "w8": W2[1, 1],
        "b_h1": b1[0],
        "b_h2": b1[1],
        "b_o1": b2[0],
        "b_o2": b2[1],
    }


def model_state(model, what="params"):
    """The model's parameters (or, with what='grads', their gradients) as a dict with the example's names:
    the inverse of `mazur_arrays`."""
    d1, d2 = getattr(model.layers[0], what), getattr(model.layers[2], what)
    return {k: float(v) for k, v in _state_from(d1["W"], d1["b"], d2["W"], d2["b"]).items()}


def library_pass(model):
    """Forward, half_sse and backward through the library; returns the numbers of `hand_pass` read off the
    arrays (same keys)."""
    X, T = mazur_arrays()[:2]
    out = model.forward(X)
    E, dout = half_sse(out, T)
    model.backward(dout)
    z1, a1, z2 = model.outputs[0][0], model.outputs[1][0], model.outputs[2][0]
    dz1, dz2 = model.output_grads[0][0], model.output_grads[2][0]
    grads = model_state(model, "grads")
    r = {
        "net_h1": z1[0],
        "net_h2": z1[1],
        "out_h1": a1[0],
        "out_h2": a1[1],
        "net_o1": z2[0],
        "net_o2": z2[1],
        "out_o1": out[0, 0],
        "out_o2": out[0, 1],
        "E_o1": 0.5 * (T[0, 0] - out[0, 0]) ** 2,
        "E_o2": 0.5 * (T[0, 1] - out[0, 1]) ** 2,
        "E": E,
        "delta_o1": dz2[0],
        "delta_o2": dz2[1],
        "delta_h1": dz1[0],
        "delta_h2": dz1[1],
    }
    r.update({"dE/d" + k: v for k, v in grads.items()})
    return {k: float(v) for k, v in r.items()}


class BiasConventionSGD(SGD):
    """SGD with a choice of what happens to biases: 'per_unit' (plain SGD: each unit's bias moves by its own
    gradient), 'held' (biases never change, as in the worked example) or 'shared' (all units of a layer
    share one bias: each moves by the sum of the layer's bias gradients, so they stay equal)."""

    def __init__(self, lr, biases="per_unit"):
        super().__init__(lr)
        self.biases = _validate.choice("bias convention", biases, BIAS_CONVENTIONS)

    def step(self, model):
        self.t += 1
        for layer, name in model.parameters():
            grad = layer.grads[name]
            if name == "b" and self.biases == "held":
                continue
            if name == "b" and self.biases == "shared":
                grad = np.full_like(grad, grad.sum())
            self.update(layer.params[name], grad, {})

    def __repr__(self):
        return f"BiasConventionSGD(lr={self.lr:g}, biases={self.biases!r})"


def library_train(steps, biases="held", lr=None):
    """`steps` full-batch updates of the library model with `fit`. Returns (model, errors) with errors[k] = E
    after k updates (length steps + 1), as `hand_train`."""
    lr = MAZUR["lr"] if lr is None else lr
    model = mazur_model()
    X, T = mazur_arrays()[:2]
    hist = fit(
        model, X, T, loss="half_sse", optimizer=BiasConventionSGD(lr, biases), epochs=steps, record_grad_norms=False
    )
    return model, hist.loss + [half_sse(model.predict(X), T)[0]]


@dataclass
class WorkedExample:
    """The worked example computed twice. `hand` / `library`: the first pass's numbers (dicts with the same
    keys); `updated_hand` / `updated_library`: the state after one update with biases held;
    `errors`: {(convention, 'hand' | 'library'): E after k updates, k = 0..steps}."""

    hand: dict
    library: dict
    updated_hand: dict
    updated_library: dict
    errors: dict
    steps: int


def run_worked_example(steps=10_000):
    """Everything the lesson shows about the 2-2-2 example, by hand formulas and by the library."""
    s0 = mazur_initial_state()
    hand = hand_pass(s0)
    model = mazur_model()
    library = library_pass(model)
    updated_hand = hand_update(s0, hand, MAZUR["lr"], "held")
    BiasConventionSGD(MAZUR["lr"], "held").step(model)
    errors = {}
    for conv in BIAS_CONVENTIONS:
        errors[conv, "hand"] = hand_train(steps, conv)[1]
        errors[conv, "library"] = library_train(steps, conv)[1]
    return WorkedExample(hand, library, updated_hand, model_state(model), errors, steps)


def side_by_side(hand, library, keys):
    """Rows (name, hand value, library value, |difference|) for a table."""
    return [(k, hand[k], library[k], abs(hand[k] - library[k])) for k in keys]


def format_table(rows, digits=9):
    """A fixed-width text table of `side_by_side` rows."""
    lines = [f"{'':>9} {'by hand':>14} {'library':>14} {'|diff|':>8}"]
    for name, a, b, d in rows:
        lines.append(f"{name:>9} {a:>14.{digits}f} {b:>14.{digits}f} {d:>8.1e}")
    return "\n".join(lines)


def error_table(result):
    """E after one update and after all `steps` updates, per bias convention, by hand and by the library."""
    n = result.steps
    lines = [
        f"{'biases':<9} {'E after 1 (hand)':>17} {'(library)':>12} {f'E after {n:,} (hand)':>21} {'(library)':>13}"
    ]
    for conv in BIAS_CONVENTIONS:
        h, lib = result.errors[conv, "hand"], result.errors[conv, "library"]
        lines.append(f"{conv:<9} {h[1]:>17.9f} {lib[1]:>12.9f} {h[n]:>21.10f} {lib[n]:>13.10f}")
    return "\n".join(lines)


def plot_worked_example(result, fig):
    """E against the number of updates for the three bias conventions (log-log), hand formulas as lines and
    the library as markers on top."""
    ax = fig.add_subplot(1, 1, 1)
    k = np.arange(result.steps + 1)
    marks = np.unique(np.geomspace(1, result.steps, 12).astype(int))
    labels = {
        "held": "biases held (Mazur)",
        "per_unit": "biases per unit, updated",
        "shared": "one shared bias per layer, updated",
    }
    for conv in BIAS_CONVENTIONS:
        (line,) = ax.plot(k[1:], result.errors[conv, "hand"][1:], label=labels[conv] + " (hand)")
        ax.plot(marks, np.asarray(result.errors[conv, "library"])[marks], "o", ms=4, mfc="none", color=line.get_color())
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="updates",
        ylabel="E",
        title="2-2-2 example: error after k updates (lines: by hand, circles: library)",
    )
    ax.legend(loc="lower left")
    return ax


# ---------------------------------------------------------------------------------------------------------
# The exercise report's 2-2-1 ReLU regression on y = x1^2 + x2 + noise
# ---------------------------------------------------------------------------------------------------------

INPUT_RANGES = {"narrow": ((-5.0, 5.0), (-10.0, 10.0)), "wide": ((-50.0, 50.0), (-100.0, 100.0))}
RANGE_LABELS = {"narrow": "x1 in [-5, 5], x2 in [-10, 10]", "wide": "x1 in [-50, 50], x2 in [-100, 100]"}
PARAM_NAMES = ("h1.w_x1", "h1.w_x2", "h1.b", "h2.w_x1", "h2.w_x2", "h2.b", "out.w_h1", "out.w_h2", "out.b")


def flat_parameters(model):
    """The 9 parameters of a 2-2-1 model in the order of PARAM_NAMES (hidden unit j: its column of W1)."""
    W1, b1 = model.layers[0].params["W"], model.layers[0].params["b"]
    W2, b2 = model.layers[2].params["W"], model.layers[2].params["b"]
    return np.array([W1[0, 0], W1[1, 0], b1[0], W1[0, 1], W1[1, 1], b1[1], W2[0, 0], W2[1, 0], b2[0]])


class ParameterTrace:
    """A `fit` callback that records the parameters after every epoch (one full-batch step each)."""

    def __init__(self, model):
        self.rows = [flat_parameters(model)]

    def on_epoch_end(self, epoch, history, model, optimizer):
        self.rows.append(flat_parameters(model))
        return False


@dataclass
class ReluRegression:
    """One training run. `trace` (steps + 1, 9): the parameters before training and after every step;
    `last_change[k]`: the last step that changed parameter k (0 if none did); `dead`: for each hidden unit,
    whether it is <= 0 on every training point at the end; `relative_loss`: the loss per step divided by the
    variance of the targets it was trained on (1 = no better than predicting the mean)."""

    history: object
    trace: np.ndarray
    last_change: np.ndarray
    dead: tuple
    relative_loss: np.ndarray
    y: np.ndarray
    pred: np.ndarray
    settings: dict

    @property
    def status(self):
        return self.history.status

    @property
    def before(self):
        return self.trace[0]

    @property
    def after(self):
        return self.trace[-1]


def regression_data(n_points, input_range, scale, rng):
    """(X, y) of the quadratic target, standardized (inputs and target) when `scale`."""
    if _validate.positive_int("n_points", n_points) < 2:
        raise _validate.InputError(
            f"n_points must be at least 2 (the loss is reported relative to the variance of "
            f"y, which one point does not have), got {n_points!r}"
        )
    _validate.choice("input range", input_range, INPUT_RANGES)
    X, y = make_quadratic_regression(n_points, rng, *INPUT_RANGES[input_range])
    if scale:
        X, y = Standardizer().fit_transform(X), Standardizer().fit_transform(y)
    return X, y


def run_relu_regression(
    lr=0.01,
    weight_range=10.0,
    bias_range=5.0,
    n_points=300,
    input_range="narrow",
    scale=True,
    epochs=500,
    seed=0,
    weights_rng=None,
    data_rng=None,
):
    """Train a 2-2-1 ReLU network (MSE, full-batch gradient descent) from weights drawn uniformly in
    [-weight_range, weight_range] and biases in [-bias_range, bias_range]. With `scale`, inputs and target are
    standardized (the loss is then in units of the target's variance). The data and then the weights are drawn
    from `seed`, so a different n_points also gives different initial weights; pass `weights_rng` (a Generator)
    to draw the weights from it instead, the same for every data size (and `data_rng` for the data, instead)."""
    _validate.positive("weight range", weight_range)
    _validate.positive("bias range", bias_range)
    rng = stream(seed) if data_rng is None else _validate.rng(data_rng)
    X, y = regression_data(n_points, input_range, scale, rng)
    if weights_rng is not None:
        rng = _validate.rng(weights_rng)
    model = mlp(
        [2, 2, 1],
        "relu",
        rng=rng,
        init=initializer("uniform", low=-weight_range, high=weight_range),
        bias_init=initializer("uniform", low=-bias_range, high=bias_range),
    )
    trace = ParameterTrace(model)
    hist = fit(model, X, y, loss="mse", lr=lr, epochs=epochs, callbacks=[trace], record_grad_norms=False)
    rows = np.array(trace.rows)
    changed = np.diff(rows, axis=0) != 0
    last_change = np.where(changed.any(axis=0), changed.shape[0] - np.argmax(changed[::-1], axis=0), 0)
    with np.errstate(over="ignore", invalid="ignore"):
        z1 = model.layers[0].forward(X)
        pred = model.predict(X)
    dead = tuple(bool(np.all(z1[:, j] <= 0)) for j in range(2))
    settings = dict(
        lr=lr,
        weight_range=weight_range,
        bias_range=bias_range,
        n_points=n_points,
        input_range=input_range,
        scale=scale,
        epochs=epochs,
        seed=seed,
    )
    return ReluRegression(hist, rows, last_change, dead, np.asarray(hist.loss) / float(np.var(y)), y, pred, settings)


def data_size_comparison(sizes=(300, 3000), seeds=range(20), **settings):
    """For each seed, one start (weights drawn from the seed's own stream) trained on each data size (data drawn
    from another stream of the seed): {seed: {n_points: ReluRegression}}. Full-batch gradient descent on the mean
    loss follows the average gradient, which more points only estimate more precisely: from the same start, the
    runs on 300 and 3,000 points nearly coincide, and the start decides whether a unit dies."""
    runs = {}
    for s in seeds:
        runs[int(s)] = {
            n: run_relu_regression(n_points=n, seed=s, data_rng=stream(s, 0), weights_rng=stream(s, 1), **settings)
            for n in sizes
        }
    return runs


def parameter_table(result):
    """Text table: each parameter before and after training, how far it moved, and the last step that
    changed it."""
    lines = [f"{'parameter':>9} {'before':>9} {'after':>9} {'moved':>9} {'last changed at step':>21}"]
    for name, a, b, k in zip(PARAM_NAMES, result.before, result.after, result.last_change):
        lines.append(f"{name:>9} {a:>9.4f} {b:>9.4f} {abs(b - a):>9.4f} {int(k):>21d}")
    return "\n".join(lines)


def scaling_comparison(lrs=(1e-4, 1e-3, 1e-2), seed=0, **settings):
    """Rows (input range, scaled, lr, result) for both input ranges, with and without standardization, at
    each learning rate."""
    return [
        (rng_name, scale, lr, run_relu_regression(lr=lr, input_range=rng_name, scale=scale, seed=seed, **settings))
        for rng_name in INPUT_RANGES
        for scale in (False, True)
        for lr in lrs
    ]


def format_comparison(rows):
    """One line per run: settings, history.status, and the final loss relative to the target's variance."""
    lines = [f"{'inputs':<36} {'scaled':<6} {'lr':>6}  {'loss / var(y)':>13}  status"]
    for rng_name, scale, lr, r in rows:
        rel = "-" if r.history.diverged else f"{r.relative_loss[-1]:.4g}"
        lines.append(f"{RANGE_LABELS[rng_name]:<36} {'yes' if scale else 'no':<6} {lr:>6g}  {rel:>13}  {r.status}")
    return "\n".join(lines)


def plot_relative_losses(runs, ax, legend=True):
    """Loss / var(y) per step (log-log) for {label: ReluRegression}. The y-range is set by the runs that
    finished; a diverged run is drawn up to the top edge and marked with an x at the step it stopped."""
    finished = [r.relative_loss for r in runs.values() if not r.history.diverged and len(r.relative_loss)]
    top = 3 * max(float(np.max(v)) for v in finished) if finished else 1e6
    bottom = 0.5 * min(float(np.min(v)) for v in finished) if finished else 1e-3
    for label, r in runs.items():
        steps = np.arange(1, len(r.relative_loss) + 1)
        if r.history.diverged:
            label = f"{label} (diverged at step {r.history.diverged_at})"
        (line,) = ax.plot(steps, np.minimum(r.relative_loss, top), label=label)
        if r.history.diverged:
            ax.plot([r.history.diverged_at], [top], "x", ms=9, mew=2, color=line.get_color(), clip_on=False)
    ax.axhline(1.0, color="0.6", ls=":", lw=1)
    ax.set(xscale="log", yscale="log", ylim=(bottom, top), xlabel="step", ylabel="loss / var(y)")
    layerplots.plain_log_labels(ax, "y")
    layerplots.plain_log_labels(ax, "x")
    if legend:
        ax.legend()
    return ax


def plot_relu_regression(result, fig):
    """Left: the loss curve (relative to the target's variance). Right: prediction against target."""
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.3, "left": 0.1, "right": 0.98, "bottom": 0.15})
    plot_relative_losses({"": result}, ax1, legend=False)
    ax1.set_title(result.status, fontsize=9)
    if not result.history.diverged and np.all(np.isfinite(result.pred)):
        ax2.plot(result.y[:, 0], result.pred[:, 0], ".", ms=3, alpha=0.5)
        lo, hi = float(result.y.min()), float(result.y.max())
        ax2.plot([lo, hi], [lo, hi], color="0.5", lw=1)
        dead = [f"h{j + 1}" for j, d in enumerate(result.dead) if d]
        ax2.set_title("prediction vs target" + (f" (dead: {', '.join(dead)})" if dead else ""), fontsize=9)
    else:
        ax2.text(0.5, 0.5, result.status, ha="center", va="center", transform=ax2.transAxes)
        ax2.set_title("prediction vs target", fontsize=9)
    ax2.set(xlabel="target y", ylabel="prediction")
    return fig


def relu_regression_panel(**overrides):
    """Sliders for the 2-2-1 ReLU regression: learning rate (log), initial weight and bias ranges, data size,
    input range, scaling on/off, seed. `overrides` set the sliders' starting values."""
    v = dict(
        lr=0.01, weight_range=10.0, bias_range=5.0, n_points=300, input_range="narrow", scale=True, seed=20, epochs=500
    )
    for name in overrides:
        _validate.choice("setting", name, v)
    v.update(overrides)
    # slider ranges stretch to include a starting value given outside them (papermill parameters); a value no
    # slider of the kind can take (lr <= 0, a string, NaN) is left for the panel to refuse by name
    lr = v["lr"] if _stretches_to(v["lr"]) and v["lr"] > 0 else 1.0
    top = {k: v[k] if _stretches_to(v[k]) else 0 for k in ("weight_range", "bias_range", "seed")}
    sizes = {300, 3000} | ({v["n_points"]} if _stretches_to(v["n_points"], whole=True) and v["n_points"] > 0 else set())
    return slider_panel(
        run_relu_regression,
        plot_relu_regression,
        fixed={"epochs": v["epochs"]},
        lr=log_slider(min(1e-5, lr), max(1.0, lr), v["lr"], "learning rate"),
        weight_range=float_slider(0.5, max(10.0, top["weight_range"]), 0.5, v["weight_range"], "weights in ±"),
        bias_range=float_slider(0.5, max(5.0, top["bias_range"]), 0.5, v["bias_range"], "biases in ±"),
        n_points=dropdown(sorted(sizes), v["n_points"], "data size"),
        input_range=dropdown([(RANGE_LABELS[k], k) for k in INPUT_RANGES], v["input_range"], "inputs"),
        scale=toggle(v["scale"], "standardize"),
        seed=int_slider(0, max(50, top["seed"]), v["seed"], description="seed"),
    )


def _stretches_to(value, whole=False):
    """True for a finite number (an integer if `whole`), not a bool: a starting value a slider may widen to."""
    kind = numbers.Integral if whole else numbers.Real
    return isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------------------------------------------------
# Gradient checking: how a learner verifies their own backward pass
# ---------------------------------------------------------------------------------------------------------


class SigmoidIgnoresUpstream(Sigmoid):
    """A deliberately wrong sigmoid: its backward returns the local derivative s (1 - s) and forgets to
    multiply by the upstream gradient dout. Right whenever dout is all ones, wrong otherwise."""

    def backward(self, dout):
        return self.out * (1.0 - self.out)


class SigmoidDerivativeAtZ(Sigmoid):
    """A deliberately wrong sigmoid: the classic slip of evaluating s (1 - s) at the input z instead of at the
    output s = sigmoid(z)."""

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)


class DenseMeanBias(Dense):
    """A deliberately wrong Dense layer: db = mean of dout over the batch instead of the sum (right only for a
    batch of one)."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = dout.mean(axis=0)
        return dx


def check_with_upstream(layer, x, dout, h=1e-6):
    """Like gradcheck.check_layer but with a given upstream gradient `dout` (to show what all ones hides)."""
    x = np.array(x, dtype=np.float64)
    layer.forward(x)
    analytic = {"x": layer.backward(dout), **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {}
    for k, arr in {"x": x, **layer.params}.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(lambda: layer.forward(x), arr, dout, h))
    return errors


def gradient_check_report(seed=0, batch=5):
    """{layer name: {'x' | param: relative error}} for correct and deliberately wrong layers, each checked with
    a random upstream gradient and with an all-ones one. Inputs are drawn away from 0 so that no ReLU sits on
    its kink (where a central difference straddles two slopes)."""
    rng = stream(seed)
    x = rng.uniform(0.2, 1.5, size=(batch, 3)) * rng.choice([-1.0, 1.0], size=(batch, 3))
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    layers = {
        "Dense": lambda: Dense.from_arrays(W, b),
        "Sigmoid": Sigmoid,
        "ReLU": lambda: ReLU(),
        "Tanh": lambda: Tanh(),
        "bug: sigmoid ignores upstream": SigmoidIgnoresUpstream,
        "bug: sigmoid derivative at z": SigmoidDerivativeAtZ,
        "bug: dense bias mean": lambda: _dense_mean_bias(W, b),
    }
    dout = rng.normal(size=(batch, 3))
    report = {}
    for name, make in layers.items():
        report[name] = {
            "random": check_with_upstream(make(), x, dout),
            "ones": check_with_upstream(make(), x, np.ones_like(dout)),
        }
    return report


def _dense_mean_bias(W, b):
    layer = DenseMeanBias(W.shape[0], W.shape[1], init="zeros")
    layer.params["W"][...], layer.params["b"][...] = W, b
    return layer


def format_gradient_check(report):
    """A table of the largest relative error per layer, with a random and an all-ones upstream gradient
    (gradcheck.format_error: errors below 1e-6 are rounding noise and printed as '< 1e-06')."""
    lines = [f"{'layer':<32} {'random dout':>12} {'all-ones dout':>14}  verdict (random)"]
    for name, r in report.items():
        worst = {k: max(v.values()) for k, v in r.items()}
        verdict = "ok" if worst["random"] < AGREES else "WRONG"
        lines.append(f"{name:<32} {format_error(worst['random']):>12} {format_error(worst['ones']):>14}  {verdict}")
    return "\n".join(lines)


def model_gradient_check(seed=0):
    """gradcheck.check_model on the 2-2-2 example (half_sse) and on a small 2-3-1 tanh net (MSE)."""
    rng = stream(seed)
    X, T = mazur_arrays()[:2]
    out = {"2-2-2 sigmoid example": check_model(mazur_model(), half_sse, X, T)}
    net = mlp([2, 3, 1], "tanh", rng=rng, bias_init=initializer("normal", std=0.5))
    Xs, ys = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    out["2-3-1 tanh net"] = check_model(net, mse, Xs, ys)
    return out


def data_size_summary(runs):
    """What data_size_comparison shows, as numbers: for each size the range of the final loss / var(y) over the
    starts and the number of runs that end with a dead unit; and the largest and the median difference in final
    loss / var(y) between two sizes trained from the same start."""
    sizes = list(next(iter(runs.values())))
    final = {n: np.array([r[n].relative_loss[-1] for r in runs.values()]) for n in sizes}
    dead = {n: sum(any(r[n].dead) for r in runs.values()) for n in sizes}
    gap = np.abs(final[sizes[-1]] - final[sizes[0]])
    return dict(
        sizes=sizes,
        starts=len(runs),
        low={n: float(final[n].min()) for n in sizes},
        high={n: float(final[n].max()) for n in sizes},
        dead=dead,
        largest_gap=float(gap.max()),
        median_gap=float(np.median(gap)),
    )


def format_data_size_summary(s):
    """The summary in a few lines, rounded to two significant figures."""
    lines = [
        f"{n:>5} points: final loss / var(y) from {s['low'][n]:.2f} to {s['high'][n]:.2f} over "
        f"{s['starts']} starts; {s['dead'][n]} runs end with a dead unit"
        for n in s["sizes"]
    ]
    lines.append(
        f"same start, {s['sizes'][0]} vs {s['sizes'][-1]} points: final loss / var(y) differs by "
        f"{s['median_gap']:.1g} (median), {s['largest_gap']:.1g} at most"
    )
    return "\n".join(lines)
