"""Lesson 04's picture: why a variance-preserving initializer looks at fan-in on the way forward and fan-out on
the way back (Glorot & Bengio 2010, eqs. 10-12)."""

from matplotlib.patches import FancyArrowPatch

from nncourse.diagrams import image

FORWARD, BACKWARD = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: told apart by every reader


def _layer(ax, x, n, color):
    ys = [0.5 + (i - (n - 1) / 2) * 0.13 for i in range(n)]
    ax.scatter([x] * n, ys, s=260, color=color, zorder=3)
    return ys


@image("init_fan_in_fan_out.png", figsize=(8.0, 4.6))
def fan_in_fan_out(fig):
    """Three layers; arrows show that a unit sums n_in inputs going forward and n_out gradients going back."""
    ax = fig.subplots()
    ax.set(xlim=(-0.1, 1.4), ylim=(-0.3, 1.25))
    ax.axis("off")
    left, mid, right = _layer(ax, 0.15, 5, "#56B4E9"), _layer(ax, 0.65, 4, "#E69F00"), _layer(ax, 1.15, 3, "#009E73")
    for y in left:
        ax.add_patch(FancyArrowPatch((0.19, y), (0.61, mid[1]), arrowstyle="-|>", mutation_scale=8, color=FORWARD))
    for y in right:
        ax.add_patch(FancyArrowPatch((1.11, y), (0.69, mid[2]), arrowstyle="-|>", mutation_scale=8, color=BACKWARD))
    ax.text(
        0.25,
        1.22,
        "forward: $z = \\sum_{i=1}^{n_{in}} w_i x_i$\n$Var(z) = n_{in}\\,Var(W)\\,Var(x)$",
        ha="center",
        va="top",
        fontsize=9,
        color=FORWARD,
    )
    ax.text(
        1.05,
        1.22,
        "backward: $\\partial L/\\partial x = \\sum_{j=1}^{n_{out}} w_j\\,\\partial L/\\partial z_j$\n"
        "$Var(\\partial x) = n_{out}\\,Var(W)\\,Var(\\partial z)$",
        ha="center",
        va="top",
        fontsize=9,
        color=BACKWARD,
    )
    ax.text(
        0.65,
        -0.28,
        "keep both factors near 1:  $n_{in} Var(W) = 1$ (LeCun; He: $= 2$ for ReLU),  "
        "$n_{out} Var(W) = 1$;\nGlorot's compromise: $Var(W) = 2 / (n_{in} + n_{out})$",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    ax.text(0.15, 0.1, "$n_{in}$ inputs", ha="center", fontsize=9)
    ax.text(1.15, 0.18, "$n_{out}$ units", ha="center", fontsize=9)
