"""Lesson 08, transfer learning: train a network on digits 0-4, keep its hidden layers (frozen), put a new
output layer on top for digits 5-9 and train it on a few labelled examples per class; compare with the same
network trained from scratch on the same few labels (Yosinski et al. 2014 study which layers transfer).

Data: the 8x8 digits bundled with scikit-learn. The source task uses the training part of digits 0-4 only;
the target task draws its few labels from the training part of digits 5-9 and is scored on their test part,
so no image of the target task is ever seen during pre-training.

The second setting, where transfer does help (`run_close_sweep`): the source network learns all ten digits
from the training part of a split of every image; the target task labels the same kind of images
differently, in five pairs {0, 5}, {1, 6}, {2, 7}, {3, 8}, {4, 9} (label = digit mod 5), from a few labelled
images per digit, and is scored on the test part, which the source network never saw. Every target class is
a union of source classes, so the source's features already separate it: the close, cheaply labelled
related task of source 003's Wikipedia example.
"""

import functools
from dataclasses import dataclass, field

import numpy as np

from nncourse.blocks.freezing import freeze, replace_head
from nncourse.core import _validate
from nncourse.core.layers import Dense, get_activation
from nncourse.core.metrics import accuracy
from nncourse.core.model import Sequential, mlp
from nncourse.core.optim import SGD
from nncourse.core.seeds import stream
from nncourse.core.train import fit
from nncourse.datasets.digits import few_labels, one_hot, softmax_cross_entropy, split_digits
from nncourse.panels import dropdown, int_slider, slider_panel

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
BUDGETS = (1, 2, 5, 10, 20)
# a seed's streams (core.seeds). data_seed's own stream splits the source task's digits; its children the others
TARGET_DATA, CLOSE_DATA = 1, 2
# seed's children: pre-training the far and the close source nets, the few labels of a far and a close run (then
# per labels-per-digit budget); each has a child for the weights and one for what follows (batches, few labels)
PRETRAIN, PRETRAIN_CLOSE, FEW, FEW_CLOSE = 10, 11, 20, 30
WEIGHTS, DRAWS = 0, 1
# the two target tasks, by the name the panel's menu uses: what the test accuracy is measured on
TASKS = {"close": "close task (digit pairs)", "far": "far task (digits 5-9)"}


@functools.lru_cache(maxsize=8)
def _source_data(data_seed):
    return split_digits(stream(data_seed), classes=SOURCE, test_fraction=0.3)


@functools.lru_cache(maxsize=8)
def target_data(data_seed=0):
    """Digits 5-9 (renumbered 0-4), 70% train / 30% test, split by data_seed's stream TARGET_DATA."""
    return split_digits(stream(data_seed, TARGET_DATA), classes=TARGET, test_fraction=0.3)


@functools.lru_cache(maxsize=8)
def close_data(data_seed=0):
    """All ten digits, 70% train / 30% test; y_* are the digits, p_* / P_* the pair labels (digit mod 5)."""
    data = dict(split_digits(stream(data_seed, CLOSE_DATA), test_fraction=0.3))
    for part in ("train", "test"):
        data[f"p_{part}"] = data[f"y_{part}"] % len(TARGET)
        data[f"P_{part}"] = one_hot(data[f"p_{part}"], len(TARGET))
    return data


@dataclass
class Pretrained:
    """The source network's weights (a 64-width-width-n_out ReLU net) and its test accuracy on its task."""

    weights: list
    width: int
    source_accuracy: float
    settings: dict = field(default_factory=dict)
    n_out: int = len(SOURCE)

    def model(self):
        """A fresh copy of the trained source network (mlp's layers, built from the weights: no random draws)."""
        sizes = (64, self.width, self.width, self.n_out)
        layers = [
            layer
            for n_in, n_out in zip(sizes, sizes[1:])
            for layer in (Dense(n_in, n_out, init="zeros"), get_activation("relu"))
        ]
        net = Sequential(layers[:-1])  # a linear output, as mlp's
        net.set_weights(self.weights)
        return net


def _pretrain(data, n_out, path, width, epochs, lr, batch_size, seed, data_seed):
    """Train a 64-width-width-n_out source network on data's training part: weights and batch order from seed's
    streams (path, WEIGHTS) and (path, DRAWS)."""
    net = mlp([64, _validate.positive_int("width", width), width, n_out], rng=stream(seed, path, WEIGHTS))
    fit(
        net,
        data["X_train"],
        data["Y_train"],
        loss=softmax_cross_entropy,
        optimizer=SGD(lr),
        epochs=epochs,
        batch_size=batch_size,
        rng=stream(seed, path, DRAWS),
        record_grad_norms=False,
    )
    return Pretrained(
        net.get_weights(),
        width,
        accuracy(net, data["X_test"], data["y_test"]),
        dict(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, data_seed=data_seed),
        n_out,
    )


@functools.lru_cache(maxsize=8)
def pretrain(width=64, epochs=20, lr=0.3, batch_size=32, seed=0, data_seed=0):
    """Train the source network on every training image of digits 0-4 (cached: each lesson run pays once)."""
    return _pretrain(_source_data(data_seed), len(SOURCE), PRETRAIN, width, epochs, lr, batch_size, seed, data_seed)


@functools.lru_cache(maxsize=8)
def pretrain_close(width=64, epochs=20, lr=0.3, batch_size=32, seed=0, data_seed=0):
    """Train the ten-digit source network (64-width-width-10) on the training part of close_data (cached)."""
    return _pretrain(close_data(data_seed), 10, PRETRAIN_CLOSE, width, epochs, lr, batch_size, seed, data_seed)


def transfer_model(pretrained, n_frozen, rng):
    """The source network with its head replaced by a fresh 5-way Dense layer and its first n_frozen Dense
    layers frozen (0, 1 or 2: the two hidden layers; the new head always trains)."""
    net = replace_head(pretrained.model(), len(TARGET), rng)
    return freeze(net, _validate.choice("n_frozen", n_frozen, (0, 1, 2)))


def scratch_model(width, rng):
    """The same architecture, randomly initialized (He), every layer trainable."""
    return mlp([64, width, width, len(TARGET)], rng=rng)


def _train_target(net, idx, data, lr, steps, labels="y"):
    """Full-batch gradient descent on the few labelled rows `idx` for `steps` steps; test accuracy after.
    labels: "y" for data's y_* / Y_* targets, "p" for the pair labels p_* / P_* of close_data."""
    fit(
        net,
        data["X_train"][idx],
        data[f"{labels.upper()}_train"][idx],
        loss=softmax_cross_entropy,
        optimizer=SGD(lr),
        epochs=steps,
        record_grad_norms=False,
    )
    return accuracy(net, data["X_test"], data[f"{labels}_test"])


def linear_model(rng):
    """A softmax classifier on the raw pixels (one Dense layer 64 -> 5): what the few labels give without any
    hidden layer."""
    return Sequential([Dense(64, len(TARGET), rng=rng)])


@dataclass
class TransferRun:
    """Test accuracy on digits 5-9 of the transferred net, of the same net trained from scratch and of a
    linear softmax classifier on the raw pixels, all trained on the same `per_class` labelled images of each
    digit."""

    per_class: int
    n_frozen: int
    seed: int
    transfer_accuracy: float
    scratch_accuracy: float
    linear_accuracy: float
    source_accuracy: float
    task: str = "far"

    @property
    def status(self):
        return (
            f"{self.task} task, {self.per_class} labels per digit, {self.n_frozen} frozen: transfer "
            f"{self.transfer_accuracy:.3g}, from scratch {self.scratch_accuracy:.3g}, linear on pixels "
            f"{self.linear_accuracy:.3g}"
        )


def _few(per_class, seed):
    """The labelled rows of one run and the generator that draws its new weights."""
    idx = few_labels(target_data()["y_train"], per_class, stream(seed, FEW, per_class, DRAWS))
    return idx, stream(seed, FEW, per_class, WEIGHTS)


def run_transfer(per_class=5, n_frozen=2, seed=0, width=64, lr=0.3, steps=100, pretrain_epochs=20):
    """One comparison: `seed` picks the few labels and the new weights (the source net is trained once).
    Every model gets `steps` steps of full-batch gradient descent on the same labelled images."""
    pre = pretrain(width=width, epochs=pretrain_epochs)
    data = target_data()
    idx, rng = _few(per_class, seed)
    transfer = _train_target(transfer_model(pre, n_frozen, rng), idx, data, lr, steps)
    scratch = _train_target(scratch_model(width, rng), idx, data, lr, steps)
    linear = _train_target(linear_model(rng), idx, data, lr, steps)
    return TransferRun(per_class, n_frozen, seed, transfer, scratch, linear, pre.source_accuracy)


def run_close_transfer(per_class=5, n_frozen=2, seed=0, width=64, lr=0.3, steps=100, pretrain_epochs=20):
    """The same comparison on the close task: the ten-digit source net, then the pair labels (digit mod 5)
    learnt from `per_class` labelled images of each digit 0-9 (10 * per_class images in all)."""
    pre = pretrain_close(width=width, epochs=pretrain_epochs)
    data = close_data()
    idx = few_labels(data["y_train"], per_class, stream(seed, FEW_CLOSE, per_class, DRAWS))
    rng = stream(seed, FEW_CLOSE, per_class, WEIGHTS)
    transfer = _train_target(transfer_model(pre, n_frozen, rng), idx, data, lr, steps, "p")
    scratch = _train_target(scratch_model(width, rng), idx, data, lr, steps, "p")
    linear = _train_target(linear_model(rng), idx, data, lr, steps, "p")
    return TransferRun(per_class, n_frozen, seed, transfer, scratch, linear, pre.source_accuracy, "close")


def run_task_transfer(task="close", per_class=5, n_frozen=2, seed=0, **kw):
    """The panel's experiment: run_close_transfer (task 'close') or run_transfer (task 'far')."""
    run = {"close": run_close_transfer, "far": run_transfer}[_validate.choice("task", task, TASKS)]
    return run(per_class, n_frozen, seed, **kw)


@dataclass
class BudgetSweep:
    """Test accuracies of shape (len(budgets), n_seeds): transfer[n] with n layers frozen, scratch, linear."""

    budgets: tuple
    transfer: dict
    scratch: np.ndarray
    linear: np.ndarray
    source_accuracy: float

    @property
    def n_seeds(self):
        return self.scratch.shape[1]

    def means(self):
        """{name: mean accuracy per budget} for every model."""
        out = {f"transfer, {n} frozen": a.mean(axis=1) for n, a in self.transfer.items()}
        out["from scratch"] = self.scratch.mean(axis=1)
        out["linear on pixels"] = self.linear.mean(axis=1)
        return out

    def table(self):
        """Mean test accuracy over seeds: one row per labels-per-digit budget, one column per model."""
        means = self.means()
        lines = [f"{'labels/digit':>12}" + "".join(f"{name:>19}" for name in means)]
        for i, b in enumerate(self.budgets):
            lines.append(f"{b:>12}" + "".join(f"{m[i]:>19.3f}" for m in means.values()))
        return "\n".join(lines)

    def gap(self, n_frozen):
        """Per budget: the mean over seeds of (transfer with n_frozen frozen - scratch) on the same labels,
        the smallest of those paired differences, and the spread over seeds (the larger of the two models'
        standard deviations)."""
        diff = self.transfer[n_frozen] - self.scratch
        spread = np.maximum(self.transfer[n_frozen].std(axis=1), self.scratch.std(axis=1))
        return diff.mean(axis=1), diff.min(axis=1), spread

    def gap_table(self, n_frozen):
        """One row per budget: mean gap transfer - scratch, smallest gap over seeds, spread over seeds."""
        mean, low, spread = self.gap(n_frozen)
        lines = [f"{'labels/digit':>12}{'mean gap':>10}{'smallest':>10}{'spread':>9}"]
        lines += [f"{b:>12}{m:>+10.3f}{l:>+10.3f}{s:>9.3f}" for b, m, l, s in zip(self.budgets, mean, low, spread)]
        return "\n".join(lines)


def run_budget_sweep(budgets=BUDGETS, n_seeds=3, frozen=(2, 1, 0), first_seed=0, run=run_transfer, **kw):
    """For every label budget and seed: the transferred net with each number of frozen layers in `frozen`,
    the net from scratch and the linear classifier (run: run_transfer or run_close_transfer; kw go to it)."""
    seeds = range(first_seed, first_seed + _validate.positive_int("n_seeds", n_seeds))
    runs = {n: [[run(b, n, s, **kw) for s in seeds] for b in budgets] for n in frozen}
    first = runs[frozen[0]]
    return BudgetSweep(
        tuple(budgets),
        {n: np.array([[r.transfer_accuracy for r in row] for row in rows]) for n, rows in runs.items()},
        np.array([[r.scratch_accuracy for r in row] for row in first]),
        np.array([[r.linear_accuracy for r in row] for row in first]),
        first[0][0].source_accuracy,
    )


def run_close_sweep(budgets=BUDGETS, n_seeds=5, frozen=(2, 1, 0), first_seed=0, **kw):
    """run_budget_sweep on the close task (ten-digit source, pair labels): where transfer helps."""
    return run_budget_sweep(budgets, n_seeds, frozen, first_seed, run=run_close_transfer, **kw)


def plot_budget_sweep(result, fig, task="digits 5-9"):
    """Mean test accuracy (each seed as a dot) against labels per digit for every model."""
    ax = fig.subplots()
    arrays = {f"transfer, {n} frozen": a for n, a in result.transfer.items()}
    arrays.update({"from scratch": result.scratch, "linear on pixels": result.linear})
    styles = ["o-", "o--", "o:", "s-", "^-"]
    for k, (name, arr) in enumerate(arrays.items()):
        c = f"C{k}"
        ax.plot(result.budgets, arr.mean(axis=1), styles[k % len(styles)], color=c, label=name, ms=4)
        for j in range(result.n_seeds):
            ax.scatter(result.budgets, arr[:, j], s=8, color=c, alpha=0.35)
    ax.axhline(1 / len(TARGET), color="0.6", ls=":", lw=1, label="chance")
    ax.set(xscale="log", xlabel="labelled images per digit", ylabel=f"test accuracy on {task}", ylim=(0, 1.02))
    ax.set_xticks(result.budgets, [str(b) for b in result.budgets])
    ax.minorticks_off()
    ax.legend(loc="lower right", ncol=2)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.95)
    return fig


def plot_transfer(result, fig):
    """Bars: the three accuracies of one run."""
    ax = fig.subplots()
    vals = [result.transfer_accuracy, result.scratch_accuracy, result.linear_accuracy]
    ax.barh([2, 1, 0], vals, color=["C0", "C3", "C4"])
    ax.set_yticks([2, 1, 0], [f"transfer\n({result.n_frozen} frozen)", "from scratch", "linear on pixels"])
    for y, v in zip((2, 1, 0), vals):
        ax.text(v + 0.01, y, f"{v:.3f}", va="center")
    ax.set(
        xlim=(0, 1.12),
        xlabel=f"test accuracy on the {TASKS[result.task]}",
        title=f"{result.per_class} labelled images per digit, seed {result.seed}",
    )
    fig.subplots_adjust(left=0.16, right=0.97, bottom=0.2, top=0.88)  # tight_layout costs ~50 ms
    return fig


def transfer_panel(**overrides):
    """Menus and a slider: the target task, labels per digit, layers frozen, seed. It opens on the close task,
    where transfer pays (the lesson's point); the far task is one menu choice away. `width`, `steps` and
    `pretrain_epochs` (no control) as in run_transfer."""
    values = dict(task="close", per_class=5, n_frozen=2, seed=0, width=64, steps=100, pretrain_epochs=20)
    for name in overrides:
        _validate.choice("setting", name, values)
    values.update(overrides)
    fixed = {k: values[k] for k in ("width", "steps", "pretrain_epochs")}
    return slider_panel(
        run_task_transfer,
        plot_transfer,
        fixed=fixed,
        figsize=(9, 2.8),  # 9 in: the status line
        task=dropdown([(TASKS[t], t) for t in TASKS], values["task"], description="target task"),
        per_class=dropdown(BUDGETS, values["per_class"], description="labels per digit"),
        n_frozen=dropdown((0, 1, 2), values["n_frozen"], description="layers frozen"),
        seed=int_slider(0, 9, values["seed"], description="seed"),
    )
