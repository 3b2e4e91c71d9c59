"""Lesson 04's exercises: the variance of a sum, He's and Glorot's scales, and the std of z deep in a ReLU network.

A random initializer cannot be checked draw by draw, so the learner returns the scale it draws with (a standard
deviation, a uniform limit); the reference is the variance the library's initializer promises
(`init.promised_variance`, which tests/test_init.py checks against large drawn matrices)."""

import numpy as np

from nncourse.core import init
from nncourse.exercises import Case, Exercise, Mistake, register


def _sum_cases(rng):
    return [
        Case(
            (int(rng.integers(20, 800)), float(rng.uniform(0.05, 2.0)), float(rng.uniform(0.3, 3.0))),
            about="n, std_w, x_rms drawn at random",
        ),
        Case((500, 1.0, 1.0), about="n = 500, std_w = 1, x_rms = 1 (section 2)"),
        Case((1, float(rng.uniform(0.1, 3.0)), float(rng.uniform(0.1, 3.0))), about="n = 1"),
        Case((256, 1 / np.sqrt(256), float(rng.uniform(0.5, 2.0))), about="n = 256, std_w = 1/sqrt(n)"),
    ]


def sum_std(n, std_w, x_rms):
    """The std of z = w_1 x_1 + ... + w_n x_n, with independent zero-mean weights of std std_w, independent of
    the inputs, whose root mean square is x_rms: Var(z) = n std_w^2 x_rms^2."""
    return float(np.sqrt(n) * std_w * x_rms)


register(
    Exercise(
        name="sum_std",
        lesson=4,
        title="The std of a sum of n products",
        reference=sum_std,
        cases=_sum_cases,
        first_hint="variances of independent terms add, and each term w_i x_i has variance std_w**2 * x_rms**2; "
        "the std is the square root of the total",
        mistakes=[
            Mistake(
                "forgot sqrt(n)",
                lambda n, sw, sx: sw * sx,
                "that is the std of one term w_i x_i: z adds n of them, and their variances add, so the std "
                "grows as sqrt(n)",
            ),
            Mistake(
                "stds added",
                lambda n, sw, sx: n * sw * sx,
                "you added the n standard deviations: for independent terms the variances add, so the std is "
                "sqrt(n) times one term's std, not n times",
            ),
            Mistake(
                "variance, not std",
                lambda n, sw, sx: n * sw**2 * sx**2,
                "that is Var(z): take its square root to get the std",
            ),
            Mistake(
                "variances of w and x added",
                lambda n, sw, sx: np.sqrt(n * (sw**2 + sx**2)),
                "the variance of a product w_i x_i of independent zero-mean factors is the product "
                "std_w**2 * x_rms**2, not the sum",
            ),
            Mistake(
                "forgot the input",
                lambda n, sw, sx: np.sqrt(n) * sw,
                "each term is w_i x_i: its std is std_w times the input's size x_rms",
            ),
        ],
    )
)


def _fan_cases(rng):
    return [
        Case((int(rng.integers(20, 200)), int(rng.integers(300, 1000))), about="fan_in < fan_out"),
        Case((784, 256), about="fan_in = 784, fan_out = 256"),
        Case((int(rng.integers(2, 64)),) * 2, about="fan_in = fan_out"),
        Case((1, int(rng.integers(2, 10))), about="fan_in = 1"),
    ]


def he_std(fan_in, fan_out):
    """He et al. (2015), eq. 10: the std of he_normal's N(0, 2 / fan_in), for W of shape (fan_in, fan_out)."""
    return float(np.sqrt(init.promised_variance("he_normal", (fan_in, fan_out))))


register(
    Exercise(
        name="he_std",
        lesson=4,
        title="He's standard deviation",
        reference=he_std,
        cases=_fan_cases,
        first_hint="He's weights have variance 2 / n, where n is the number of inputs each unit sums; "
        "return the standard deviation",
        mistakes=[
            Mistake(
                "used fan_out",
                lambda fi, fo: np.sqrt(2 / fo),
                "He's variance divides by fan_in, the number of inputs each unit sums (the rows of W), not by fan_out",
            ),
            Mistake(
                "forgot the 2",
                lambda fi, fo: np.sqrt(1 / fi),
                "sqrt(1 / fan_in) is LeCun's std: ReLU zeroes half of its inputs, and the factor 2 makes up for it",
            ),
            Mistake(
                "variance, not std", lambda fi, fo: 2 / fi, "2 / fan_in is the variance: the std is its square root"
            ),
            Mistake(
                "2 outside the root",
                lambda fi, fo: 2 / np.sqrt(fi),
                "the 2 belongs under the square root: std = sqrt(2 / fan_in)",
            ),
            Mistake(
                "Glorot's formula",
                lambda fi, fo: np.sqrt(2 / (fi + fo)),
                "sqrt(2 / (fan_in + fan_out)) is Glorot's std; He's uses fan_in alone",
            ),
        ],
    )
)


def glorot_limit(fan_in, fan_out):
    """Glorot & Bengio (2010), eq. 16: the limit a of glorot_uniform's U[-a, a], whose variance a^2 / 3 is
    2 / (fan_in + fan_out), so a = sqrt(6 / (fan_in + fan_out))."""
    return float(np.sqrt(3 * init.promised_variance("glorot_uniform", (fan_in, fan_out))))


register(
    Exercise(
        name="glorot_limit",
        lesson=4,
        title="Glorot's uniform limit",
        reference=glorot_limit,
        cases=_fan_cases,
        first_hint="Glorot's variance is 2 / (fan_in + fan_out), and U[-a, a] has variance a**2 / 3: solve for a",
        mistakes=[
            Mistake(
                "the std, not the limit",
                lambda fi, fo: np.sqrt(2 / (fi + fo)),
                "that is the std of the weights: U[-a, a] has variance a**2 / 3, so the limit is sqrt(3) "
                "times the std, a = sqrt(6 / (fan_in + fan_out))",
            ),
            Mistake(
                "fans averaged wrongly",
                lambda fi, fo: np.sqrt(6 / ((fi + fo) / 2)),
                "the 2 in 2 / (fan_in + fan_out) already averages the fans (it is 1 / mean fan): do not divide "
                "the sum by 2 again",
            ),
            Mistake(
                "variance 1 / (fan_in + fan_out)",
                lambda fi, fo: np.sqrt(3 / (fi + fo)),
                "you used variance 1 / (fan_in + fan_out) (as some notes write it): Glorot's is "
                "2 / (fan_in + fan_out), so a = sqrt(6 / (fan_in + fan_out))",
            ),
            Mistake(
                "fan_in only",
                lambda fi, fo: np.sqrt(6 / fi),
                "sqrt(6 / fan_in) is He's uniform limit: Glorot's compromise uses fan_in + fan_out",
            ),
            Mistake(
                "the standard heuristic",
                lambda fi, fo: 1 / np.sqrt(fi),
                "1 / sqrt(fan_in) is the 'standard' initialization the paper compares against, not the normalized one",
            ),
            Mistake(
                "forgot the square root",
                lambda fi, fo: 6 / (fi + fo),
                "6 / (fan_in + fan_out) is a**2: take the square root",
            ),
        ],
    )
)


def _depth_cases(rng):
    return [
        Case((float(rng.uniform(0.5, 2.0)), int(rng.integers(10, 40)), 1.0), about="Var(W) = 1/n"),
        Case((1.421, 30, 2.0), about="Var(W) = 2/n, depth 30"),
        Case((float(rng.uniform(0.5, 2.0)), 1, float(rng.uniform(0.5, 3.0))), about="depth 1"),
        Case(
            (float(rng.uniform(0.5, 2.0)), int(rng.integers(2, 8)), float(rng.uniform(2.5, 4.0))),
            about="Var(W) = c/n with c > 2",
        ),
    ]


def relu_std_at_depth(std_first, depth, c):
    """The std of z in layer `depth` of a ReLU network with Var(W) = c / n in every layer, given its std in
    layer 1: each layer multiplies Var(z) by n (c / n) / 2, since E[relu(z)^2] = Var(z) / 2 (He et al. 2015)."""
    return float(std_first * (c / 2) ** ((depth - 1) / 2))


register(
    Exercise(
        name="relu_std_at_depth",
        lesson=4,
        title="The std of z deep in a ReLU network",
        reference=relu_std_at_depth,
        cases=_depth_cases,
        first_hint="from one layer to the next Var(z) is multiplied by n * Var(W) / 2 = c / 2; "
        "count the layers between layer 1 and layer `depth`, and take a square root for the std",
        mistakes=[
            Mistake(
                "forgot ReLU's halving",
                lambda s, d, c: s * c ** ((d - 1) / 2),
                "ReLU zeroes half of a symmetric input: E[relu(z)**2] = Var(z) / 2, so each layer multiplies "
                "the variance by c / 2, not by c",
            ),
            Mistake(
                "variance factor on the std",
                lambda s, d, c: s * (c / 2) ** (d - 1),
                "c / 2 is the factor on the variance: the std changes by sqrt(c / 2) per layer",
            ),
            Mistake(
                "one layer too many",
                lambda s, d, c: s * (c / 2) ** (d / 2),
                "from layer 1 to layer `depth` there are depth - 1 steps, not depth",
            ),
        ],
    )
)
