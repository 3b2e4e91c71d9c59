"""Lesson 08's exercises: how many parameters train when the first layers are frozen, one SGD step that skips
the frozen layers, and the gradient a new softmax head learns from."""

import numpy as np

from nncourse.blocks.freezing import freeze
from nncourse.core.layers import Dense, Layer
from nncourse.core.losses import softmax_cross_entropy
from nncourse.core.model import Sequential
from nncourse.core.optim import SGD
from nncourse.exercises import Case, Exercise, Mistake, register

# --- Exercise 8.1: trainable parameters ------------------------------------------------------------------------


def trainable_parameter_count(sizes, k):
    """The number of parameters that train in a network of Dense layers sizes[0] -> sizes[1] -> ... (each
    with weights W (n_in, n_out) and biases b (n_out,)) when freezing.freeze(model, k) froze the first k."""
    # the count does not depend on the values: zero weights need no random stream
    model = freeze(Sequential([Dense(a, b, init="zeros") for a, b in zip(sizes[:-1], sizes[1:])]), k)
    return sum(layer.params[name].size for layer, name in model.parameters())


def _layer_counts(sizes):
    return [(a * b, b) for a, b in zip(sizes[:-1], sizes[1:])]


def _count_cases(rng):
    out = [Case(((6, 5, 4, 3), 1), about="sizes (6, 5, 4, 3), k = 1")]
    widths = [int(v) for v in rng.integers(3, 40, size=4)]
    out.append(Case(((64, *widths, 10), 3), about=f"sizes {(64, *widths, 10)}, k = 3"))
    out.append(Case(((64, 64, 64, 5), 2), about="sizes (64, 64, 64, 5), k = 2 (the lesson's network)"))
    out.append(Case(((8, 7, 2), 0), about="sizes (8, 7, 2), k = 0 (nothing frozen)"))
    out.append(Case(((5, 4, 3), 2), about="sizes (5, 4, 3), k = 2 (everything frozen)"))
    return out


register(
    Exercise(
        name="trainable_parameter_count",
        lesson=8,
        title="How many parameters still train",
        reference=trainable_parameter_count,
        cases=_count_cases,
        first_hint="layer i maps sizes[i] to sizes[i + 1] and has sizes[i] * sizes[i + 1] weights plus "
        "sizes[i + 1] biases; add up the layers from the k-th on (counting from 0)",
        mistakes=[
            Mistake(
                "forgot the biases",
                lambda sizes, k: sum(w for w, _ in _layer_counts(sizes)[k:]),
                "each layer also has one bias per output unit, and it is frozen or trained with its weights",
            ),
            Mistake(
                "counted the frozen layers",
                lambda sizes, k: sum(w + b for w, b in _layer_counts(sizes)[:k]),
                "that is the number of frozen parameters: the question is how many still train",
            ),
            Mistake(
                "froze the last k",
                lambda sizes, k: sum(w + b for w, b in _layer_counts(sizes)[: len(sizes) - 1 - k]),
                "freeze(model, k) freezes the *first* k layers (the body, near the input), not the last k",
            ),
            Mistake(
                "froze one layer too many",
                lambda sizes, k: sum(w + b for w, b in _layer_counts(sizes)[k + 1 :]),
                "off by one: with k frozen layers, layers 0 .. k - 1 are frozen and layer k is the first that trains",
            ),
        ],
    )
)


# --- Exercise 8.2: one SGD step with frozen layers ------------------------------------------------------------


def frozen_sgd_step(layers, lr):
    """One plain SGD step on a list of layers, each given as (W, dW, trainable): the list of the new weights,
    one per layer, W - lr dW for a trainable layer and W unchanged for a frozen one. Runs the library's
    Optimizer.step, which updates what Sequential.parameters() lists (the trainable layers only)."""
    model_layers = []
    for W, dW, trainable in layers:
        layer = Layer()
        layer.params["W"], layer.grads["W"] = np.array(W, dtype=np.float64), np.asarray(dW, dtype=np.float64)
        layer.trainable = bool(trainable)
        model_layers.append(layer)
    SGD(lr).step(Sequential(model_layers))
    return [layer.params["W"] for layer in model_layers]


def _sgd_cases(rng):
    def layers(shapes, flags):
        return [(rng.normal(size=s), rng.normal(size=s), f) for s, f in zip(shapes, flags)]

    return [
        Case(
            (layers([(4, 3), (3, 3), (3, 2)], [False, True, True]), 0.1), about="3 layers, the first frozen, lr = 0.1"
        ),
        Case(
            (layers([(5, 6), (6, 4), (4, 4), (4, 1)], [False, False, True, True]), 0.03),
            about="4 layers, the first two frozen, lr = 0.03",
        ),
        Case((layers([(2, 3), (3, 2)], [True, True]), 0.5), about="2 layers, none frozen, lr = 0.5"),
        Case((layers([(3, 3), (3, 5)], [False, False]), 0.2), about="2 layers, all frozen, lr = 0.2"),
        Case(
            (layers([(6, 2), (2, 6), (6, 3)], [True, False, True]), 1.0),
            about="3 layers, the middle one frozen, lr = 1",
        ),
    ]


register(
    Exercise(
        name="frozen_sgd_step",
        lesson=8,
        title="One SGD step that skips the frozen layers",
        reference=frozen_sgd_step,
        cases=_sgd_cases,
        first_hint="loop over the (W, dW, trainable) triples: a trainable layer becomes W - lr * dW, a frozen one "
        "keeps its W; return one array per layer, in order",
        mistakes=[
            Mistake(
                "updated the frozen layers too",
                lambda layers, lr: [W - lr * dW for W, dW, _ in layers],
                "a frozen layer still has a gradient (backpropagation runs through it), but the optimizer must "
                "not use it: keep W unchanged where trainable is False",
            ),
            Mistake(
                "flag the wrong way round",
                lambda layers, lr: [W if t else W - lr * dW for W, dW, t in layers],
                "the other way round: trainable=True means the layer learns, trainable=False means it is frozen",
            ),
            Mistake(
                "dropped the frozen layers",
                lambda layers, lr: [W - lr * dW for W, dW, t in layers if t],
                "return the weights of every layer, the frozen ones unchanged, so the list still matches the network",
            ),
            Mistake(
                "climbed the gradient",
                lambda layers, lr: [W + lr * dW if t else W for W, dW, t in layers],
                "gradient descent steps against the gradient: W - lr * dW",
            ),
            Mistake(
                "forgot the learning rate",
                lambda layers, lr: [W - dW if t else W for W, dW, t in layers],
                "the step is lr times the gradient: W - lr * dW",
            ),
        ],
    )
)


# --- Exercise 8.3: the new head's gradient -------------------------------------------------------------------


def softmax_head_gradient(logits, y):
    """dL/dlogits (N, K) for the mean softmax cross-entropy L = -(1/N) sum_n sum_k y_nk log softmax(logits_n)_k,
    with one-hot targets y (N, K): (softmax(logits) - y) / N. The library's losses.softmax_cross_entropy."""
    return softmax_cross_entropy(logits, y)[1]


def _softmax(z, axis=1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def _head_cases(rng):
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 799.0]])
    return [
        Case((rng.normal(size=(4, 3)) * 2, _one_hot(rng, 4, 3)), about="logits of shape (4, 3)"),
        Case((rng.normal(size=(32, 5)) * 3, _one_hot(rng, 32, 5)), about="logits of shape (32, 5)"),
        Case((rng.normal(size=(1, 10)), _one_hot(rng, 1, 10)), about="logits of shape (1, 10)"),
        Case((big, np.eye(3)[[2, 1]]), about="logits of size 1000 (the softmax must not overflow)"),
    ]


register(
    Exercise(
        name="softmax_head_gradient",
        lesson=8,
        title="The gradient that trains the new head",
        reference=softmax_head_gradient,
        cases=_head_cases,
        first_hint="the softmax of each row (subtract the row's maximum before exp so that it cannot overflow), "
        "minus the targets, divided by the batch size N",
        mistakes=[
            Mistake(
                "forgot to subtract y",
                lambda z, y: _softmax(z) / len(z),
                "the gradient of cross-entropy through the softmax is softmax(logits) - y: you left out the targets",
            ),
            Mistake(
                "forgot the 1/N",
                lambda z, y: _softmax(z) - y,
                "the loss is the mean over the batch, so its gradient carries a factor 1/N",
            ),
            Mistake(
                "softmax over the batch",
                lambda z, y: (_softmax(z, axis=0) - y) / len(z),
                "the softmax normalizes each example's row of K logits (axis=1), not each class over the batch",
            ),
            Mistake(
                "sign flipped",
                lambda z, y: (y - _softmax(z)) / len(z),
                "the sign is flipped: dL/dlogits = (softmax(logits) - y) / N",
            ),
            Mistake(
                "divided by K",
                lambda z, y: (_softmax(z) - y) / z.shape[1],
                "divide by the number of examples N (rows), not the number of classes K (columns)",
            ),
        ],
    )
)
