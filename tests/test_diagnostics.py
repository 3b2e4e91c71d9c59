"""Per-layer statistics and the per-layer plots, on small cases whose answers are known by hand."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nncourse import Dense, Sequential, mlp
from nncourse.blocks.residual import ResidualBlock
from nncourse.core import diagnostics as dg
from nncourse.core.layers import ReLU, Tanh
from nncourse.plotting import layerplots


def test_dead_unit_fraction_counts_columns_never_positive():
    z = np.array([[-1.0, 2.0, 0.0, -3.0], [-2.0, -1.0, 0.0, 1.0]])
    assert dg.dead_unit_fraction(z) == 0.5  # columns 0 and 2 never exceed 0


def test_saturated_fraction():
    a = np.array([0.001, 0.5, 0.995, 0.2])
    assert dg.saturated_fraction(a, "sigmoid") == 0.5
    assert dg.saturated_fraction(np.array([-0.999, 0.0, 0.5, 0.992]), "tanh") == 0.5
    assert dg.saturated_fraction(a, "relu") == 0.0


def test_layer_stats_by_hand():
    """x = [[1], [-1]] through Dense(1, 2) with W = [[1, -2]], b = 0, then ReLU, then Dense(2, 1) = [[1], [1]]."""
    model = Sequential([Dense.from_arrays([[1.0, -2.0]], [0.0, 0.0]), ReLU(), Dense.from_arrays([[1.0], [1.0]], [0.0])])
    out = model.forward(np.array([[1.0], [-1.0]]))
    model.backward(np.ones_like(out))
    rows = dg.layer_stats(model)
    first = rows[0]
    # z = [[1, -2], [-1, 2]], a = [[1, 0], [0, 2]]
    assert first["activation"] == "relu"
    assert first["mean"] == pytest.approx(0.75) and first["std"] == pytest.approx(np.std([1, 0, 0, 2]))
    assert first["z_std"] == pytest.approx(np.std([1, -2, -1, 2]))
    assert first["dead"] == 0.0
    # dL/da = 1 everywhere, dz = 1 where z > 0: [[1, 0], [0, 1]]; dW = x^T dz = [[1, -1]]
    assert first["grad_std"] == pytest.approx(0.5)
    assert first["grad_norm"] == pytest.approx(np.sqrt(2))
    # output layer: dW = a^T dout = [[1], [2]]
    assert rows[1]["activation"] == "identity" and rows[1]["grad_norm"] == pytest.approx(np.sqrt(5))


def test_dense_layers_look_inside_residual_blocks(rng):
    inner = Dense(3, 3, rng=rng)
    model = Sequential([Dense(2, 3, rng=rng), Tanh(), ResidualBlock([inner, Tanh()]), Dense(3, 1, rng=rng)])
    layers = dg.dense_layers(model)
    assert len(layers) == 3 and layers[1] is inner
    dg.backprop_probe(model, rng.normal(size=(5, 2)), rng)
    norms = dg.weight_grad_norms(model)
    assert norms.shape == (3,)
    assert norms[1] == pytest.approx(np.linalg.norm(inner.grads["W"]))


def test_backprop_probe_is_deterministic_and_checks_input():
    def run():
        model = mlp([4, 5, 2], "tanh", rng=np.random.default_rng(0))
        dg.backprop_probe(model, np.ones((3, 4)), np.random.default_rng(7))
        return dg.weight_grad_norms(model)

    assert np.array_equal(run(), run())
    with pytest.raises(ValueError, match="NaN"):
        dg.backprop_probe(
            mlp([2, 1], rng=np.random.default_rng(0)), np.array([[np.nan, 1.0]]), np.random.default_rng(0)
        )


def test_std_ratio_is_the_geometric_mean_factor():
    assert dg.std_ratio([8.0, 4.0, 2.0, 1.0]) == pytest.approx(0.5)
    assert dg.std_ratio([3.0, 1.5]) == pytest.approx(0.5)  # two entries: just their ratio
    with pytest.raises(ValueError):
        dg.std_ratio([1.0])
    with pytest.raises(ValueError):
        dg.std_ratio([1.0, 0.0])


def test_format_table_rounds_and_aligns():
    text = dg.format_table([{"layer": 1, "std": 0.123456}, {"layer": 10, "std": 2.0}], ["layer", "std"])
    assert text.splitlines() == ["layer     std", "    1  0.1235", "   10       2"]


def test_pick_layers():
    assert layerplots.pick_layers(3) == [0, 1, 2]
    assert layerplots.pick_layers(30) == [0, 7, 14, 22, 29]
    assert layerplots.pick_layers(10, most=2) == [0, 9]


def test_histograms_are_densities_on_common_bins(rng):
    fig = Figure()
    ax = fig.subplots()
    arrays = [rng.normal(size=1000), 3 * rng.normal(size=1000)]
    layerplots.plot_layer_histograms(arrays, ax, bins=20, value_range=(-10, 10))
    steps = [p for p in ax.patches]
    assert len(steps) == 2
    for s in steps:
        values, edges = s.get_data().values, s.get_data().edges
        assert np.allclose(edges, np.linspace(-10, 10, 21))
        assert np.sum(values * np.diff(edges)) == pytest.approx(1.0, abs=0.01)  # almost all mass in range
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["layer 1", "layer 2"]


def test_histograms_of_all_equal_values_still_draw():
    ax = Figure().subplots()
    layerplots.plot_layer_histograms([np.zeros(10)], ax)
    assert len(ax.patches) == 1


def test_per_layer_plot_skips_zeros_on_log_scale():
    ax = Figure().subplots()
    layerplots.plot_per_layer([1.0, 0.0, 1e-3], ax)
    x, y = ax.lines[0].get_data()
    assert list(x) == [1, 3] and list(y) == [1.0, 1e-3] and ax.get_yscale() == "log"
