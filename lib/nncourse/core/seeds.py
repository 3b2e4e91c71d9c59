"""The one way the course derives random streams from a lesson's seed.

    data = make_moons(200, stream(seed))              # the seed's own stream: np.random.default_rng(seed)
    model = mlp([2, 16, 1], rng=stream(seed, 0))       # child stream 0: the initial weights
    fit(model, X, y, batch_size=32, rng=stream(seed, 1))   # child stream 1: the mini-batch order

`stream(seed, *path)` is `np.random.default_rng(np.random.SeedSequence(seed, spawn_key=path))`: numpy's
spawned streams, statistically independent of the seed's own stream and of each other, and equal to
`np.random.default_rng(seed).spawn(n)[k]` for `path = (k,)`. Each source of randomness in an experiment gets its
own path, fixed in the code, so adding one does not change the others.

Why not `default_rng([seed, k])` or `default_rng(seed + k)`: SeedSequence ignores trailing zeros in its entropy,
so `default_rng([seed, 0])` *is* `default_rng(seed)` (the same numbers), and `seed + 1` for the weights of seed 0 is
the data of seed 1.
"""

import numbers

import numpy as np

from nncourse.core import _validate


def stream(seed, *path):
    """The random stream `path` of `seed` (a non-negative whole number; each entry of `path` one too)."""
    _validate.generator(seed)  # one line naming a bad seed
    if not isinstance(seed, numbers.Integral):
        raise _validate.InputTypeError(f"seed must be a non-negative whole number, got {seed!r}")
    for k in path:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
            raise _validate.InputError(f"a stream's path holds non-negative whole numbers, got {path!r}")
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in path)))
