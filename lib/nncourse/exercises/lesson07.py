"""Lesson 07's exercises: magnitude pruning of one layer and of each layer of a model, the weights left after k
rounds of iterative pruning, and the lottery ticket's rewind. Each reference calls `nncourse.blocks.pruning`."""

import numpy as np

from nncourse.blocks import pruning
from nncourse.core.model import Sequential
from nncourse.exercises import Case, Exercise, Mistake, register


def _model(weights):
    """A Sequential of MaskedDense layers holding copies of `weights` (zero biases), nothing pruned yet."""
    return Sequential([pruning.MaskedDense.from_arrays(W, np.zeros(W.shape[1])) for W in weights])


def _count(n, fraction):
    return int(np.floor(fraction * n + 0.5))


def _mask_by(scores, fraction, k=None):
    """0/1 mask of scores' shape with the k (default round(fraction n)) lowest scores set to 0."""
    k = _count(scores.size, fraction) if k is None else k
    mask = np.ones(scores.size)
    mask[np.argsort(scores.ravel(), kind="stable")[:k]] = 0.0
    return mask.reshape(scores.shape)


# --- one layer ---------------------------------------------------------------------------------------------
def _one_layer_cases(rng):
    """Halves in the count (15 * 0.3 = 4.5 weights: prune 5), an ordinary count, and a layer already holding
    exact zeros (they go first)."""
    W = rng.normal(size=(6, 4))
    W.ravel()[rng.choice(24, size=5, replace=False)] = 0.0
    return [
        Case((rng.normal(size=(5, 3)), 0.3), about="W of shape (5, 3) at fraction 0.3 (4.5 weights)"),
        Case((rng.normal(size=(8, 4)) * 0.1, 0.2), about="W of shape (8, 4) at fraction 0.2"),
        Case((W, 0.5), about="W of shape (6, 4) with 5 zeros at fraction 0.5"),
    ]


def pruning_mask(W, fraction):
    """One round of magnitude pruning of one layer's weights W (D_in, D_out): a 0/1 mask of W's shape that prunes
    (sets to 0) the round(fraction * W.size) weights with the smallest |W|, halves rounded up."""
    model = _model([W])
    pruning.prune_by_magnitude(model, fraction)
    return model.layers[0].mask


register(
    Exercise(
        name="pruning_mask",
        lesson=7,
        title="Magnitude pruning of one layer",
        reference=pruning_mask,
        cases=_one_layer_cases,
        first_hint="k = int(np.floor(fraction * W.size + 0.5)) weights go; np.argsort of |W|, flattened, gives "
        "the order to prune them in",
        mistakes=[
            Mistake(
                "pruned the largest",
                lambda W, f: _mask_by(-np.abs(W), f),
                "you pruned the largest weights: magnitude pruning removes the smallest |W|, which matter least",
            ),
            Mistake(
                "signed value",
                lambda W, f: _mask_by(W, f),
                "you ranked by the signed value, so the most negative weights went first: rank by |W|",
            ),
            Mistake(
                "mask inverted",
                lambda W, f: 1 - pruning_mask(W, f),
                "the mask is 1 for a weight that is kept and 0 for a pruned one: yours is the other way round",
            ),
            Mistake(
                "rounded down",
                lambda W, f: _mask_by(np.abs(W), f, int(f * W.size)),
                "close: the count is round(fraction * n) with halves rounded up, int(np.floor(fraction * n + "
                "0.5)); int() rounds down (and Python's round() rounds halves to even)",
            ),
        ],
    )
)


# --- each layer of a model ---------------------------------------------------------------------------------
def _per_layer_cases(rng):
    """Layers on different scales (the output layer's weights 10 times smaller), so that a global ranking
    prunes another set; three layers; and a single layer, where per layer and global agree."""
    return [
        Case(
            ([rng.normal(size=(8, 5)), rng.normal(size=(5, 3)) * 0.1], 0.3),
            about="layers (8, 5) and (5, 3) at fraction 0.3",
        ),
        Case(
            ([rng.normal(size=(4, 6)) * 2, rng.normal(size=(6, 6)), rng.normal(size=(6, 2)) * 0.3], 0.5),
            about="three layers at fraction 0.5",
        ),
        Case(([rng.normal(size=(3, 7))], 0.2), about="one layer (3, 7) at fraction 0.2"),
    ]


def prune_per_layer(weights, fraction):
    """One round of per-layer magnitude pruning of a model's weight matrices `weights` (a list of 2-D arrays): a
    list of 0/1 masks, the i-th pruning round(fraction * weights[i].size) of weights[i]'s smallest |W|."""
    model = _model(weights)
    pruning.prune_by_magnitude(model, fraction, scope="layer")
    return [layer.mask for layer in pruning.masked_layers(model)]


def _global(weights, fraction):
    model = _model(weights)
    pruning.prune_by_magnitude(model, fraction, scope="global")
    return [layer.mask for layer in pruning.masked_layers(model)]


register(
    Exercise(
        name="prune_per_layer",
        lesson=7,
        title="Magnitude pruning, layer by layer",
        reference=prune_per_layer,
        cases=_per_layer_cases,
        first_hint="each layer on its own: the same fraction of every layer's weights, ranked within that layer "
        "(your pruning_mask, once per layer)",
        mistakes=[
            Mistake(
                "global fraction",
                _global,
                "you ranked all layers' weights together (global pruning): a layer of small weights then loses "
                "far more than the fraction; per-layer pruning removes the fraction from each layer",
            ),
            Mistake(
                "pruned the largest",
                lambda ws, f: [_mask_by(-np.abs(W), f) for W in ws],
                "you pruned the largest weights: magnitude pruning removes the smallest |W| of each layer",
            ),
            Mistake(
                "rounded down",
                lambda ws, f: [_mask_by(np.abs(W), f, int(f * W.size)) for W in ws],
                "close: each layer's count is round(fraction * n) with halves rounded up, int(np.floor(fraction "
                "* n + 0.5))",
            ),
        ],
    )
)


# --- weights left after k rounds ---------------------------------------------------------------------------
def _rounds_cases(rng):
    del rng  # counts: the interesting inputs are chosen, not drawn
    return [
        Case((640, 0.1, 3), about="n = 640 and 3 rounds at 0.1"),
        Case((4096, 0.2, 5), about="n = 4096 and 5 rounds at 0.2"),
        Case((7, 0.5, 3), about="n = 7 and 3 rounds at 0.5 (a half every round)"),
        Case((100, 0.2, 0), about="n = 100 and 0 rounds"),
    ]


def weights_left_after_pruning(n, fraction, rounds):
    """The weights a layer of n keeps after `rounds` rounds of iterative pruning, each round removing
    round(fraction * survivors) of its survivors, halves rounded up. Returns an int."""
    return pruning.remaining_counts(n, fraction, rounds)[-1]


def _left_floor(n, f, k):
    for _ in range(k):
        n -= int(f * n)
    return n


register(
    Exercise(
        name="weights_left_after_pruning",
        lesson=7,
        title="Weights left after k rounds of pruning",
        reference=weights_left_after_pruning,
        cases=_rounds_cases,
        first_hint="a loop of `rounds` steps: each removes int(np.floor(fraction * n + 0.5)) of the n that are left",
        mistakes=[
            Mistake(
                "the power, rounded once",
                lambda n, f, k: int(np.floor(n * (1 - f) ** k + 0.5)),
                "n (1 - fraction)^k is close, but every round removes a whole number of weights: round each "
                "round's count, then subtract it",
            ),
            Mistake(
                "fraction of the original n",
                lambda n, f, k: n - k * _count(n, f),
                "each round prunes a fraction of the weights still left, not of the original n",
            ),
            Mistake(
                "rounded down",
                _left_floor,
                "close: each round's count is round(fraction * n) with halves rounded up, int(np.floor(fraction "
                "* n + 0.5)); int() rounds down",
            ),
        ],
    )
)


# --- rewinding ---------------------------------------------------------------------------------------------
def _rewind_cases(rng):
    out = []
    for shape, fraction in (((4, 3), 0.5), ((6, 5), 0.8), ((2, 2), 0.0)):
        W_init = rng.normal(size=shape)
        W_trained = W_init + rng.normal(size=shape)
        mask = pruning_mask(W_trained, fraction)
        out.append(Case((W_trained, W_init, mask), about=f"W of shape {shape} with {fraction:.0%} pruned"))
    return out


def rewind_weights(W_trained, W_init, mask):
    """The lottery ticket's rewind of one layer: its weights after training W_trained (D_in, D_out), their values
    at initialization W_init and the 0/1 pruning mask: returns the weights to train next round."""
    model = _model([W_init])
    theta0 = model.get_weights()
    layer = model.layers[0]
    layer.params["W"][...] = W_trained
    layer.set_mask(mask)
    pruning.rewind(model, theta0)
    return layer.params["W"]


register(
    Exercise(
        name="rewind_weights",
        lesson=7,
        title="Rewinding the survivors to their initial values",
        reference=rewind_weights,
        cases=_rewind_cases,
        first_hint="a survivor (mask 1) gets back its value at initialization; a pruned weight (mask 0) stays 0",
        mistakes=[
            Mistake(
                "kept the trained values",
                lambda Wt, W0, m: Wt * m,
                "that is pruning with fine-tuning: the lottery ticket rewinds each survivor to its value at "
                "initialization, W_init",
            ),
            Mistake(
                "forgot the mask",
                lambda Wt, W0, m: W0.copy(),
                "the pruned weights must stay 0: apply the mask to W_init",
            ),
            Mistake(
                "mask inverted",
                lambda Wt, W0, m: W0 * (1 - m),
                "mask 1 means kept: you rewound the pruned weights and zeroed the survivors",
            ),
        ],
    )
)
