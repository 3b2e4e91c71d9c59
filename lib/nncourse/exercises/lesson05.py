"""Lesson 05's exercises: the case study's first-layer gradient, clipping by value and by the global norm, and a
residual block's backward pass.

The clipping exercises take a list of gradient arrays and return the clipped arrays (a new list), where the
library's `clip_by_value` and `clip_by_global_norm` clip in place and return what they measured; the reference
runs the library's function on copies (`Case.call` deep-copies every argument, so a learner's function that
clips in place does not change the inputs the reference and the known mistakes see)."""

import numpy as np

from nncourse.blocks import clipping
from nncourse.blocks.residual import ResidualBlock
from nncourse.core.layers import Dense, ReLU
from nncourse.exercises import RTOL, Case, Exercise, Mistake, register
from nncourse.lessons.vanishing_exploding_gradients import exact_first_gradient


def _chain_cases(rng):
    return [
        Case((1e-3, 9, 3), about="w = 1e-3, 9 hidden layers of 3 and the output unit (the case study)"),
        Case(
            (float(rng.uniform(0.2, 0.6)), int(rng.integers(3, 8)), int(rng.integers(2, 6))),
            about="w, depth and width drawn at random",
        ),
        Case((0.5, 1, int(rng.integers(2, 6))), about="depth 1"),
        Case((float(rng.uniform(0.1, 1.0)), int(rng.integers(2, 6)), 1), about="width 1"),
    ]


def first_layer_gradient(weight, depth, width):
    """dL/dW1[0, j] of the case study's linear chain (input 1, `depth` hidden layers of `width` units, one output,
    every weight equal to `weight`, biases 0, loss |target - output| with the output below the target)."""
    return float(exact_first_gradient(weight, depth, width))


def _relative(expected, got):
    """None if the number got equals expected to RTOL (no absolute tolerance: the answers go down to 1e-26)."""
    try:
        g = float(np.asarray(got, dtype=np.float64))
    except (TypeError, ValueError):
        return f"returned {type(got).__name__}, expected one number"
    if not np.isfinite(g):
        return "returned NaN or an infinite value"
    if not np.isclose(g, expected, rtol=RTOL, atol=0.0):
        return f"wrong value {g:.6g} (off by a factor {g / expected:.4g})" if expected and g else f"wrong value {g:.6g}"
    return None


register(
    Exercise(
        name="first_layer_gradient",
        lesson=5,
        title="The case study's first-layer gradient",
        reference=first_layer_gradient,
        cases=_chain_cases,
        compare=_relative,
        first_hint="dL/dW1[0, j] = dL/d(output) times the sum, over every path from unit j of layer 1 to the output, "
        "of the product of the weights along it; count the weight matrices on a path and the paths",
        mistakes=[
            Mistake(
                "the case study's estimate",
                lambda w, d, n: w**d,
                "that is the case study's estimate, (1e-3)^(layers - 1): right about the weights on one path "
                "(depth of them), but it leaves out the width^(depth - 1) paths and the sign",
            ),
            Mistake(
                "forgot the paths",
                lambda w, d, n: -(w**d),
                "one path gives w**depth, but unit j of layer 1 reaches the output along width**(depth - 1) "
                "paths (a choice of unit in each later hidden layer), and their contributions add",
            ),
            Mistake(
                "one matrix too few",
                lambda w, d, n: -(n ** (d - 1)) * w ** (d - 1),
                "count the weight matrices after layer 1: depth - 1 hidden-to-hidden ones and the output "
                "layer's, so each path contributes w**depth",
            ),
            Mistake(
                "width^depth paths",
                lambda w, d, n: -(n**d) * w**d,
                "the output is a single unit: the paths choose a unit in each of the depth - 1 later hidden "
                "layers, width**(depth - 1) of them",
            ),
            Mistake(
                "sign",
                lambda w, d, n: (n ** (d - 1)) * w**d,
                "the output is below the target, so dL/d(output) = -1: the gradient is negative",
            ),
        ],
    )
)


def _grads(rng, shapes, scale):
    return [rng.normal(0.0, scale, size=s) for s in shapes]


def _value_cases(rng):
    return [
        Case((_grads(rng, [(3, 4), (4,)], 2.0), 1.0), about="a (3, 4) and a (4,) gradient, threshold 1"),
        Case((_grads(rng, [(5, 2)], 0.1), 0.5), about="one (5, 2) gradient, all below the threshold"),
        Case((_grads(rng, [(2, 3), (3,), (3, 1), (1,)], 5.0), 2.5), about="four gradients, threshold 2.5"),
        Case(([np.array([-3.0, -1.0, 0.0, 1.0, 3.0])], 1.0), about="g = -3, -1, 0, 1, 3, threshold 1"),
    ]


def clip_by_value(grads, threshold):
    """Every entry of every array of `grads` into [-threshold, threshold]; returns the clipped arrays (a list)."""
    grads = [np.array(g, dtype=np.float64) for g in grads]
    clipping.clip_by_value(grads, threshold)
    return grads


register(
    Exercise(
        name="clip_by_value",
        lesson=5,
        title="Clipping by value",
        reference=clip_by_value,
        cases=_value_cases,
        first_hint="np.clip(g, -threshold, threshold) for each array g of the list",
        mistakes=[
            Mistake(
                "only the top",
                lambda gs, t: [np.minimum(g, t) for g in gs],
                "clip both sides: large negative entries go to -threshold, not only large positive ones to threshold",
            ),
            Mistake(
                "sign lost",
                lambda gs, t: [np.minimum(np.abs(g), t) for g in gs],
                "you clipped |g|: keep each entry's sign, np.clip(g, -threshold, threshold)",
            ),
            Mistake(
                "clipped the norm",
                lambda gs, t: [g * min(1.0, t / np.linalg.norm(g)) for g in gs],
                "that rescales each array by its norm: clipping by value clips every entry on its own",
            ),
        ],
    )
)


def _norm_cases(rng):
    return [
        Case(
            (_grads(rng, [(4, 3), (3,), (3, 1)], 1.5), 2.0),
            about="(4, 3), (3,) and (3, 1) arrays, norm above the threshold",
        ),
        Case((_grads(rng, [(2, 2), (2,)], 0.1), 1.0), about="a small norm, below the threshold"),
        Case((_grads(rng, [(6, 5)], 3.0), 0.5), about="one (6, 5) array"),
        Case(([np.array([3.0, 0.0]), np.array([[0.0], [4.0]])], 5.0), about="global norm exactly at the threshold 5"),
        Case(([np.array([30.0, 0.0]), np.array([[0.0], [0.1]])], 1.0), about="one large array and one small one"),
    ]


def clip_by_global_norm(grads, threshold):
    """Pascanu et al. (2013): ||g|| = sqrt(sum of the squares of every entry of every array); if ||g|| >=
    threshold, every array is multiplied by threshold / ||g||. Returns the clipped arrays (a list)."""
    grads = [np.array(g, dtype=np.float64) for g in grads]
    clipping.clip_by_global_norm(grads, threshold)
    return grads


def _per_tensor(gs, t):
    gs = [np.array(g, dtype=np.float64) for g in gs]
    clipping.clip_by_norm(gs, t)
    return gs


def _scaled(gs, t, norm):
    return [g * (t / norm) for g in gs]


register(
    Exercise(
        name="clip_by_global_norm",
        lesson=5,
        title="Clipping by the global norm",
        reference=clip_by_global_norm,
        cases=_norm_cases,
        first_hint="one norm for all the arrays together: the square root of the sum, over every array, of the sum "
        "of its squared entries; rescale only if it reaches the threshold",
        mistakes=[
            Mistake(
                "each tensor by its own norm",
                _per_tensor,
                "you clipped each array by its own norm: the global norm is one number for all the arrays "
                "together, and one factor threshold / ||g|| rescales them all, which keeps the update's "
                "direction",
            ),
            Mistake(
                "rescaled below the threshold",
                lambda gs, t: _scaled(gs, t, np.sqrt(sum(np.sum(g**2) for g in gs))),
                "only rescale when the global norm reaches the threshold: a smaller gradient stays as it is",
            ),
            Mistake(
                "sum of the norms",
                lambda gs, t: (lambda n: _scaled(gs, t, n) if n >= t else gs)(sum(np.linalg.norm(g) for g in gs)),
                "the global norm is the root of the sum of squares of all entries, sqrt(sum ||g_i||**2), "
                "not the sum of the arrays' norms",
            ),
            Mistake(
                "forgot the square root",
                lambda gs, t: (lambda n: _scaled(gs, t, n) if n >= t else gs)(sum(np.sum(g**2) for g in gs)),
                "sum of squares is ||g||**2: take its square root before comparing with the threshold",
            ),
            Mistake(
                "largest norm instead of global",
                lambda gs, t: (lambda n: _scaled(gs, t, n) if n >= t else gs)(max(np.linalg.norm(g) for g in gs)),
                "the global norm includes every array, sqrt(sum ||g_i||**2), not only the largest one",
            ),
        ],
    )
)


def _residual_cases(rng):
    out = []
    for n, d in ((4, 3), (1, 5), (6, 2)):
        out.append(
            Case(
                (rng.normal(size=(n, d)), rng.normal(size=(d, d)), rng.normal(size=d) * 0.5, rng.normal(size=(n, d))),
                about=f"x of shape ({n}, {d})",
            )
        )
    return out


def residual_backward(x, W, b, dout):
    """The block y = x + relu(x @ W + b), x (N, D), W (D, D), b (D,), and the upstream gradient dout = dL/dy
    (N, D): returns (dL/dx, dL/dW, dL/db), computed by the library's ResidualBlock([Dense, ReLU])."""
    block = ResidualBlock([Dense.from_arrays(W, b), ReLU()])
    block.forward(x)
    dx = block.backward(dout)
    return dx, block.grads["0.W"].copy(), block.grads["0.b"].copy()


def _branch(x, W, b, dout, identity=True, mask_at="z"):
    z = x @ W + b
    mask = (z > 0) if mask_at == "z" else (x > 0)
    dz = dout * mask
    dx = dz @ W.T
    return (dx + dout if identity else dx), x.T @ dz, dz.sum(axis=0)


register(
    Exercise(
        name="residual_backward",
        lesson=5,
        title="A residual block's backward pass",
        reference=residual_backward,
        cases=_residual_cases,
        first_hint="y = x + f(x) with f(x) = relu(x @ W + b): the branch gives dz = dout * (z > 0), dW = x.T @ dz, "
        "db = dz summed over the batch and dz @ W.T; x also reaches y directly",
        mistakes=[
            Mistake(
                "forgot the identity path",
                lambda x, W, b, dout: _branch(x, W, b, dout, identity=False),
                "x reaches y twice, through the branch and directly: dL/dx = dout + (the branch's dx); the "
                "identity path's dout is what carries the gradient past a deep stack",
            ),
            Mistake(
                "forgot ReLU's mask",
                lambda x, W, b, dout: (dout + dout @ W.T, x.T @ dout, dout.sum(axis=0)),
                "the branch passes through a ReLU: multiply dout by (z > 0), z = x @ W + b, before the Dense "
                "layer's gradients",
            ),
            Mistake(
                "mask from x",
                lambda x, W, b, dout: _branch(x, W, b, dout, mask_at="x"),
                "ReLU's derivative is taken at its own input z = x @ W + b, not at the block's input x",
            ),
            Mistake(
                "W not transposed",
                lambda x, W, b, dout: (dout + (dout * (x @ W + b > 0)) @ W, *_branch(x, W, b, dout)[1:]),
                "going back through z = x @ W, dL/dx = dz @ W.T: transpose W",
            ),
            Mistake(
                "bias averaged",
                lambda x, W, b, dout: (*_branch(x, W, b, dout)[:2], _branch(x, W, b, dout)[2] / len(x)),
                "the loss sums over the batch, so dL/db is the sum of dz over the batch, not its mean",
            ),
        ],
    )
)
