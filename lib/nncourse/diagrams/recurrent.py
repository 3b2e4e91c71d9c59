"""Lesson 09's picture: a recurrent layer folded (one cell with a loop) and unrolled through time, with the
forward pass in black and backpropagation through time dashed, in the course's vermillion (Okabe-Ito)."""

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from nncourse.diagrams import image

_VERMILLION = "#D55E00"  # Okabe-Ito vermillion, the course style's C3
_FORWARD = dict(arrowstyle="-|>", mutation_scale=12, color="black", lw=1.3)
_BACKWARD = dict(arrowstyle="-|>", mutation_scale=11, color=_VERMILLION, lw=1.2, ls="--")


def _box(ax, x, y, text, color="#dbe9f6", w=0.9, h=0.62):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04", fc=color, ec="0.2"))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, style=_FORWARD, **kw):
    ax.add_patch(FancyArrowPatch(start, end, **style, **kw))


@image("rnn_unrolled.png", figsize=(9.0, 3.6))
def rnn_unrolled(fig):
    """Folded cell h = f(x Wx + h Wh + b) on the left; the same cell unrolled over four steps on the right."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.2, 10.2)
    ax.set_ylim(-0.5, 3.75)
    ax.axis("off")
    # folded
    fx = 0.6
    _box(ax, fx, 1.6, "$h_t$")
    _box(ax, fx, 0.2, "$x_t$", color="#eeeeee")
    _box(ax, fx, 3.0, "$\\hat y_t$", color="#fde7c8")
    _arrow(ax, (fx, 0.55), (fx, 1.25))
    _arrow(ax, (fx, 1.95), (fx, 2.65))
    _arrow(ax, (fx + 0.47, 1.75), (fx + 0.47, 1.45), connectionstyle="arc3,rad=-2.6")
    ax.text(fx + 0.28, 0.88, "$W_x$", fontsize=10)
    ax.text(fx + 0.95, 1.55, "$W_h$", fontsize=10)
    ax.text(fx, -0.32, "folded", ha="center", fontsize=9, color="0.3")
    ax.text(2.3, 1.6, "=", ha="center", va="center", fontsize=20)
    # unrolled
    xs = [3.6, 5.3, 7.0, 8.7]
    labels = ["0", "1", "2", "3"]
    for x, t in zip(xs, labels):
        _box(ax, x, 1.6, f"$h_{t}$")
        _box(ax, x, 0.2, f"$x_{t}$", color="#eeeeee")
        _box(ax, x, 3.0, f"$\\hat y_{t}$", color="#fde7c8")
        _arrow(ax, (x, 0.55), (x, 1.25))
        _arrow(ax, (x, 1.95), (x, 2.65))
        _arrow(ax, (x + 0.25, 2.65), (x + 0.25, 1.95), _BACKWARD)
        ax.text(x - 0.12, 0.85, "$W_x$", fontsize=9, ha="right")
    _arrow(ax, (2.55, 1.68), (xs[0] - 0.48, 1.68))
    ax.text(2.8, 1.8, "$h_{-1}=0$", ha="center", fontsize=9, color="0.3")
    for a, b in zip(xs[:-1], xs[1:]):
        _arrow(ax, (a + 0.48, 1.68), (b - 0.48, 1.68))
        ax.text((a + b) / 2, 1.8, "$W_h$", ha="center", fontsize=9)
        _arrow(ax, (b - 0.48, 1.45), (a + 0.48, 1.45), _BACKWARD)
        ax.text((a + b) / 2, 1.12, "$\\times f'(z)\\, W_h^T$", ha="center", fontsize=9, color=_VERMILLION)
    ax.text(
        6.15,
        3.55,
        "same $W_x, W_h, b$ at every step: their gradients add up over the steps",
        ha="center",
        fontsize=9,
        color="0.25",
    )
    ax.text(
        6.15,
        -0.32,
        "unrolled through time: backpropagation (dashed) runs right to left",
        ha="center",
        fontsize=9,
        color=_VERMILLION,
    )
