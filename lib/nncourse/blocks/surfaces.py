"""Two-parameter loss surfaces and the paths optimizers take on them.

A point p = (p1, p2) is the whole "model": `run_path` wraps it as a one-layer model so that the optimizers of
`nncourse.core.optim` move it with exactly the `step(model)` they use on networks. A path that leaves the region
where the loss is finite (or grows past `bound`) stops and reports the step, without NumPy warnings.
"""

from dataclasses import dataclass, field

import numpy as np

from nncourse.core import _validate
from nncourse.core.layers import Layer


@dataclass(frozen=True)
class Surface:
    """A loss f(p) of a 2-vector p with its gradient, the minima to mark, and a box to draw contours in."""

    name: str
    value: object  # callable: array (..., 2) -> array (...)
    gradient: object  # callable: array (2,) -> array (2,)
    minima: tuple  # ((p1, p2), ...), the global one first
    start: tuple  # default starting point
    extent: tuple  # (p1_low, p1_high, p2_low, p2_high)
    curvatures: tuple = ()  # eigenvalues of the Hessian for a quadratic, else ()

    def grid(self, resolution=120):
        """(P1, P2, F) on the extent, for contour plots: resolution x resolution points."""
        _validate.int_between("resolution", resolution, 2, 10_000, "an integer from 2 to 10000")
        a, b, c, d = self.extent
        P1, P2 = np.meshgrid(np.linspace(a, b, resolution), np.linspace(c, d, resolution))
        return P1, P2, self.value(np.stack([P1, P2], axis=-1))


def quadratic(lam1=1.0, lam2=10.0, start=(-4.0, 1.5)):
    """f(p) = 1/2 (lam1 p1^2 + lam2 p2^2): an elongated bowl (condition number lam2 / lam1), minimum at 0.
    Gradient (lam1 p1, lam2 p2); plain gradient descent multiplies coordinate i by (1 - lr lam_i) each step."""
    lam1, lam2 = _validate.positive("lam1", lam1), _validate.positive("lam2", lam2)
    _validate.point("start", start)
    lam = np.array([lam1, lam2])
    return Surface(
        "quadratic",
        lambda p: 0.5 * np.sum(lam * np.asarray(p) ** 2, axis=-1),
        lambda p: lam * p,
        ((0.0, 0.0),),
        tuple(start),
        (-4.5, 4.5, -2.5, 2.5),
        (lam1, lam2),
    )


def rosenbrock(a=1.0, b=20.0, start=(-1.5, 2.0)):
    """Rosenbrock's banana valley f(p) = (a - p1)^2 + b (p2 - p1^2)^2, minimum (a, a^2) at the end of a long,
    curved, nearly flat valley (Rosenbrock 1960; b = 100 is the classic, 20 keeps the lesson's paths short)."""
    b = _validate.positive("b", b)
    _validate.real("a", a)
    _validate.point("start", start)

    def value(p):
        p = np.asarray(p)
        return (a - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2

    def gradient(p):
        r = p[1] - p[0] ** 2
        return np.array([-2 * (a - p[0]) - 4 * b * p[0] * r, 2 * b * r])

    return Surface("rosenbrock", value, gradient, ((a, a * a),), tuple(start), (-2.0, 2.0, -1.0, 3.0))


def two_minima(tilt=0.3, stiffness=1.0, start=(2.0, 1.5)):
    """A tilted double well f(p) = (p1^2 - 1)^2 + tilt p1 + stiffness p2^2 / 2: a global minimum near
    p1 = -1 and a local one near p1 = +1, separated by a ridge near p1 = tilt / 4."""
    tilt = _validate.positive("tilt", tilt)
    stiffness = _validate.positive("stiffness", stiffness)
    _validate.point("start", start)

    def value(p):
        p = np.asarray(p)
        return (p[..., 0] ** 2 - 1) ** 2 + tilt * p[..., 0] + 0.5 * stiffness * p[..., 1] ** 2

    def gradient(p):
        return np.array([4 * p[0] * (p[0] ** 2 - 1) + tilt, stiffness * p[1]])

    # the minima are the outer roots of 4 p (p^2 - 1) + tilt = 0
    roots = np.sort(np.roots([4.0, 0.0, -4.0, tilt]).real)
    return Surface(
        "two_minima", value, gradient, ((roots[0], 0.0), (roots[2], 0.0)), tuple(start), (-2.2, 2.4, -2.0, 2.0)
    )


SURFACES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "two_minima": two_minima}


def get_surface(name, **kwargs):
    """A surface by name: one of SURFACES."""
    _validate.choice("surface", name, SURFACES)
    _validate.keywords(f"surface {name!r}", kwargs, SURFACES[name])
    return SURFACES[name](**kwargs)


class _Point(Layer):
    """The 2-D point as a layer with one parameter, so an Optimizer can step it."""

    def __init__(self, p):
        super().__init__()
        self.params["p"] = np.array(p, dtype=np.float64)
        self.grads["p"] = np.zeros(2)

    def parameters(self):
        return [(self, "p")]


@dataclass
class Path:
    """Where an optimizer went: points (k+1, 2) from the start, loss at each point (k+1,), and, if it blew up,
    the step at which it did."""

    points: np.ndarray
    values: np.ndarray
    steps: int
    diverged_at: int | None = None
    minima: tuple = field(default_factory=tuple)

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def final(self):
        return self.points[-1]

    def nearest_minimum(self):
        """Index into `minima` of the minimum closest to the end of the path (None if it diverged)."""
        if self.diverged or not self.minima:
            return None
        return int(np.argmin([np.linalg.norm(self.final - np.asarray(m)) for m in self.minima]))

    def distance_to_minimum(self):
        """|final point - nearest minimum| (inf if it diverged)."""
        k = self.nearest_minimum()
        return float("inf") if k is None else float(np.linalg.norm(self.final - np.asarray(self.minima[k])))

    @property
    def status(self):
        if self.diverged:
            return f"diverged at step {self.diverged_at}"
        return f"{self.steps} steps, loss {self.values[-1]:.3g}, {self.distance_to_minimum():.3g} from a minimum"


def run_path(surface, optimizer, start=None, steps=100, bound=1e6):
    """Run `optimizer` (an nncourse.core.optim.Optimizer, used as is) for `steps` steps on `surface` from `start`
    (default surface.start). Stops at the first step whose point leaves |p| <= bound or whose loss or
    gradient is not finite: that step is `diverged_at` (counting from 1) and is not stored."""
    _validate.instance_of("surface", surface, Surface, "quadratic() or get_surface('rosenbrock')")
    _validate.optimizer(optimizer)
    steps = _validate.positive_int("steps", steps)
    bound = _validate.positive("bound", bound)
    point = _Point(surface.start if start is None else _validate.point("start", start))
    points, values = [point.params["p"].copy()], [float(surface.value(point.params["p"]))]
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for step in range(1, steps + 1):
            point.grads["p"] = surface.gradient(point.params["p"])
            optimizer.step(point)
            p = point.params["p"]
            value = float(surface.value(p))
            if not (np.all(np.isfinite(p)) and np.isfinite(value) and np.max(np.abs(p)) <= bound):
                diverged_at = step
                break
            points.append(p.copy())
            values.append(value)
    return Path(np.array(points), np.array(values), len(points) - 1, diverged_at, surface.minima)


# --- the theory for plain gradient descent on a quadratic -------------------------------------------------


def critical_lr(curvatures):
    """Largest stable learning rate of plain GD on f = 1/2 sum lam_i p_i^2: 2 / max lam (each coordinate is
    multiplied by 1 - lr lam_i per step, which shrinks iff |1 - lr lam_i| < 1)."""
    return 2.0 / max(_validate.positive_list("curvatures", curvatures))


def contraction(lr, curvatures):
    """The slowest per-step factor max_i |1 - lr lam_i| of plain GD on the quadratic (< 1 means converging)."""
    _validate.positive("learning rate", lr)
    return max(abs(1.0 - lr * lam) for lam in _validate.positive_list("curvatures", curvatures))


def steps_to_shrink(lr, curvatures, factor=1e-3):
    """Steps plain GD needs to shrink the distance to the minimum by `factor` in the worst coordinate:
    ceil(ln factor / ln contraction). inf if it does not converge."""
    _validate.open_fraction("factor", factor)
    rho = contraction(lr, curvatures)
    if rho >= 1:
        return float("inf")
    if rho == 0:
        return 1
    return int(np.ceil(np.log(factor) / np.log(rho)))


def best_fixed_lr(curvatures):
    """The fixed step with the smallest contraction on the quadratic, 2 / (lam_min + lam_max): there the flat and
    the steep coordinate shrink equally fast, by (kappa - 1) / (kappa + 1) per step (kappa = lam_max / lam_min)."""
    lams = _validate.positive_list("curvatures", curvatures)
    return 2.0 / (min(lams) + max(lams))


REGIMES = ("crawls", "converges", "converges, oscillating", "oscillates forever", "diverges")
REGIME_DEFINITIONS = {
    "crawls": "stays finite but is not `factor` times closer to the minimum within the budget",
    "converges": "`factor` times closer within the budget, every coordinate approaching from one side",
    "converges, oscillating": "`factor` times closer within the budget, the steep coordinate changing sign every step",
    "oscillates forever": "neither closer nor farther: the steep coordinate flips sign at constant amplitude",
    "diverges": "the distance grows (here: the path leaves |p| <= 1e6)",
}


def quadratic_regime(lr, curvatures, steps=100, factor=1e-3):
    """Plain GD's regime on the quadratic (REGIME_DEFINITIONS) from theory alone, with r_i = 1 - lr lam_i the
    per-step factor of coordinate i: diverges if max |r_i| > 1 (lr > 2 / lam_max); oscillates forever if
    lr = 2 / lam_max (r = -1); crawls if more than `steps` steps are needed to shrink by `factor`; converges,
    oscillating if lr > 1 / lam_max (r < 0 on the steep coordinate); converges otherwise."""
    lr = _validate.positive("learning rate", lr)
    _validate.positive_int("steps", steps)
    lam_max = max(_validate.positive_list("curvatures", curvatures))
    if np.isclose(lr, 2.0 / lam_max, rtol=1e-9, atol=0.0):
        return "oscillates forever"
    if lr > 2.0 / lam_max:
        return "diverges"
    if steps_to_shrink(lr, curvatures, factor) > steps:
        return "crawls"
    return "converges, oscillating" if lr > 1.0 / lam_max else "converges"


def measured_regime(path, curvatures, factor=1e-3, flat=1e-6):
    """What a plain-GD path on the quadratic (minimum 0) did, in REGIME_DEFINITIONS' terms, from the path
    alone: diverged, or `factor` times closer at the end than at the start (oscillating if the steep
    coordinate changed sign on every step while it was still larger than 1e-12 of its start), or, over the
    second half of the run, a per-step change of the distance within `flat` of 1 (oscillates forever), above
    it (diverges) or below it (crawls)."""
    _validate.open_fraction("factor", factor)
    lam = _validate.positive_list("curvatures", curvatures)
    if path.diverged:
        return "diverges"
    d = np.linalg.norm(path.points, axis=1)
    steep = path.points[:, int(np.argmax(lam))]
    if d[-1] <= factor * d[0]:
        big = steep[np.abs(steep) > 1e-12 * abs(steep[0])]
        flips = len(big) > 2 and bool(np.all(np.sign(big[1:]) == -np.sign(big[:-1])))
        return "converges, oscillating" if flips else "converges"
    half = path.steps // 2
    rate = (d[-1] / d[half]) ** (1.0 / max(path.steps - half, 1))
    if abs(rate - 1.0) <= flat:
        return "oscillates forever"
    return "diverges" if rate > 1.0 else "crawls"
