"""Diagrams for lesson 01 (neurons): one neuron, a small multi-layer perceptron, the hand-built box detector."""

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nncourse.diagrams import image

_NODE = {"fc": "white", "ec": "0.2", "lw": 1.5}
# fills: light tints of the course's ordered maps (Blues, Oranges, Purples), colour-blind safe
_IN, _HIDDEN, _OUT = "#dbe9f6", "#fde9c8", "#dadaeb"
# weights and biases in Okabe-Ito vermillion, spelt out: a "C3" in a text is resolved when the figure is saved,
# outside the course style, and would come out as matplotlib's default red
_WEIGHT = "#D55E00"


def _canvas(fig, xlim, ylim):
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")
    return ax


def _node(ax, xy, r, text="", fc="white", fontsize=12):
    ax.add_patch(Circle(xy, r, **{**_NODE, "fc": fc}))
    if text:
        ax.text(*xy, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, color="0.3", lw=1.2, shrink=(0.0, 0.0)):
    """An arrow from start to end, both pulled in by the radii in `shrink` (so it meets circle edges)."""
    (x0, y0), (x1, y1) = start, end
    d = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    a = (x0 + ux * shrink[0], y0 + uy * shrink[0])
    b = (x1 - ux * shrink[1], y1 - uy * shrink[1])
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=color, lw=lw))


@image("neuron_single.png", figsize=(8.0, 3.6))
def single_neuron(fig):
    """Inputs x_i times weights w_i, summed with the bias b into z, through the activation f to a = f(z)."""
    ax = _canvas(fig, (0, 10), (0, 4.5))
    ys = [3.6, 2.25, 0.9]
    for i, y in enumerate(ys, start=1):
        _node(ax, (1.0, y), 0.38, f"$x_{i}$", fc=_IN)
        _arrow(ax, (1.0, y), (4.6, 2.25), shrink=(0.38, 0.75))
        ax.text(2.6, y + (2.25 - y) * 0.45 + 0.18, f"$w_{i}$", fontsize=12, color=_WEIGHT, ha="center")
    ax.text(1.0, 4.25, "inputs", ha="center", fontsize=11)
    _node(ax, (4.6, 2.25), 0.75, r"$\Sigma$", fc=_HIDDEN, fontsize=18)
    ax.text(4.6, 0.95, r"$z = w_1x_1 + w_2x_2 + w_3x_3 + b$", ha="center", fontsize=11)
    _node(ax, (4.6, 4.1), 0.28, "1", fc="0.93", fontsize=10)
    _arrow(ax, (4.6, 4.1), (4.6, 2.25), shrink=(0.28, 0.75))
    ax.text(4.75, 3.4, "$b$", fontsize=12, color=_WEIGHT)
    ax.add_patch(FancyBboxPatch((6.3, 1.75), 1.2, 1.0, boxstyle="round,pad=0.05", **_NODE, zorder=2))
    ax.text(6.9, 2.25, "$f$", ha="center", va="center", fontsize=16)
    ax.text(6.9, 1.35, "activation", ha="center", fontsize=10)
    _arrow(ax, (5.35, 2.25), (6.25, 2.25))
    ax.text(5.8, 2.4, "$z$", ha="center", fontsize=12)
    _arrow(ax, (7.55, 2.25), (9.0, 2.25))
    ax.text(8.3, 2.45, "$a = f(z)$", ha="center", fontsize=12)
    ax.text(8.3, 1.85, "output", ha="center", fontsize=10)


@image("neuron_mlp.png", figsize=(8.0, 4.2))
def small_mlp(fig):
    """Layers of neurons: 3 inputs -> 4 -> 4 -> 1. Every arrow is one weight; every circle after the inputs
    is a neuron like the single one (weighted sum, bias, activation)."""
    ax = _canvas(fig, (0, 10), (-0.4, 5.0))
    layers = [
        (1.2, 3, _IN, "input\n$x$ (3 numbers)"),
        (4.0, 4, _HIDDEN, "hidden layer 1\nDense(3, 4) + $f$"),
        (6.8, 4, _HIDDEN, "hidden layer 2\nDense(4, 4) + $f$"),
        (9.0, 1, _OUT, "output\nDense(4, 1)"),
    ]
    pos = []
    for x, n, _, _ in layers:
        top = 2.4 + 0.55 * (n - 1)
        pos.append([(x, top - 1.1 * i) for i in range(n)])
    for left, right in zip(pos[:-1], pos[1:]):
        for a in left:
            for b in right:
                _arrow(ax, a, b, color="0.55", lw=0.8, shrink=(0.3, 0.3))
    for (x, _, fc, label), nodes in zip(layers, pos):
        for xy in nodes:
            _node(ax, xy, 0.3, fc=fc)
        ax.text(x, -0.25, label, ha="center", va="bottom", fontsize=10)


@image("neuron_detector.png", figsize=(8.0, 4.2))
def box_detector(fig):
    """The hand-built detector: four edge neurons (one per side of the box x2 in [-1, 5], x3 in [-8, -4]) and
    an AND neuron that fires when all four are on. k is the edges' steepness."""
    ax = _canvas(fig, (0, 10.4), (-0.3, 5.0))
    inputs = {"$x_1$": (1.0, 4.0), "$x_2$": (1.0, 2.4), "$x_3$": (1.0, 0.8)}
    edges = [
        ("$x_2 > -1$", 4.3, "$x_2$", "$k$", "$k$"),
        ("$x_2 < 5$", 3.1, "$x_2$", "$-k$", "$5k$"),
        ("$x_3 > -8$", 1.9, "$x_3$", "$k$", "$8k$"),
        ("$x_3 < -4$", 0.7, "$x_3$", "$-k$", "$-4k$"),
    ]
    for name, xy in inputs.items():
        _node(ax, xy, 0.35, name, fc=_IN if name != "$x_1$" else "0.93")
    ax.text(1.0, 4.5, "weight 0: ignored", ha="center", fontsize=9, color="0.4")
    for label, y, src, w, b in edges:
        _arrow(ax, inputs[src], (3.95, y), shrink=(0.35, 0.0))
        sx, sy = inputs[src]
        ax.text(sx + (3.95 - sx) * 0.55, sy + (y - sy) * 0.55 + 0.1, w, fontsize=10, color=_WEIGHT, ha="center")
        ax.add_patch(
            FancyBboxPatch((4.0, y - 0.28), 1.8, 0.56, boxstyle="round,pad=0.03", **{**_NODE, "fc": _HIDDEN}, zorder=2)
        )
        ax.text(4.9, y, r"$\sigma$:  " + label, ha="center", va="center", fontsize=10, zorder=3)
        ax.text(4.9, y - 0.47, f"bias {b}", ha="center", fontsize=9, color=_WEIGHT)
        _arrow(ax, (5.85, y), (8.0, 2.5), shrink=(0.0, 0.5))
    ax.text(6.9, 3.75, "weights $g$", fontsize=10, color=_WEIGHT)
    _node(ax, (8.0, 2.5), 0.5, "AND", fc=_OUT, fontsize=11)
    ax.text(8.0, 1.55, "logit $= g\\,(h_1+h_2+h_3+h_4 - 3.5)$", ha="center", fontsize=9)
    _arrow(ax, (8.5, 2.5), (10.1, 2.5))
    ax.text(9.3, 2.7, "fires?", ha="center", fontsize=10)
    ax.text(4.9, -0.25, "edge neurons $h_i$ (steepness $k$)", ha="center", fontsize=10)
