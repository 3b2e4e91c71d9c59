"""Weight initializers. Each takes `shape` (fan_in, fan_out) and a numpy Generator and returns a float64 array.

For a weight matrix W of shape (fan_in, fan_out) used as y = x @ W, fan_in is the number of inputs a unit sums
over and fan_out the number of units it feeds. A bias of shape (n,) has fan_in = fan_out = n.
"""

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from nncourse.core import _validate


def _fans(shape, rng=False):
    """(fan_in, fan_out) of a checked shape (a bias (n,) has both n); checks rng too unless it is False."""
    if rng is not False:
        _validate.rng(rng)
    shape = _validate.shape(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def zeros(shape: tuple[int, ...] | int, rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros. Every unit of a layer computes the same thing: nothing breaks the symmetry."""
    _fans(shape)
    return np.zeros(shape)


def constant(shape: tuple[int, ...] | int, rng: np.random.Generator | None = None, value: float = 1.0) -> np.ndarray:
    """Every entry equal to `value`: units stay identical during training (the symmetry problem)."""
    _fans(shape)
    return np.full(shape, _validate.real("value", value))


def uniform(
    shape: tuple[int, ...] | int, rng: np.random.Generator, low: float = -0.05, high: float = 0.05
) -> np.ndarray:
    """U[low, high]; variance (high - low)^2 / 12."""
    _fans(shape, rng)
    if not _validate.real("high", high) > _validate.real("low", low):
        raise _validate.InputError(f"uniform needs low < high, got low={low}, high={high}")
    return rng.uniform(low, high, size=shape)


def normal(shape: tuple[int, ...] | int, rng: np.random.Generator, std: float = 1.0, mean: float = 0.0) -> np.ndarray:
    """N(mean, std^2). With std = 1 and n inputs of size 1, z = sum_i w_i x_i has variance n."""
    _fans(shape, rng)
    _validate.non_negative("std", std)
    _validate.real("mean", mean)
    return rng.normal(mean, std, size=shape)


def glorot_uniform(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010), eq. 16, "normalized initialization": U[-a, a], a = sqrt(6 / (fan_in + fan_out)),
    so Var(W) = 2 / (fan_in + fan_out). Suits tanh and linear layers; not the sigmoid, whose slope at 0 is 1/4
    (lesson 04)."""
    fan_in, fan_out = _fans(shape, rng)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def glorot_normal(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010): N(0, 2 / (fan_in + fan_out)), the same variance as glorot_uniform."""
    fan_in, fan_out = _fans(shape, rng)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def glorot_standard(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """The "standard" heuristic Glorot & Bengio (2010) compare against (eq. 1): U[-1/sqrt(n), 1/sqrt(n)]
    with n = fan_in, so Var(W) = 1 / (3 n)."""
    fan_in, _ = _fans(shape, rng)
    a = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-a, a, size=shape)


def he_normal(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015), eq. 10: N(0, 2 / fan_in). Keeps the activation variance through ReLU layers."""
    fan_in, _ = _fans(shape, rng)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def he_uniform(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015): U[-a, a], a = sqrt(6 / fan_in), the same variance 2 / fan_in as he_normal."""
    fan_in, _ = _fans(shape, rng)
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=shape)


def lecun_normal(shape: tuple[int, ...] | int, rng: np.random.Generator) -> np.ndarray:
    """LeCun et al. (1998, "Efficient BackProp"): N(0, 1 / fan_in). The init SELU assumes
    (Klambauer et al. 2017)."""
    fan_in, _ = _fans(shape, rng)
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=shape)


def orthogonal(shape: tuple[int, ...] | int, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Saxe et al. (2014): a (semi-)orthogonal matrix times `gain`, from the QR decomposition of a Gaussian
    matrix with the signs of R's diagonal folded into Q (so the result is uniformly distributed).
    Rows or columns are orthonormal, so Var(W) = gain^2 / max(fan_in, fan_out)."""
    fan_in, fan_out = _fans(shape, rng)
    if len(_validate.shape(shape)) == 1:
        raise _validate.InputError("orthogonal needs a 2-D shape (fan_in, fan_out)")
    _validate.real("gain", gain)
    a = rng.normal(0.0, 1.0, size=(max(fan_in, fan_out), min(fan_in, fan_out)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if fan_in < fan_out:
        q = q.T
    return gain * q


INITIALIZERS = {
    f.__name__: f
    for f in (
        zeros,
        constant,
        uniform,
        normal,
        glorot_uniform,
        glorot_normal,
        glorot_standard,
        he_normal,
        he_uniform,
        lecun_normal,
        orthogonal,
    )
}
ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal", "msra": "he_normal"}


def initializer(spec: str | Callable[..., np.ndarray], **kwargs: Any) -> Callable[..., np.ndarray]:
    """Turn a name (or a callable) plus keyword arguments into `f(shape, rng)`.

    >>> initializer("uniform", low=-10, high=10)(( 2, 2), np.random.default_rng(0)).shape
    (2, 2)
    """
    if callable(spec):
        return functools.partial(spec, **kwargs) if kwargs else spec
    if not isinstance(spec, str):
        raise _validate.InputTypeError(
            f"init must be an initializer name such as 'he_normal' or a function "
            f"f(shape, rng), got {type(spec).__name__}"
        )
    name = ALIASES.get(spec, spec)
    _validate.choice("initializer", name, list(INITIALIZERS) + list(ALIASES))
    fn = INITIALIZERS[name]
    _validate.keywords(f"initializer {spec!r}", kwargs, fn, given=("shape", "rng"))
    return functools.partial(fn, **kwargs) if kwargs else fn


def needs_rng(fn: Callable[..., np.ndarray]) -> bool:
    """False for the initializers that draw nothing (zeros, constant), True for every other one."""
    return getattr(fn, "func", fn) not in (zeros, constant)


def promised_variance(name: str, shape: tuple[int, ...] | int, **kwargs: float) -> float:
    """The variance each initializer promises for one entry, for tests and tables."""
    fan_in, fan_out = _fans(shape)
    formulas = {
        "zeros": lambda: 0.0,
        "constant": lambda: 0.0,
        "uniform": lambda: (kwargs.get("high", 0.05) - kwargs.get("low", -0.05)) ** 2 / 12,
        "normal": lambda: kwargs.get("std", 1.0) ** 2,
        "glorot_uniform": lambda: 2.0 / (fan_in + fan_out),
        "glorot_normal": lambda: 2.0 / (fan_in + fan_out),
        "glorot_standard": lambda: 1.0 / (3.0 * fan_in),
        "he_normal": lambda: 2.0 / fan_in,
        "he_uniform": lambda: 2.0 / fan_in,
        "lecun_normal": lambda: 1.0 / fan_in,
        "orthogonal": lambda: kwargs.get("gain", 1.0) ** 2 / max(fan_in, fan_out),
    }
    name = ALIASES.get(name, name)
    _validate.choice("initializer", name, formulas)
    return formulas[name]()
