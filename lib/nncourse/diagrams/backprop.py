"""Lesson 02's pictures: a neuron's computational graph with the local derivative on every edge, the layered
chain-rule product, and the 2-2-2 worked example (Mazur 2015) with its weights."""

from nncourse.diagrams import image

# backward in Okabe-Ito vermillion (told apart from black by every colour-vision type; a pure red is not)
FORWARD, BACKWARD, NODE = "black", "#D55E00", "#eaf2fb"


def _node(ax, xy, text, r=0.055, color=NODE, fontsize=11):
    """A round node of radius r (in units of the figure's height), drawn as a circle on a non-square axes."""
    from matplotlib.patches import Ellipse

    w, h = ax.figure.get_size_inches()
    ax.add_patch(Ellipse(xy, 2 * r * h / w, 2 * r, facecolor=color, edgecolor="0.3", lw=1.2, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _box(ax, xy, text, w=0.1, h=0.09, color=NODE, fontsize=10):
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01", facecolor=color, edgecolor="0.3", lw=1.2, zorder=3
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, a, b, color=FORWARD, shrink=18, lw=1.3, style="-|>", shrink_end=None):
    ax.annotate(
        "",
        xy=b,
        xytext=a,
        arrowprops=dict(
            arrowstyle=style, color=color, lw=lw, shrinkA=shrink, shrinkB=shrink if shrink_end is None else shrink_end
        ),
        zorder=2,
    )


def _label(ax, a, b, text, color, offset=0.0, fontsize=9, t=0.5):
    x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]) + offset
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=color,
        zorder=5,
        bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85),
    )


def _blank(fig):
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    return ax


@image("backprop_graph.png", figsize=(9.0, 4.2))
def neuron_graph(fig):
    """One sigmoid neuron and its squared error as a graph of elementary operations. Black: what flows
    forward. Orange: the local derivative of each node's output with respect to that input."""
    ax = _blank(fig)
    p = {
        "x1": (0.06, 0.82),
        "w1": (0.06, 0.62),
        "x2": (0.06, 0.40),
        "w2": (0.06, 0.20),
        "b": (0.30, 0.08),
        "m1": (0.24, 0.72),
        "m2": (0.24, 0.30),
        "z": (0.46, 0.50),
        "a": (0.66, 0.50),
        "E": (0.88, 0.50),
    }
    for k in ("x1", "w1", "x2", "w2", "b"):
        _node(ax, p[k], {"x1": "$x_1$", "w1": "$w_1$", "x2": "$x_2$", "w2": "$w_2$", "b": "$b$"}[k], color="white")
    _node(ax, p["m1"], "×"), _node(ax, p["m2"], "×"), _node(ax, p["z"], "+")
    _node(ax, p["a"], "σ"), _box(ax, p["E"], "E = ½(a − t)²", w=0.15)
    edges = [
        ("x1", "m1", "$w_1$"),
        ("w1", "m1", "$x_1$"),
        ("x2", "m2", "$w_2$"),
        ("w2", "m2", "$x_2$"),
        ("m1", "z", "1"),
        ("m2", "z", "1"),
        ("b", "z", "1"),
        ("z", "a", "a(1 − a)"),
        ("a", "E", "a − t"),
    ]
    for u, v, d in edges:
        if v == "E":  # a box, not a circle: end the arrow at its left edge
            _arrow(ax, p[u], (p[v][0] - 0.08, p[v][1]), shrink_end=0)
        else:
            _arrow(ax, p[u], p[v])
        _label(
            ax,
            p[u],
            p[v],
            d,
            BACKWARD,
            offset=-0.045 if u in ("z", "a") else 0.0,
            t=0.55 if u not in ("z", "a") else 0.5,
        )
    _label(ax, p["m1"], p["z"], "$w_1x_1$", FORWARD, offset=0.07)
    _label(ax, p["z"], p["a"], "z", FORWARD, offset=0.045)
    _label(ax, p["a"], p["E"], "a", FORWARD, offset=0.045)
    ax.text(
        0.5,
        0.97,
        "forward: values (black).  backward: local derivative of each node w.r.t. its input (orange)",
        ha="center",
        va="top",
        fontsize=9.5,
    )
    ax.text(
        0.62,
        0.14,
        "∂E/∂$w_1$ = (a − t) · a(1 − a) · 1 · $x_1$\nmultiply the orange labels along the path from E back to $w_1$",
        ha="center",
        va="center",
        fontsize=10,
        color=BACKWARD,
    )


@image("backprop_chain.png", figsize=(9.0, 3.8))
def layered_chain(fig):
    """The gradient of the loss with respect to the first layer's weights as a product of one factor per
    layer, read right to left: dL/dA_n, then for each layer dA/dZ (the activation's slope) and W^T."""
    ax = _blank(fig)
    names = ["$x$", "$Z_1$", "$A_1$", "$Z_2$", "$A_2$", "…", "$Z_n$", "$A_n$", "$L$"]
    ops = ["$W_1$", "$f$", "$W_2$", "$f$", "", "$W_n$", "$f$", "loss"]
    xs = [0.05 + i * 0.113 for i in range(len(names))]
    y, yb = 0.72, 0.42
    for x, n in zip(xs, names):
        _node(ax, (x, y), n, r=0.04, color="white" if n in ("$x$", "…") else NODE)
    for i, op in enumerate(ops):
        _arrow(ax, (xs[i], y), (xs[i + 1], y), shrink=14)
        if op:
            _label(ax, (xs[i], y), (xs[i + 1], y), op, FORWARD, offset=0.07)
    back = [
        "$\\cdot\\,x^T$",
        "$\\partial A_1/\\partial Z_1$",
        "$W_2^T$",
        "$\\partial A_2/\\partial Z_2$",
        "",
        "$W_n^T$",
        "$\\partial A_n/\\partial Z_n$",
        "$\\partial L/\\partial A_n$",
    ]
    for i, lab in enumerate(back):
        _arrow(ax, (xs[i + 1], yb), (xs[i], yb), color=BACKWARD, shrink=4)
        if lab:
            _label(ax, (xs[i], yb), (xs[i + 1], yb), lab, BACKWARD, offset=-0.07, fontsize=10)
    ax.text(0.5, 0.93, "forward (black): $Z_k = A_{k-1} W_k + b_k$,  $A_k = f(Z_k)$", ha="center", fontsize=10)
    ax.text(
        0.5,
        0.52,
        "backward (orange), right to left: multiply by one factor per step to reach $\\partial L/\\partial W_1$",
        ha="center",
        fontsize=10,
        color=BACKWARD,
    )
    ax.text(
        0.5,
        0.13,
        "$\\frac{\\partial L}{\\partial W_1} = \\frac{\\partial L}{\\partial A_n}\\cdot"
        "\\frac{\\partial A_n}{\\partial Z_n}\\cdot W_n\\cdot\\frac{\\partial A_{n-1}}{\\partial Z_{n-1}}"
        "\\cdots W_2\\cdot\\frac{\\partial A_1}{\\partial Z_1}\\cdot x$",
        ha="center",
        fontsize=13,
        color=BACKWARD,
    )
    ax.text(
        0.5,
        0.02,
        "one factor per layer: if every factor is below 1 the product shrinks with depth, if above 1 it grows",
        ha="center",
        fontsize=9,
        color="0.3",
    )


@image("backprop_mazur_network.png", figsize=(8.0, 4.6))
def mazur_network(fig):
    """The 2-2-2 worked example (Mazur 2015): inputs, weights w1..w8 with their values, one bias per layer,
    targets."""
    ax = _blank(fig)
    p = {
        "i1": (0.12, 0.70),
        "i2": (0.12, 0.30),
        "h1": (0.45, 0.70),
        "h2": (0.45, 0.30),
        "o1": (0.78, 0.70),
        "o2": (0.78, 0.30),
        "b1": (0.30, 0.06),
        "b2": (0.63, 0.06),
    }
    labels = {
        "i1": "$i_1$\n0.05",
        "i2": "$i_2$\n0.10",
        "h1": "$h_1$",
        "h2": "$h_2$",
        "o1": "$o_1$",
        "o2": "$o_2$",
        "b1": "$b_1$\n0.35",
        "b2": "$b_2$\n0.60",
    }
    for k, xy in p.items():
        _node(ax, xy, labels[k], r=0.06, color="white" if k[0] in "ib" else NODE, fontsize=10)
    weights = [
        ("i1", "h1", "$w_1$ = 0.15", 0.4),
        ("i2", "h1", "$w_2$ = 0.20", 0.25),
        ("i1", "h2", "$w_3$ = 0.25", 0.75),
        ("i2", "h2", "$w_4$ = 0.30", 0.4),
        ("h1", "o1", "$w_5$ = 0.40", 0.4),
        ("h2", "o1", "$w_6$ = 0.45", 0.25),
        ("h1", "o2", "$w_7$ = 0.50", 0.75),
        ("h2", "o2", "$w_8$ = 0.55", 0.4),
    ]
    for u, v, text, t in weights:
        _arrow(ax, p[u], p[v], shrink=20)
        _label(ax, p[u], p[v], text, FORWARD, t=t, fontsize=9)
    for b, targets in (("b1", ("h1", "h2")), ("b2", ("o1", "o2"))):
        for v in targets:
            _arrow(ax, p[b], p[v], color="0.55", shrink=20, lw=1.0)
    for o, t in (("o1", "0.01"), ("o2", "0.99")):
        ax.text(p[o][0] + 0.08, p[o][1], f"target {t}", va="center", fontsize=9)
    ax.text(0.5, 0.96, "sigmoid units; E = Σ ½(target − out)²; learning rate 0.5", ha="center", fontsize=10)
    ax.text(
        0.5,
        0.88,
        "library layout: $W_1$ = [[$w_1$, $w_3$], [$w_2$, $w_4$]],  "
        "$W_2$ = [[$w_5$, $w_7$], [$w_6$, $w_8$]]  (row = input, column = unit)",
        ha="center",
        fontsize=9,
        color="0.3",
    )
