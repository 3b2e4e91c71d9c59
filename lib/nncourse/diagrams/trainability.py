"""Diagrams for lesson 06 (trainability): the running example's network, and where batch norm, dropout and a
skip connection go in one hidden layer."""

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nncourse.diagrams import image

_EDGE = {"color": "0.6", "lw": 0.6, "zorder": 1}


def _canvas(fig, xlim, ylim):
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")
    return ax


def _column(n, x, top, bottom):
    step = (top - bottom) / max(n - 1, 1)
    mid = (top + bottom) / 2
    return [(x, mid + (i - (n - 1) / 2) * step) for i in range(n)]


@image("trainability_network.png", figsize=(7.0, 3.8))
def running_example_network(fig):
    """The lesson's classifier: inputs x1, x2 -> 8 ReLU units -> 8 ReLU units -> one sigmoid output unit
    giving P(class 1). Every line is one weight: 2*8 + 8*8 + 8*1 = 88 weights and 8 + 8 + 1 = 17 biases."""
    ax = _canvas(fig, (0, 10), (-0.6, 5.0))
    sizes, xs = (2, 8, 8, 1), (1.0, 3.8, 6.6, 9.0)
    fills = ("#dbe9f6", "#fde9c8", "#fde9c8", "#dadaeb")  # light Blues, Oranges, Purples: colour-blind safe
    cols = [_column(n, x, 4.2, 0.3) if n > 2 else _column(n, x, 3.0, 1.5) for n, x in zip(sizes, xs)]
    cols[-1] = [(xs[-1], 2.25)]
    for a, b in zip(cols[:-1], cols[1:]):
        for p in a:
            for q in b:
                ax.plot([p[0], q[0]], [p[1], q[1]], **_EDGE)
    labels = (["$x_2$", "$x_1$"], [""] * 8, [""] * 8, [r"$\sigma$"])
    for col, fill, lab in zip(cols, fills, labels):
        for (x, y), text in zip(col, lab):
            ax.add_patch(Circle((x, y), 0.2, fc=fill, ec="0.2", lw=1.2, zorder=2))
            ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=3)
    for x, text in zip(xs, ("2 inputs", "8 units\nReLU", "8 units\nReLU", "1 output\nsigmoid")):
        ax.text(x, -0.35, text, ha="center", va="center", fontsize=9)
    ax.text(9.0, 2.75, "P(class 1)", ha="center", fontsize=9)


def _box(ax, x, text, fc, w=1.25):
    ax.add_patch(FancyBboxPatch((x - w / 2, 0.7), w, 0.9, boxstyle="round,pad=0.04", fc=fc, ec="0.2", lw=1.2))
    ax.text(x, 1.15, text, ha="center", va="center", fontsize=9)


@image("trainability_hidden_layer.png", figsize=(8.0, 2.2))
def hidden_layer_recipe(fig):
    """One hidden layer of the lesson's network with every option on: Dense -> BatchNorm -> activation ->
    Dropout, and the skip connection that a residual block adds around the first three."""
    ax = _canvas(fig, (0, 11), (0, 3.0))
    boxes = [
        (1.9, "Dense\n$xW + b$", "#fde9c8"),
        (3.9, "BatchNorm\n$\\gamma\\hat{x} + \\beta$", "#c6dbef"),
        (5.9, "activation\nReLU / tanh", "#fde9c8"),
        (8.9, "Dropout\n(training only)", "#dadaeb"),
    ]
    for x, text, fc in boxes:
        _box(ax, x, text, fc, w=1.55 if x > 8 else 1.25)  # room for "(training only)"
    for x0, x1 in ((0.3, 1.25), (2.55, 3.25), (4.55, 5.25), (6.55, 7.2), (7.6, 8.1), (9.7, 10.8)):
        ax.add_patch(FancyArrowPatch((x0, 1.15), (x1, 1.15), arrowstyle="-|>", mutation_scale=10, color="0.3"))
    ax.add_patch(Circle((7.4, 1.15), 0.2, fc="white", ec="C0", lw=1.2))
    ax.text(7.4, 1.15, "+", ha="center", va="center", fontsize=11, color="C0")
    ax.text(0.3, 0.85, "$x$", fontsize=11)
    ax.add_patch(
        FancyArrowPatch(
            (0.8, 1.15),
            (7.4, 1.35),
            connectionstyle="arc3,rad=-0.3",
            arrowstyle="-|>",
            mutation_scale=10,
            color="C0",
            ls="--",
        )
    )
    ax.text(3.9, 2.55, "skip connection (residual block): output $x + f(x)$", ha="center", fontsize=9, color="C0")
