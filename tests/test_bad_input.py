"""A classroom's inputs to the public API: each bad one raises an InputError (a wrong value) or an InputTypeError
(a value of the wrong kind) whose one-line message names the argument; each odd but meaningful one (a list for an
array, np.int64(3) for 3) is accepted and gives exactly the result of the canonical input."""

import numpy as np
import pytest

import nncourse as nc
from nncourse.blocks import clipping, pruning, regularization, rnn, surfaces
from nncourse.blocks.freezing import freeze, replace_head, weight_changes
from nncourse.blocks.normalization import BatchNorm, Dropout
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import diagnostics, gradcheck, init, losses, metrics, optim, schedules
from nncourse.core._validate import InputError, InputTypeError
from nncourse.core.callbacks import EarlyStopping, EvalCurves, PrintProgress
from nncourse.core.layers import Dense, LeakyReLU, ReLU, get_activation
from nncourse.core.model import Sequential, mlp
from nncourse.datasets import digits, synthetic as data


def R(seed=0):
    return np.random.default_rng(seed)


def _data(n=20):
    return data.make_classification("moons", n, R(0))


def _net(sizes=(2, 3, 1)):
    return mlp(list(sizes), rng=R(1))


def _ran(net, X=None):
    """`net` after one forward pass (some functions need the recorded activations)."""
    net.forward(_data()[0] if X is None else X)
    return net


def _seq_net(frozen=False):
    net = Sequential([rnn.RNN(1, 3, R(2)), rnn.TimeDistributed(Dense(3, 1, R(3)))])
    return freeze(net, 2) if frozen else net


def _echo(n=4):
    return rnn.make_delayed_echo(n, 5, 1, R(4))


def _with(arr, index, value):
    arr = np.array(arr, dtype=np.float64)
    arr[index] = value
    return arr


X, Y = _data()

SIZES = [
    pytest.param(lambda: init.he_normal((0, 3), R()), InputError, "^shape must be", id="he_normal fan_in 0"),
    pytest.param(lambda: init.he_normal((-2, 3), R()), InputError, "^shape must be", id="he_normal fan_in < 0"),
    pytest.param(
        lambda: init.glorot_uniform((2.5, 3), R()), InputTypeError, "^shape must be", id="glorot_uniform float fan_in"
    ),
    pytest.param(lambda: init.zeros((2, 3, 4)), InputTypeError, "^shape must be", id="zeros 3-D shape"),
    pytest.param(
        lambda: init.promised_variance("he_normal", (0, 4)),
        InputError,
        "^shape must be",
        id="promised_variance fan_in 0",
    ),
    pytest.param(lambda: data.make_moons(0, R()), InputError, "^n must be a positive integer", id="make_moons n=0"),
    pytest.param(lambda: data.make_moons(-1, R()), InputError, "^n must be a positive integer", id="make_moons n<0"),
    pytest.param(lambda: data.make_circles(0, R()), InputError, "^n must be", id="make_circles n=0"),
    pytest.param(lambda: data.make_xor(0, R()), InputError, "^n must be", id="make_xor n=0"),
    pytest.param(lambda: data.make_spiral(0, R()), InputError, "^n must be", id="make_spiral n=0"),
    pytest.param(lambda: data.make_gaussians(-5, R()), InputError, "^n must be", id="make_gaussians n<0"),
    pytest.param(
        lambda: data.make_circles(10, R(), factor=1.5), InputError, "^factor must be", id="make_circles factor > 1"
    ),
    pytest.param(lambda: data.make_spiral(10, R(), turns=0), InputError, "^turns must be", id="make_spiral turns 0"),
    pytest.param(
        lambda: data.make_gaussians(10, R(), distance=-1),
        InputError,
        "^distance must be",
        id="make_gaussians distance < 0",
    ),
    pytest.param(lambda: data.make_xor(10, R(), noise=-0.1), InputError, "^noise must be", id="make_xor noise < 0"),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, batch_size=21, rng=R()), InputError, "^batch_size must be", id="fit batch_size > N"
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), *_echo(), loss="bce_with_logits", batch_size=5, rng=R()),
        InputError,
        "^batch_size must be",
        id="fit sequences batch_size > N",
    ),
    pytest.param(
        lambda: nc.fit(_net(), *_data(), skip=1), InputError, r"^skip must be 0 for 2-D data X", id="fit skip, 2-D X"
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), *_echo(), skip=5),
        InputError,
        r"^skip must be an integer in \[0, T - 1\]",
        id="fit skip = T",
    ),
    pytest.param(lambda: surfaces.quadratic().grid(1), InputError, "^resolution must be", id="grid resolution 1"),
    pytest.param(
        lambda: surfaces.quadratic_regime(0.1, (1.0,), steps=0),
        InputError,
        "^steps must be",
        id="quadratic_regime steps 0",
    ),
    pytest.param(lambda: pruning.remaining_counts(-3, 0.2, 2), InputError, "^n must be", id="remaining_counts n<0"),
    pytest.param(
        lambda: pruning.remaining_counts(10, 0.2, -1), InputError, "^rounds must be", id="remaining_counts rounds<0"
    ),
    pytest.param(
        lambda: pruning.iterative_pruning(pruning.prunable(_net()), lambda m, k: k, 0.0, 0.2),
        InputTypeError,
        "^rounds must be",
        id="iterative_pruning rounds 0.0",
    ),
]

TYPES = [
    pytest.param(lambda: optim.SGD("0.1"), InputTypeError, "^learning rate must be", id="lr string"),
    pytest.param(lambda: optim.SGD(True), InputTypeError, "^learning rate must be", id="lr bool"),
    pytest.param(lambda: optim.SGD(np.True_), InputTypeError, "^learning rate must be", id="lr numpy bool"),
    pytest.param(lambda: optim.SGD(0.1, momentum=True), InputTypeError, "^momentum must be", id="momentum bool"),
    pytest.param(
        lambda: optim.SGD(0.1, momentum=0.5, nesterov="yes"), InputTypeError, "^nesterov must be", id="nesterov string"
    ),
    pytest.param(lambda: nc.fit(_net(), X, Y, epochs="3"), InputTypeError, "^epochs must be", id="epochs string"),
    pytest.param(
        lambda: nc.fit(_net(), "X.csv", Y), InputTypeError, "^X must be an array of numbers", id="fit X string"
    ),
    pytest.param(
        lambda: nc.fit(_net(), np.array([["1", "2"]] * 20), Y),
        InputTypeError,
        "^X must be an array",
        id="fit X array of text",
    ),
    pytest.param(
        lambda: nc.fit(_net(), [[1.0, 2.0], [3.0]], Y[:2]),
        InputTypeError,
        "^X must be an array",
        id="fit X ragged lists",
    ),
    pytest.param(lambda: _net().predict("ab"), InputTypeError, "^x must be an array", id="predict string"),
    pytest.param(lambda: nc.fit(None, X, Y), InputTypeError, "^model must be", id="fit model None"),
    pytest.param(
        lambda: nc.fit([Dense(2, 1, R())], X, Y), InputTypeError, "^model must be.*Sequential", id="fit list of layers"
    ),
    pytest.param(lambda: nc.accuracy("net", X, Y), InputTypeError, "^model must be", id="accuracy model string"),
    pytest.param(lambda: Dense("2", 3, R()), InputTypeError, "^n_in must be", id="Dense n_in string"),
    pytest.param(lambda: Dense(True, 3, R()), InputTypeError, "^n_in must be", id="Dense n_in bool"),
    pytest.param(lambda: data.make_moons("5", R()), InputTypeError, "^n must be", id="make_moons n string"),
    pytest.param(
        lambda: data.make_classification("moons", True, R()),
        InputTypeError,
        "^n must be",
        id="make_classification n bool",
    ),
    pytest.param(
        lambda: data.make_quadratic_regression(5, R(), x1_range="ab"),
        InputTypeError,
        "^x1_range must be",
        id="x1_range string",
    ),
    pytest.param(
        lambda: data.train_test_split(X, Y, R(), "a"),
        InputTypeError,
        "^test_fraction must be",
        id="test_fraction string",
    ),
    pytest.param(lambda: Dropout("0.5", R()), InputTypeError, "^dropout rate must be", id="dropout rate string"),
    pytest.param(lambda: BatchNorm(3, momentum="a"), InputTypeError, "^momentum must be", id="BatchNorm momentum"),
    pytest.param(lambda: init.uniform((2, 3), R(), low="a"), InputTypeError, "^low must be", id="uniform low"),
    pytest.param(lambda: init.constant((2, 3), value="a"), InputTypeError, "^value must be", id="constant value"),
    pytest.param(lambda: init.initializer(3), InputTypeError, "^init must be", id="init number"),
    pytest.param(lambda: mlp(3, rng=R()), InputTypeError, "^sizes must be", id="mlp sizes int"),
    pytest.param(lambda: mlp("231", rng=R()), InputTypeError, "^sizes must be", id="mlp sizes string"),
    pytest.param(
        lambda: Sequential([Dense(2, 3, R()), ReLU]),
        InputTypeError,
        "Layer objects.*position 1",
        id="Sequential of a class",
    ),
    pytest.param(
        lambda: Sequential(Dense(2, 3, R())),
        InputTypeError,
        "^Sequential takes a list of layers",
        id="Sequential of one layer",
    ),
    pytest.param(lambda: Sequential(3), InputTypeError, "^Sequential takes", id="Sequential of an int"),
    pytest.param(
        lambda: ResidualBlock(["relu"]),
        InputTypeError,
        "^ResidualBlock takes Layer objects",
        id="ResidualBlock of a string",
    ),
    pytest.param(
        lambda: rnn.TimeDistributed("dense"),
        InputTypeError,
        "^TimeDistributed takes a Layer",
        id="TimeDistributed of a string",
    ),
    pytest.param(lambda: rnn.make_delayed_echo(3, 4, "1", R()), InputTypeError, "^lag must be", id="lag string"),
    pytest.param(lambda: freeze(_net(), 1.0), InputTypeError, "^upto must be", id="freeze upto float"),
    pytest.param(lambda: freeze("net", 1), InputTypeError, "^model must be a Sequential", id="freeze non-model"),
    pytest.param(
        lambda: replace_head(3, 2, R()), InputTypeError, "^model must be a Sequential", id="replace_head non-model"
    ),
    pytest.param(
        lambda: digits.split_digits(R(), classes="01"), InputTypeError, "^classes must be", id="classes string"
    ),
    pytest.param(
        lambda: digits.split_digits(R(), test_fraction="a"),
        InputTypeError,
        "^test_fraction must be",
        id="split test_fraction string",
    ),
    pytest.param(
        lambda: clipping.clip_by_value([[1.0, 5.0]], 1.0), InputTypeError, "^grads must be", id="clip nested lists"
    ),
    pytest.param(
        lambda: clipping.clip_by_norm(np.ones((2, 2)), 1.0), InputTypeError, "^grads must be", id="clip bare array"
    ),
    pytest.param(
        lambda: gradcheck.numerical_gradient(lambda: np.zeros(1), [1.0], np.ones(1)),
        InputTypeError,
        "^x must be a float numpy array",
        id="numerical_gradient list",
    ),
    pytest.param(
        lambda: gradcheck.check_layer("dense", np.ones((2, 2)), R()),
        InputTypeError,
        "^layer must be",
        id="check_layer non-layer",
    ),
    pytest.param(
        lambda: surfaces.run_path("quadratic", optim.SGD(0.1)),
        InputTypeError,
        "^surface must be",
        id="run_path surface name",
    ),
    pytest.param(
        lambda: surfaces.contraction("a", [1.0]), InputTypeError, "^learning rate must be", id="contraction lr string"
    ),
    pytest.param(lambda: surfaces.critical_lr(10.0), InputTypeError, "^curvatures must be", id="critical_lr number"),
    pytest.param(
        lambda: pruning.rewind(pruning.prunable(_net()), 3), InputTypeError, "^weights must be", id="rewind weights int"
    ),
    pytest.param(
        lambda: EvalCurves(train=X), InputTypeError, "^EvalCurves train must be a pair", id="EvalCurves set not a pair"
    ),
    pytest.param(
        lambda: PrintProgress("10"),
        InputTypeError,
        "^every must be a positive integer",
        id="PrintProgress every string",
    ),
]

SHAPES = [
    pytest.param(
        lambda: nc.accuracy(_net((2, 3, 3)), X, Y),
        InputError,
        "y must be class labels.*got shape",
        id="accuracy K logits, (N, 1) labels",
    ),
    pytest.param(
        lambda: nc.accuracy(_net((2, 3, 3)), X, np.eye(2)[Y.ravel().astype(int)]),
        InputError,
        r"y must be class labels.*\(20, 3\)",
        id="accuracy one-hot of the wrong K",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, np.hstack([Y, Y])),
        InputError,
        "y must be 0/1 labels",
        id="accuracy 1 logit, (N, 2) labels",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, Y[:10]),
        InputError,
        r"y must be 0/1 labels of shape \(20,\)",
        id="accuracy fewer labels than rows",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, 2 * Y), InputError, "y must hold 0/1 labels", id="accuracy labels not 0/1"
    ),
    pytest.param(
        lambda: nc.accuracy(_net((2, 3, 3)), X, np.full(20, 3)),
        InputError,
        "y must hold class labels 0..2",
        id="accuracy class label out of range",
    ),
    pytest.param(
        lambda: nc.evaluate(_net(), np.zeros((5, 3)), np.zeros((5, 1))),
        InputError,
        r"^X does not fit the model.*\(N, 2\), got \(5, 3\)",
        id="evaluate X too wide",
    ),
    pytest.param(lambda: nc.evaluate(_net(), X, Y.ravel()), InputError, "^y must be a 2-D array", id="evaluate y 1-D"),
    pytest.param(
        lambda: nc.evaluate(_net(), X, Y[:5]),
        InputError,
        "^X and y must have the same number of rows",
        id="evaluate rows differ",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, X_val=X[:, :1], y_val=Y),
        InputError,
        "^X_val does not fit",
        id="fit X_val too narrow",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, X_val=X, y_val=Y[:5]),
        InputError,
        "^X_val and y_val must have",
        id="fit X_val, y_val rows differ",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, X_val=X, y_val=np.hstack([Y, Y])),
        InputError,
        "^y_val must have",
        id="fit y_val columns",
    ),
    pytest.param(
        lambda: _net().predict([1.0, 2.0]),
        InputError,
        r"^x does not fit.*reshape\(1, -1\)",
        id="predict one 1-D sample",
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), np.zeros((4, 5, 2)), _echo()[1], loss="bce_with_logits"),
        InputError,
        r"^X does not fit the model.*\(N, T, 1\)",
        id="fit sequences X too wide",
    ),
    pytest.param(
        lambda: metrics.sequence_accuracy(_seq_net(), _echo()[0], _echo()[1][:, :3]),
        InputError,
        "^y must have the shape of the model's output",
        id="sequence_accuracy y steps",
    ),
    pytest.param(
        lambda: losses.mse(np.zeros((2, 1)), np.zeros(2)), InputError, "^predictions .* same shape", id="mse shapes"
    ),
    pytest.param(
        lambda: data.Standardizer().fit(X).transform(X[:, :1]),
        InputError,
        "^X must have the 2 columns",
        id="Standardizer transform width",
    ),
    pytest.param(lambda: data.Standardizer().transform(X), InputError, "call fit", id="Standardizer not fit"),
    pytest.param(
        lambda: _net().set_weights([{"W": np.zeros((5, 5))}] * 3),
        InputError,
        r"^weights\[0\] must hold",
        id="set_weights missing key",
    ),
    pytest.param(
        lambda: _net().set_weights([{"W": np.zeros((5, 5)), "b": np.zeros(3)}] * 3),
        InputError,
        r"^weights\[0\]\['W'\] must have shape \(2, 3\)",
        id="set_weights shape",
    ),
    pytest.param(
        lambda: weight_changes(_net().get_weights()[:1], _net()),
        InputError,
        "^expected weights for 3",
        id="weight_changes too few",
    ),
    pytest.param(
        lambda: gradcheck.relative_error(np.zeros(2), np.zeros(3)),
        InputError,
        "^a and b must have",
        id="relative_error shapes",
    ),
    pytest.param(lambda: digits.softmax(np.zeros(3)), InputError, r"^logits must be a 2-D array", id="softmax 1-D"),
    pytest.param(
        lambda: metrics.label_accuracy(np.zeros(3), [0, 1, 0]),
        InputError,
        "^logits must be a 2-D",
        id="label_accuracy 1-D logits",
    ),
    pytest.param(
        lambda: metrics.label_accuracy(np.zeros((2, 3)), np.eye(2)),
        InputError,
        "y must be class labels",
        id="label_accuracy one-hot of the wrong K",
    ),
    pytest.param(
        lambda: diagnostics.dead_unit_fraction(np.zeros(3)),
        InputError,
        r"^z must be \(N, units\)",
        id="dead_unit_fraction 1-D",
    ),
    pytest.param(lambda: surfaces.quadratic(start=3), InputError, "^start must be", id="quadratic start scalar"),
    pytest.param(
        lambda: Dense(2, 3, R()).backward(np.zeros((1, 3))),
        InputError,
        "needs a forward pass first",
        id="Dense backward before forward",
    ),
    pytest.param(
        lambda: _net().backward(np.zeros((1, 1))),
        InputError,
        "needs a forward pass first",
        id="Sequential backward before forward",
    ),
    pytest.param(
        lambda: _ran(_net()).backward(np.zeros((3, 1))),
        InputError,
        r"^dout must have the shape",
        id="Sequential backward dout rows",
    ),
    pytest.param(
        lambda: diagnostics.layer_stats(_net()),
        InputError,
        "needs a forward pass first",
        id="layer_stats before forward",
    ),
    pytest.param(
        lambda: diagnostics.format_table([{"a": 1}], ["b"]),
        InputError,
        r"no column 'b'",
        id="format_table missing column",
    ),
]

NON_FINITE = [
    pytest.param(lambda: _net().predict(_with(X, (3, 1), np.nan)), InputError, "^x contains NaN", id="predict NaN"),
    pytest.param(
        lambda: _net().forward(_with(X, (0, 0), np.inf)), InputError, "^x contains NaN or infinite", id="forward inf"
    ),
    pytest.param(
        lambda: nc.evaluate(_net(), _with(X, 0, np.nan), Y), InputError, "^X contains NaN", id="evaluate X NaN"
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), _with(X, 0, -np.inf), Y), InputError, "^X contains NaN", id="accuracy X -inf"
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, _with(Y, 0, np.nan)), InputError, "^y contains NaN", id="accuracy y NaN"
    ),
    pytest.param(
        lambda: metrics.sequence_accuracy(_seq_net(), _with(_echo()[0], (0, 0, 0), np.nan), _echo()[1]),
        InputError,
        "^X contains NaN",
        id="sequence_accuracy X NaN",
    ),
    pytest.param(
        lambda: gradcheck.check_model(_net(), "mse", _with(X, 0, np.nan), Y),
        InputError,
        "^X contains",
        id="check_model X NaN",
    ),
    pytest.param(
        lambda: data.Standardizer().fit(X).transform(_with(X, 0, np.inf)),
        InputError,
        "^X contains",
        id="Standardizer transform inf",
    ),
    pytest.param(lambda: optim.Adam(0.1, beta1=np.nan), InputError, "^beta1 must be", id="beta1 NaN"),
    pytest.param(lambda: optim.SGD(0.1, momentum=np.nan), InputError, "^momentum must be", id="momentum NaN"),
    pytest.param(lambda: BatchNorm(3, momentum=np.nan), InputError, "^momentum must be", id="BatchNorm momentum NaN"),
    pytest.param(lambda: Dropout(np.nan, R()), InputError, "^dropout rate must be", id="dropout rate NaN"),
    pytest.param(lambda: init.normal((2, 2), R(), mean=np.nan), InputError, "^mean must be", id="normal mean NaN"),
    pytest.param(
        lambda: init.orthogonal((2, 2), R(), gain=np.inf), InputError, "^gain must be", id="orthogonal gain inf"
    ),
    pytest.param(
        lambda: data.make_circles(10, R(), factor=np.nan), InputError, "^factor must be", id="make_circles factor NaN"
    ),
    pytest.param(
        lambda: data.make_quadratic_regression(5, R(), x1_range=(np.nan, 1.0)),
        InputError,
        "^x1_range must be",
        id="x1_range NaN",
    ),
    pytest.param(lambda: diagnostics.std_ratio([1.0, np.nan]), InputError, "^stds contains NaN", id="std_ratio NaN"),
    pytest.param(
        lambda: surfaces.rosenbrock(a=np.nan), InputError, "^a must be a finite number", id="rosenbrock a NaN"
    ),
    pytest.param(
        lambda: gradcheck.relative_error([np.nan], [1.0]), InputError, "^a contains NaN", id="relative_error NaN"
    ),
]

EMPTY = [
    pytest.param(
        lambda: nc.fit(_net(), np.zeros((0, 2)), np.zeros((0, 1))), InputError, "^X has no rows", id="fit 0 rows"
    ),
    pytest.param(
        lambda: nc.fit(_net(), np.zeros((20, 0)), Y), InputError, r"^X has shape \(20, 0\)", id="fit 0 columns"
    ),
    pytest.param(
        lambda: nc.evaluate(_net(), np.zeros((0, 2)), np.zeros((0, 1))),
        InputError,
        "^X has no rows",
        id="evaluate 0 rows",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), np.zeros((0, 2)), np.zeros((0, 1))),
        InputError,
        "^X has no rows",
        id="accuracy 0 rows",
    ),
    pytest.param(lambda: _net().predict(np.zeros((0, 2))), InputError, "^x has no rows", id="predict 0 rows"),
    pytest.param(
        lambda: data.train_test_split(np.zeros((0, 2)), np.zeros((0, 1)), R()),
        InputError,
        "^X has no rows",
        id="train_test_split 0 rows",
    ),
    pytest.param(
        lambda: data.train_test_split(X[:2], Y[:2], R(), 0.9),
        InputError,
        "^test_fraction=0.9 of 2 rows",
        id="train_test_split leaves no training rows",
    ),
    pytest.param(
        lambda: data.Standardizer().fit(np.zeros((0, 2))), InputError, "^X has no rows", id="Standardizer 0 rows"
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), np.zeros((0, 3, 1)), np.zeros((0, 3, 1))),
        InputError,
        "^X has no rows",
        id="fit 0 sequences",
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), np.zeros((2, 0, 1)), np.zeros((2, 0, 1))),
        InputError,
        r"^X has shape \(2, 0, 1\)",
        id="fit sequences of 0 steps",
    ),
    pytest.param(lambda: losses.mse(np.zeros((0, 1)), np.zeros((0, 1))), InputError, "no entries", id="mse of nothing"),
    pytest.param(
        lambda: metrics.label_accuracy(np.zeros((0, 3)), np.zeros(0, int)),
        InputError,
        "^logits has no rows",
        id="label_accuracy 0 rows",
    ),
    pytest.param(
        lambda: digits.few_labels(np.array([], int), 1, R()), InputError, "^y has no rows", id="few_labels no labels"
    ),
    pytest.param(lambda: pruning.dead_units(np.zeros((0, 3))), InputError, "^z has no rows", id="dead_units 0 rows"),
    pytest.param(
        lambda: diagnostics.dead_unit_fraction(np.zeros((0, 3))),
        InputError,
        "^z has no rows",
        id="dead_unit_fraction 0 rows",
    ),
    pytest.param(
        lambda: EvalCurves(train=(np.zeros((0, 2)), np.zeros((0, 1)))),
        InputError,
        "^train X has no rows",
        id="EvalCurves empty set",
    ),
    pytest.param(
        lambda: diagnostics.backprop_probe(_net(), np.zeros((0, 2)), R()),
        InputError,
        "^X has no rows",
        id="backprop_probe 0 rows",
    ),
    pytest.param(
        lambda: gradcheck.relative_error([], []),
        InputError,
        "^a and b must have the same non-empty",
        id="relative_error empty",
    ),
    pytest.param(lambda: surfaces.critical_lr([]), InputError, "^curvatures must hold", id="critical_lr empty"),
    pytest.param(
        lambda: regularization.near_zero_fraction(Sequential([ReLU()])),
        InputError,
        "no trainable weight matrices",
        id="near_zero_fraction no weights",
    ),
]

NAMES = [
    pytest.param(
        lambda: get_activation("relu", alpha=0.1),
        InputTypeError,
        "^unknown setting 'alpha' for activation",
        id="activation setting it does not take",
    ),
    pytest.param(
        lambda: mlp([2, 3, 1], "leaky_relu", rng=R(), slope=0.1),
        InputTypeError,
        "^unknown setting 'slope'.*alpha",
        id="mlp activation setting",
    ),
    pytest.param(
        lambda: optim.get_optimizer("sgd", 0.1, beta1=0.9),
        InputTypeError,
        "^unknown setting 'beta1' for optimizer 'sgd'; it takes: momentum, nesterov",
        id="get_optimizer setting",
    ),
    pytest.param(
        lambda: optim.get_optimizer("adam", 0.1, beta_1=0.9),
        InputTypeError,
        "^unknown setting 'beta_1'.*did you mean 'beta1'",
        id="get_optimizer typo",
    ),
    pytest.param(
        lambda: schedules.get_schedule("step", gamma=0.5),
        InputTypeError,
        "^unknown setting 'gamma' for schedule 'step'",
        id="get_schedule setting",
    ),
    pytest.param(
        lambda: init.initializer("he_normal", gain=2.0),
        InputTypeError,
        "^unknown setting 'gain' for initializer 'he_normal'; it takes no settings",
        id="initializer setting",
    ),
    pytest.param(
        lambda: surfaces.get_surface("quadratic", lam=2.0),
        InputTypeError,
        "^unknown setting 'lam' for surface",
        id="get_surface setting",
    ),
    pytest.param(
        lambda: diagnostics.saturated_fraction(np.zeros(3), "sigmod"),
        InputError,
        "^unknown activation 'sigmod'.*did you mean 'sigmoid'",
        id="saturated_fraction typo",
    ),
    pytest.param(lambda: nc.fit(_net(), X, Y, loss=3), InputTypeError, "^loss must be a name", id="loss number"),
    pytest.param(
        lambda: nc.evaluate(_net(), X, Y, loss=["mse"]),
        InputTypeError,
        "^loss must be a name",
        id="evaluate loss in a list",
    ),
]

OPTIONAL = [
    pytest.param(
        lambda: nc.fit(_net(), X, Y, batch_size=5, rng=3),
        InputTypeError,
        r"^rng must be a numpy.random.Generator \(np.random.default_rng\(3\)\)",
        id="fit rng int",
    ),
    pytest.param(lambda: nc.fit(_net(), X, Y, rng="seed"), InputTypeError, "^rng must be", id="fit rng string"),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, batch_size=5, rng=-3),
        InputTypeError,
        r"^rng must be a numpy.random.Generator \(np.random.default_rng\(seed\)\)",
        id="fit rng negative int",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, clip="norm"), InputTypeError, "^clip must be a function", id="fit clip string"
    ),
    pytest.param(lambda: nc.fit(_net(), X, Y, clip=1.0), InputTypeError, "^clip must be", id="fit clip number"),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, callbacks=["stop"]),
        InputTypeError,
        r"^callbacks\[0\] must have",
        id="fit callbacks of strings",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, callbacks=3), InputTypeError, "^callbacks must be", id="fit callbacks int"
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, regularizer="l2"),
        InputTypeError,
        "^regularizer must be",
        id="fit regularizer string",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, optimizer=optim.SGD),
        InputTypeError,
        "^optimizer must be an Optimizer.*the class SGD",
        id="fit optimizer class",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, optimizer="adam"),
        InputTypeError,
        r"^optimizer must be an Optimizer.*get_optimizer\('adam', lr\)",
        id="fit optimizer name",
    ),
    pytest.param(
        lambda: nc.fit(_net(), X, Y, X_val=X), InputError, "^give both X_val and y_val", id="fit X_val without y_val"
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), *_echo(), loss="bce_with_logits", clip="norm"),
        InputTypeError,
        "^clip must be",
        id="fit sequences clip string",
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(), *_echo(), loss="bce_with_logits", rng=1),
        InputTypeError,
        "^rng must be",
        id="fit sequences rng int",
    ),
    pytest.param(
        lambda: pruning.iterative_pruning(pruning.prunable(_net()), None, 1, 0.2),
        InputTypeError,
        "^train must be a function",
        id="iterative_pruning train None",
    ),
    pytest.param(
        lambda: gradcheck.check_layer(Dense(2, 2, R()), np.ones((2, 2)), None),
        InputTypeError,
        "^rng must be",
        id="check_layer rng None",
    ),
    pytest.param(
        lambda: init.glorot_uniform((2, 3), None), InputTypeError, "^rng must be", id="glorot_uniform rng None"
    ),
    pytest.param(lambda: data.make_xor(5, 3), InputTypeError, "^rng must be", id="make_xor rng int"),
    pytest.param(lambda: data.train_test_split(X, Y, None), InputTypeError, "^rng must be", id="split rng None"),
    pytest.param(
        lambda: rnn.recurrent_weights("normal", 3, None),
        InputTypeError,
        "^rng must be",
        id="recurrent_weights rng None",
    ),
    pytest.param(
        lambda: digits.few_labels(np.array([0, 1, 1]), 1, 7), InputTypeError, "^rng must be", id="few_labels rng int"
    ),
    pytest.param(
        lambda: EarlyStopping(restore_best="yes"),
        InputTypeError,
        "^restore_best must be True or False",
        id="EarlyStopping restore_best string",
    ),
]

FROZEN = [
    pytest.param(
        lambda: nc.fit(freeze(_net(), 2), X, Y),
        InputError,
        r"every layer of the model is frozen.*freeze\(model",
        id="fit all frozen",
    ),
    pytest.param(
        lambda: nc.fit(_seq_net(frozen=True), *_echo(), loss="bce_with_logits"),
        InputError,
        "every layer of the model is frozen",
        id="fit sequences all frozen",
    ),
    pytest.param(
        lambda: nc.fit(Sequential([ReLU()]), X, Y[:, [0, 0]]),
        InputError,
        "the model has no parameters to train",
        id="fit model without parameters",
    ),
]


def _rejects(call, kind, match):
    with pytest.raises(kind, match=match) as info:
        call()
    assert type(info.value) is kind
    assert isinstance(info.value, ValueError)  # a panel's `except ValueError` catches every kind
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("call, kind, match", SIZES)
def test_bad_size(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", TYPES)
def test_value_of_the_wrong_kind(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", SHAPES)
def test_bad_shape(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", NON_FINITE)
def test_non_finite_value(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", EMPTY)
def test_empty_data(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", NAMES)
def test_unknown_name_or_setting(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", OPTIONAL)
def test_bad_optional_argument(call, kind, match):
    _rejects(call, kind, match)


@pytest.mark.parametrize("call, kind, match", FROZEN)
def test_model_with_nothing_to_train(call, kind, match):
    _rejects(call, kind, match)


def test_a_partly_frozen_model_still_trains():
    net = freeze(_net(), 1)
    before = net.get_weights()
    nc.fit(net, X, Y, lr=0.1, epochs=2)
    assert weight_changes(before, net)[0] == 0.0 and weight_changes(before, net)[1] > 0


def test_rendered_traceback_is_one_line():
    with pytest.raises(InputTypeError) as info:
        nc.fit(_net(), X, Y, rng=3)
    lines = info.value._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0] and "rng must be" in lines[0]


# --- accepted: each pair must give exactly the same result ------------------------------------------------


def _fit_loss(X_=X, y_=Y, **kw):
    return nc.fit(_net(), X_, y_, loss="bce_with_logits", **{"lr": 0.5, "epochs": 3, **kw}).loss


def _run_with(callbacks):
    stopper = EarlyStopping(patience=1)
    hist = nc.fit(
        _net(), X, Y, lr=0.5, epochs=5, X_val=X, y_val=Y, callbacks=stopper if callbacks == "single" else [stopper]
    )
    return hist.loss, stopper.best_epoch


class _Count:
    """A callback that only counts epochs."""

    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, epoch, history, model, optimizer):
        self.epochs += 1
        return False


def _counted(wrap):
    """Loss and epochs seen by a counting callback, handed to fit as wrap(counter)."""
    counter = _Count()
    return _fit_loss(callbacks=wrap(counter)), counter.epochs


def _net_k(k=3):
    return mlp([2, 4, k], rng=R(5))


LABELS = np.array([0, 1, 2, 1, 0] * 4)

ACCEPTED = [
    pytest.param(lambda: _fit_loss(X.tolist(), Y.tolist()), lambda: _fit_loss(), id="fit on lists"),
    pytest.param(lambda: _fit_loss(epochs=np.int64(3)), lambda: _fit_loss(epochs=3), id="epochs np.int64"),
    pytest.param(lambda: _fit_loss(epochs=np.array(3)), lambda: _fit_loss(epochs=3), id="epochs 0-d array"),
    pytest.param(lambda: _fit_loss(lr=np.float64(0.5)), lambda: _fit_loss(lr=0.5), id="lr np.float64"),
    pytest.param(lambda: _fit_loss(lr=np.array(0.5)), lambda: _fit_loss(lr=0.5), id="lr 0-d array"),
    pytest.param(
        lambda: _fit_loss(batch_size=np.int32(7), rng=R(9)),
        lambda: _fit_loss(batch_size=7, rng=R(9)),
        id="batch_size np.int32",
    ),
    pytest.param(lambda: _fit_loss(batch_size=20), lambda: _fit_loss(), id="batch_size N is the full batch"),
    pytest.param(lambda: _fit_loss(callbacks=None), lambda: _fit_loss(), id="callbacks None"),
    pytest.param(lambda: _run_with("single"), lambda: _run_with("list"), id="one callback, not in a list"),
    pytest.param(
        lambda: _counted(lambda c: (c for c in [c])), lambda: _counted(lambda c: [c]), id="callbacks generator"
    ),
    pytest.param(lambda: _net().predict(X.tolist()), lambda: _net().predict(X), id="predict list"),
    pytest.param(lambda: _net().forward(X[:3].tolist()), lambda: _net().forward(X[:3]), id="forward list"),
    pytest.param(
        lambda: Dense(2, 3, R()).forward([[1.0, 2.0]]),
        lambda: Dense(2, 3, R()).forward(np.array([[1.0, 2.0]])),
        id="Dense forward list",
    ),
    pytest.param(
        lambda: rnn.RNN(1, 3, R()).forward([[[1.0], [0.5]]]),
        lambda: rnn.RNN(1, 3, R()).forward(np.array([[[1.0], [0.5]]])),
        id="RNN forward list",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, Y.ravel()),
        lambda: nc.accuracy(_net(), X, Y),
        id="accuracy 0/1 labels (N,) = (N, 1)",
    ),
    pytest.param(
        lambda: nc.accuracy(_net(), X, Y.ravel().tolist()),
        lambda: nc.accuracy(_net(), X, Y),
        id="accuracy labels as a list",
    ),
    pytest.param(
        lambda: nc.accuracy(_net_k(), X, LABELS),
        lambda: float(np.mean(np.argmax(_net_k().predict(X), axis=1) == LABELS)),
        id="accuracy K logits, class labels",
    ),
    pytest.param(
        lambda: nc.accuracy(_net_k(), X, digits.one_hot(LABELS, 3)),
        lambda: nc.accuracy(_net_k(), X, LABELS),
        id="accuracy one-hot = class labels",
    ),
    pytest.param(
        lambda: nc.evaluate(_net(), X.tolist(), Y.tolist()), lambda: nc.evaluate(_net(), X, Y), id="evaluate lists"
    ),
    pytest.param(lambda: data.make_moons(np.int64(10), R()), lambda: data.make_moons(10, R()), id="n np.int64"),
    pytest.param(
        lambda: data.make_classification("xor", np.array(10), R(), noise=np.float32(0.5)),
        lambda: data.make_classification("xor", 10, R(), noise=float(np.float32(0.5))),
        id="n 0-d array, noise np.float32",
    ),
    pytest.param(
        lambda: data.train_test_split(X.tolist(), Y.tolist(), R()),
        lambda: data.train_test_split(X, Y, R()),
        id="train_test_split lists",
    ),
    pytest.param(
        lambda: Dense(np.int64(2), np.int32(3), R()).params["W"],
        lambda: Dense(2, 3, R()).params["W"],
        id="Dense sizes numpy ints",
    ),
    pytest.param(lambda: init.zeros(3), lambda: init.zeros((3,)), id="shape as an int"),
    pytest.param(lambda: init.he_normal([4, 2], R()), lambda: init.he_normal((4, 2), R()), id="shape as a list"),
    pytest.param(
        lambda: Dropout(np.float32(0.25), R()).rate, lambda: Dropout(0.25, R()).rate, id="dropout rate np.float32"
    ),
    pytest.param(
        lambda: optim.SGD(0.1, momentum=np.float64(0.9), nesterov=np.True_).nesterov,
        lambda: optim.SGD(0.1, momentum=0.9, nesterov=True).nesterov,
        id="nesterov np.bool_",
    ),
    pytest.param(lambda: LeakyReLU(np.float32(0.25)).alpha, lambda: LeakyReLU(0.25).alpha, id="alpha np.float32"),
    pytest.param(
        lambda: freeze(_net(), np.int64(1)).layers[0].trainable,
        lambda: freeze(_net(), 1).layers[0].trainable,
        id="freeze upto np.int64",
    ),
    pytest.param(
        lambda: losses.mse([[1.0], [2.0]], [[0.0], [0.0]]),
        lambda: losses.mse(np.array([[1.0], [2.0]]), np.zeros((2, 1))),
        id="mse lists",
    ),
    pytest.param(
        lambda: metrics.label_accuracy([[1.0, 0.0], [0.0, 1.0]], [0, 0]),
        lambda: metrics.label_accuracy(np.eye(2), np.array([0, 0])),
        id="label_accuracy lists",
    ),
    pytest.param(
        lambda: gradcheck.check_model(_net(), "mse", X[:4], Y[:4]),
        lambda: gradcheck.check_model(_net(), losses.mse, X[:4], Y[:4]),
        id="check_model loss by name",
    ),
    pytest.param(
        lambda: surfaces.steps_to_shrink(np.float32(0.5), [np.int64(1)]),
        lambda: surfaces.steps_to_shrink(float(np.float32(0.5)), [1]),
        id="surfaces numpy scalars",
    ),
    pytest.param(
        lambda: schedules.StepDecay(factor=np.float64(0.5), step_size=np.int64(2)).lr_for_epoch(1.0, 5),
        lambda: schedules.StepDecay(factor=0.5, step_size=2).lr_for_epoch(1.0, 5),
        id="schedule numpy knobs",
    ),
    pytest.param(
        lambda: pruning.remaining_counts(np.int64(100), 0.2, np.int64(3)),
        lambda: pruning.remaining_counts(100, 0.2, 3),
        id="remaining_counts numpy ints",
    ),
]


@pytest.mark.parametrize("call, canonical", ACCEPTED)
def test_accepted_input_gives_the_canonical_result(call, canonical):
    np.testing.assert_equal(call(), canonical())


# --- a lesson's parameters, as its parameters cell (or papermill) hands them to the lesson's experiments --------

from nncourse.lessons import backpropagation as _bp, learning_rate_and_optimizers as _lr, recurrent_networks as _rec  # noqa: E402

LESSON_PARAMETERS = [
    (lambda: _lr.run_lr_sweep(seed=-1), InputError, "seed must be a non-negative whole number"),
    (lambda: _lr.run_lr_sweep(seed="a"), InputTypeError, "seed must be a non-negative whole number"),
    (lambda: _lr.run_lr_sweep(seed=1.5), InputError, "seed must be a non-negative whole number"),
    (lambda: _lr.run_seeds(-1), InputError, "n_seeds must be a positive integer"),
    (lambda: _bp.run_relu_regression(n_points=1, seed=0, epochs=2), InputError, "n_points must be at least 2"),
    (lambda: _rec.run_echo(lag=20, steps=16, epochs=2), InputError, r"lag must be an integer in \[0, steps - 1\]"),
    (lambda: _rec.run_clipping_seeds([], lag=4, epochs=2), InputError, "seeds must name at least one seed"),
    (lambda: _rec.run_clipping_seeds([-2], lag=4, epochs=2), InputError, "seed must be a non-negative number"),
]


@pytest.mark.parametrize("call, kind, match", LESSON_PARAMETERS)
def test_bad_lesson_parameter(call, kind, match):
    with pytest.raises(kind, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_a_seed_is_accepted_in_every_form_numpy_takes():
    from nncourse.core._validate import generator

    for seed in (0, np.int64(3), [3, 1], (3, 1), np.random.SeedSequence(3)):
        assert isinstance(generator(seed), np.random.Generator)
    assert generator(np.int64(3)).random() == np.random.default_rng(3).random()
