"""Per-layer pictures: histograms of activations or gradients layer by layer (Glorot & Bengio 2010, figs. 6-7)
and a statistic plotted against the layer index. Each function draws on the Axes it is given and returns it."""

import numpy as np


def layer_colors(n):
    """n colours from light (input side) to dark (output side), so depth reads as shade."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.85 - 0.75 * i / max(n - 1, 1)) for i in range(n)]


def pick_layers(n_layers, most=5):
    """Indices of at most `most` layers spread evenly from the first to the last (always both ends)."""
    if n_layers <= most:
        return list(range(n_layers))
    return sorted({int(round(i)) for i in np.linspace(0, n_layers - 1, most)})


def plot_layer_histograms(arrays, ax, labels=None, bins=60, value_range=None, title=None, xlabel=None, legend=True):
    """One step-line histogram (density) per array, overlaid on common bins: the shape of each layer's values.

    arrays: list of arrays (any shape; flattened). value_range: (low, high) or None for the 0.5-99.5
    percentiles of all values together (so one huge outlier does not squash the picture).
    """
    flat = [np.ravel(a) for a in arrays]
    if value_range is None:
        every = np.concatenate(flat)
        lo, hi = np.percentile(every, [0.5, 99.5]) if every.size else (0.0, 1.0)
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5  # all values equal (zeros init): still draw one spike
        value_range = (lo, hi)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    labels = labels or [f"layer {i + 1}" for i in range(len(flat))]
    for values, label, color in zip(flat, labels, layer_colors(len(flat))):
        counts, _ = np.histogram(values, bins=edges)
        density = counts / max(values.size, 1) / np.diff(edges)
        ax.stairs(density, edges, label=label, color=color, lw=1.3)
    # an explicit y turns off matplotlib's automatic title placement, a fifth of a slider panel's redraw
    ax.set_title(title or "", y=1.0)
    ax.set(xlabel=xlabel or "value", ylabel="density")
    if legend:
        ax.legend(fontsize=9, frameon=False)
    return ax


def plot_per_layer(values, ax, label=None, log=True, marker="o", **kw):
    """A per-layer statistic (e.g. std of the activations, gradient norm) against layer 1..L, on a log scale
    by default. Zeros cannot be drawn on a log axis and are left out of the line."""
    values = np.asarray(values, dtype=np.float64)
    layers = np.arange(1, values.size + 1)
    shown = values > 0 if log else np.isfinite(values)
    ax.plot(layers[shown], values[shown], marker=marker, ms=3, label=label, **kw)
    if log and np.any(shown):
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="layer")
    return ax


def plain_log_labels(ax, axis="y"):
    """Make an axis logarithmic, labelled "1e-06" instead of "$10^{-6}$", without minor ticks: the course's one log
    axis. Mathtext labels are parsed on every redraw and made up most of a slider panel's redraw time; plain text
    is several times cheaper. Call it after plotting and setting the limits: the tick spacing depends on the
    range shown."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    ax.set_yscale("log") if axis == "y" else ax.set_xscale("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
    narrow = low > 0 and high / low < 30  # within about a decade: ticks at 1, 2, 5 per decade
    subs = (1.0, 2.0, 5.0) if narrow else (1.0,)
    if low > 0 and high / low < 4:  # less than half a decade: a tick at every digit
        subs = tuple(float(k) for k in range(1, 10))
    target.set_major_locator(LogLocator(base=10, subs=subs, numticks=6))
    target.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:.3g}"))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())
    return ax
