"""The figure audit (tests/figure_audit.py) finds each thing it is meant to find, and passes a figure drawn by
its rules: otherwise the notebook and image tests that rely on it could not fail."""

import io

import matplotlib.style
import numpy as np
import pytest
from matplotlib.figure import Figure

import figure_audit


def _drawn(draw, figsize=(6, 3), dpi=100):
    with matplotlib.style.context("nncourse.plotting.course"):
        fig = Figure(figsize=figsize, dpi=dpi)
        ax = fig.add_subplot()
        draw(ax)
    fig.savefig(io.BytesIO(), format="png")
    return figure_audit.problems(fig)


def _good(ax):
    steps = np.arange(1, 11)
    ax.plot(steps, steps**0.5, label="a")
    ax.plot(steps, steps**0.7, label="b")
    ax.axhline(1, color="0.5")
    ax.legend()
    ax.set(xlabel="step", ylabel="loss", title="two runs")


def test_a_figure_by_the_rules_passes():
    assert _drawn(_good) == []


@pytest.mark.parametrize(
    "draw, figsize, dpi, expected",
    [
        (lambda ax: (_good(ax), ax.set_title("small", fontsize=7)), (6, 3), 100, "text below 9 pt"),
        (_good, (6, 3), 72, "rendered at 72 dpi"),
        (_good, (14, 3), 100, "text below 9 pt as shown (14 in wide"),  # shown scaled to 900 px
        (lambda ax: (ax.plot([0, 1, 2], [1, 2, 3]), ax.plot([0, 1, 2], [3, 2, 1])), (6, 3), 100, "no legend"),
        (lambda ax: ax.plot([0, 1, 2], [1, 2, 3], color="red"), (6, 3), 100, "colour-blind-safe palette"),
        (lambda ax: ax.plot([0, 1, 2], [1, 2, 3], "o", color="limegreen", ls="none"), (6, 3), 100, "palette"),
        (lambda ax: ax.bar([0, 1], [1, 2], color="limegreen"), (6, 3), 100, "colour-blind-safe palette"),
        (lambda ax: ax.imshow(np.eye(3), cmap="jet"), (6, 3), 100, "'jet' is not colour-blind safe"),
        (lambda ax: (ax.plot([0, 1, 2], [1, 2, 3]), ax.set(xlabel="epoch")), (6, 3), 100, "ticks are not integers"),
    ],
    ids=[
        "small title",
        "low dpi",
        "too wide",
        "no legend",
        "red line",
        "green points",
        "green bar",
        "jet",
        "fractional epochs",
    ],
)
def test_each_rule_is_enforced(draw, figsize, dpi, expected):
    found = _drawn(draw, figsize, dpi)
    assert any(expected in p for p in found), found


def test_direct_labels_or_a_figure_legend_count_as_a_key():
    def labelled(ax):
        for k in range(3):
            ax.plot([0, 1, 2], [k, k + 1, k + 2])
            ax.text(2, k + 2, f"run {k}")

    assert _drawn(labelled) == []

    with matplotlib.style.context("nncourse.plotting.course"):
        fig = Figure(figsize=(8, 3))
        left, right = fig.subplots(1, 2)
        for ax in (left, right):
            ax.plot([0, 1, 2], [1, 2, 3], label="a")
            ax.plot([0, 1, 2], [3, 2, 1], label="b")
        left.legend()  # one legend for both panels: its colours are the right panel's too
    fig.savefig(io.BytesIO(), format="png")
    assert figure_audit.problems(fig) == []


def test_okabe_ito_and_safe_maps_are_safe_and_others_are_not():
    with matplotlib.style.context("nncourse.plotting.course"):  # "C0", "C3": the course's cycle
        assert all(figure_audit.colour_is_safe(c) for c in figure_audit.OKABE_ITO + ["0.3", "k", "white", "C0", "C3"])
    assert not any(figure_audit.colour_is_safe(c) for c in ["red", "green", "#2ca02c", "#d62728"])


def test_points_drawn_as_markers_are_points_coloured_like_a_scatter():
    """A line of markers only (linestyle "None") is points, as a scatter's are: several colours of them need no
    legend (the classes of a decision boundary), and their colours may be those of a safe map."""
    from matplotlib import colormaps

    def classes(ax):
        for label in (0, 1):
            ax.plot([0, 1, 2], [label, label + 1, label + 2], "o", color=colormaps["RdBu_r"](float(label)), ls="none")
        ax.plot([0, 1, 2], [1, 1, 1], "o", color="k", mfc="none", ls="none")

    assert _drawn(classes) == []
