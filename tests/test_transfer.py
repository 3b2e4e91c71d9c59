"""Freezing and head replacement, and lesson 08's numbers: frozen layers do not change under any optimizer,
gradients still pass through them, and every number the notebook's prose states is recomputed here with
the lesson's defaults and found, as written, in its markdown."""

import inspect

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import assert_stated as _stated, notebook_markdown
from nncourse import SGD, fit, mlp
from nncourse.blocks.freezing import freeze, frozen_count, replace_head, weight_changes
from nncourse.blocks.pruning import masked_layers, prunable, prune_by_magnitude
from nncourse.core.optim import Adam
from nncourse.datasets.digits import few_labels, softmax_cross_entropy
from nncourse.lessons import transfer_learning as tr

NB = "08_transfer_learning.ipynb"


@pytest.fixture(scope="module")
def prose():
    return notebook_markdown(NB)


@pytest.mark.parametrize(
    "make_opt", [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.01)], ids=["sgd", "momentum", "adam"]
)
def test_frozen_layers_do_not_change(make_opt, rng):
    model = freeze(mlp([3, 6, 6, 2], rng=rng), 2)
    before = model.get_weights()
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    hist = fit(model, X, y, optimizer=make_opt(), epochs=20)
    assert not hist.diverged
    changes = weight_changes(before, model)
    assert changes[0] == 0.0 and changes[1] == 0.0 and changes[2] > 0
    for layer, w in zip(model.layers, before):
        for k in layer.params:
            assert np.array_equal(layer.params[k], w[k]) or layer.trainable


def test_gradients_still_flow_through_frozen_layers(rng):
    model = freeze(mlp([3, 5, 5, 1], rng=rng), 2)
    X = rng.normal(size=(4, 3))
    model.forward(X)
    dx = model.backward(rng.normal(size=(4, 1)))
    assert np.any(dx != 0) and np.any(model.param_layers[0].grads["W"] != 0)


def test_freeze_counts_and_validates(rng):
    model = mlp([2, 3, 3, 1], rng=rng)
    assert frozen_count(freeze(model, 3)) == 3 and frozen_count(freeze(model, 0)) == 0
    for bad in (-1, 4, 1.5, True):
        with pytest.raises(ValueError, match="0 to 3"):
            freeze(model, bad)


def test_freezing_and_pruning_combine(rng):
    model = freeze(prunable(mlp([3, 6, 2], rng=rng)), 1)
    prune_by_magnitude(model, 0.5)
    before = model.get_weights()
    fit(model, rng.normal(size=(10, 3)), rng.normal(size=(10, 2)), optimizer=SGD(0.1), epochs=5)
    hidden, out = masked_layers(model)
    assert np.array_equal(hidden.params["W"], before[0]["W"]) and np.all(out.params["W"][out.mask == 0] == 0)


def test_replace_head_copies_the_body_and_adds_a_fresh_head(rng):
    src = freeze(mlp([4, 6, 6, 3], rng=rng), 1)
    new = replace_head(src, 5, np.random.default_rng(1))
    assert [type(l).__name__ for l in new.layers] == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]
    assert new.layers[-1].n_in == 6 and new.layers[-1].n_out == 5
    assert np.array_equal(new.layers[0].params["W"], src.layers[0].params["W"])
    assert new.layers[0].params["W"] is not src.layers[0].params["W"]  # a copy
    assert [l.trainable for l in new.param_layers] == [False, True, True]
    with pytest.raises(ValueError):
        replace_head(src, 0, rng)


def test_transfer_model_keeps_source_features(rng):
    pre = tr.pretrain()
    net = tr.transfer_model(pre, 2, rng)
    src = pre.model()
    X = tr.target_data()["X_test"][:5]
    net.forward(X)
    src.forward(X)
    assert np.array_equal(net.outputs[3], src.outputs[3])  # same second-layer features
    with pytest.raises(ValueError, match="n_frozen"):
        tr.transfer_model(pre, 3, rng)


def test_setup_numbers(prose):
    sig = inspect.signature(tr.pretrain).parameters
    assert (sig["width"].default, sig["epochs"].default, sig["lr"].default, sig["batch_size"].default) == (
        64,
        20,
        0.3,
        32,
    )
    pre = tr.pretrain()
    assert pre.source_accuracy > 0.95  # printed to 3 figures; the prose rounds it to 2
    _stated(prose, f"test accuracy {pre.source_accuracy:.2g}.")
    target = tr.target_data()
    assert (len(target["X_train"]), len(target["X_test"])) == (627, 269)
    assert set(target["y_train"]) == {0, 1, 2, 3, 4}
    rsig = inspect.signature(tr.run_transfer).parameters
    assert (rsig["steps"].default, rsig["lr"].default) == (100, 0.3)
    assert inspect.signature(tr.run_budget_sweep).parameters["n_seeds"].default == 3
    _stated(
        prose,
        "64-64-64-5",
        "batches of 32, learning rate 0.3) for 20 epochs on 70%",
        "the other 30%",
        "627 training images",
        "269 test images",
        "Dense(64, 5)",
        "100 steps of full-batch gradient descent at learning rate 0.3",
        "over 3 seeds",
        "2, 1 or 0",
    )


def test_frozen_layers_moved_by_exactly_zero_in_the_lesson(prose):
    rng = np.random.default_rng(0)
    pre, target = tr.pretrain(), tr.target_data()
    net = tr.transfer_model(pre, 2, rng)
    idx = few_labels(target["y_train"], 5, rng)
    before = net.get_weights()
    fit(net, target["X_train"][idx], target["Y_train"][idx], loss=softmax_cross_entropy, optimizer=SGD(0.3), epochs=100)
    changes = weight_changes(before, net)
    assert changes[:2] == [0.0, 0.0] and changes[2] > 0
    _stated(prose, "moved by exactly 0", "5 images per digit")


def test_budget_sweep_numbers(prose):
    sweep = tr.run_budget_sweep()
    assert sweep.budgets == (1, 2, 5, 10, 20) and sweep.n_seeds == 3
    t2, t1, t0 = (sweep.transfer[n].mean(axis=1) for n in (2, 1, 0))
    scratch, linear = sweep.scratch.mean(axis=1), sweep.linear.mean(axis=1)
    assert np.all(t2 < t1) and np.all(t1 < t0), "the more layers frozen, the worse, at every budget"
    assert np.all(t0[:4] < scratch[:4] - 0.01) and abs(t0[4] - scratch[4]) < 0.005, (
        "fine-tuning stays behind scratch and draws level only at 20"
    )
    assert t2[4] < linear[4] - 0.05, "2 frozen, 20 labels per digit: below the linear classifier on the pixels"
    assert np.all(np.abs(linear - scratch) < 0.035), "the linear classifier is about as good as scratch"
    # the prose rounds to 2 figures, and keeps 3 where 2 would hide the order (0.954 against 0.948)
    means = sweep.means()
    t2, t0, sc, li = (
        means[k] for k in ("transfer, 2 frozen", "transfer, 0 frozen", "from scratch", "linear on pixels")
    )
    _stated(
        prose,
        f"frozen reaches {t2[0]:.2f}, while",
        f"from scratch reaches {sc[0]:.2f}",
        f"raw pixels {li[0]:.2f}.",
        f"draws level only at 20 images per digit ({t0[4]:.3f} against {sc[4]:.3f}\nat 20)",
        f"reaches only {t2[4]:.2f} with 20",
        f"raw pixels ({li[4]:.2f})",
        "These 64 pixels",
    )


def test_plots_and_panel(prose):
    res = tr.run_transfer(per_class=1, steps=5)
    fig = Figure()
    tr.plot_transfer(res, fig)
    assert fig.axes
    fig = Figure()
    tr.plot_budget_sweep(tr.run_budget_sweep(budgets=(1, 2), n_seeds=1, frozen=(2,), steps=5), fig)
    assert fig.axes
    res = tr.run_close_transfer(per_class=1, steps=5)
    fig = Figure()
    tr.plot_transfer(res, fig)
    assert fig.axes[0].get_xlabel() == "test accuracy on the close task (digit pairs)"


def test_panel_opens_where_transfer_pays(prose):
    """The panel opens on the close task, where transfer beats training from scratch; at the same setting on the
    far task it loses (the lesson's point, both ways); the menu switches between them."""
    panel = tr.transfer_panel()
    start = panel.result
    assert (start.task, start.per_class, start.n_frozen, start.seed) == ("close", 5, 2, 0)
    assert start.transfer_accuracy > start.scratch_accuracy
    far = tr.run_task_transfer("far", 5, 2, 0)
    assert far.task == "far" and far.transfer_accuracy < far.scratch_accuracy
    assert far.transfer_accuracy == tr.run_transfer(5, 2, 0).transfer_accuracy
    _stated(
        prose,
        "It opens on the close task, 5 labelled images per digit, both hidden layers frozen",
        "Choose the far task in the menu to see the same\nrecipe lose",
    )
    panel.controls["n_frozen"].value = 0
    assert panel.result.n_frozen == 0
    assert panel.result.transfer_accuracy == tr.run_close_transfer(5, 0, 0).transfer_accuracy
    panel.controls["task"].value = "far"
    assert panel.result.task == "far"
    assert panel.result.transfer_accuracy == tr.run_transfer(5, 0, 0).transfer_accuracy
    assert panel.result.status.startswith("far task, 5 labels per digit, 0 frozen: transfer ")
    with pytest.raises(ValueError, match="task"):
        tr.run_task_transfer("near")


def test_run_transfer_validates():
    with pytest.raises(ValueError, match="only"):
        tr.run_transfer(per_class=1000)
    with pytest.raises(ValueError):
        tr.run_budget_sweep(n_seeds=0)


def test_close_task_numbers(prose):
    """Section 4: the ten-digit source and the pair labels (digit mod 5), where transfer pays."""
    sig = inspect.signature(tr.pretrain_close).parameters
    assert (sig["width"].default, sig["epochs"].default, sig["lr"].default, sig["batch_size"].default) == (
        64,
        20,
        0.3,
        32,
    )
    assert inspect.signature(tr.run_close_sweep).parameters["n_seeds"].default == 5
    data = tr.close_data()
    assert (len(data["X_train"]), len(data["X_test"])) == (1258, 539)
    assert np.array_equal(data["p_test"], data["y_test"] % 5) and set(data["p_train"]) == {0, 1, 2, 3, 4}
    pre = tr.pretrain_close()
    assert pre.source_accuracy > 0.95
    sweep = tr.run_close_sweep()
    assert sweep.budgets == (1, 2, 5, 10, 20) and sweep.n_seeds == 5
    m = {k: [f"{v:.2f}" for v in vals] for k, vals in sweep.means().items()}
    mean, low, spread = sweep.gap(2)
    means = sweep.means()
    assert abs(means["transfer, 2 frozen"][4] - means["transfer, 0 frozen"][4]) < 0.015, "as good as fine-tuning"
    assert means["linear on pixels"][4] < means["from scratch"][4] - 0.05, "the pixels fall behind"
    assert np.all(low > 0) and np.all(mean > 2 * spread), "the gap exceeds the noise at every budget"
    assert np.all(np.diff(mean) < 0), "the gap shrinks as labels grow"
    assert int((sweep.transfer[2] > sweep.scratch).sum()) == sweep.scratch.size == 25
    assert len(data["X_train"]) == 1258
    _stated(
        prose,
        "all ten digits",
        "label = digit mod 5",
        "over 5 seeds",
        "10 images in all",
        f"frozen reaches {m['transfer, 2 frozen'][0]}",
        f"from scratch {m['from scratch'][0]}",
        f"pixels {m['linear on pixels'][0]}",
        f"The gap, {mean[0]:.2f}, is about {round(mean[0] / spread[0])} times the spread over seeds ({spread[0]:.2f})",
        "smallest gap over the seeds is positive at every budget",
        "more than twice the spread at",
        "25 of 25 runs (5 budgets × 5 seeds)",
        f"{mean[4]:.2f} at 20 images per digit (spread {spread[4]:.2f})",
        f"({m['transfer, 2 frozen'][4]}\nagainst {m['transfer, 0 frozen'][4]} at 20 images per digit)",
        f"({m['linear on pixels'][4]} at 20)",
        "1258 labelled images",
    )
    fig = Figure()
    tr.plot_budget_sweep(tr.run_close_sweep(budgets=(1, 2), n_seeds=1, frozen=(2,), steps=5), fig, task="pairs")
    assert fig.axes[0].get_ylabel() == "test accuracy on pairs"
    assert "mean gap" in sweep.gap_table(2)


def test_panel_takes_the_lessons_network_and_steps():
    """width, steps and pretrain_epochs (no control) reach the panel's runs, as the lesson's parameters say."""
    assert tr.transfer_panel().fixed == {"width": 64, "steps": 100, "pretrain_epochs": 20}
    panel = tr.transfer_panel(per_class=1, seed=2, width=16, steps=5, pretrain_epochs=2)
    want = tr.run_close_transfer(1, 2, 2, width=16, steps=5, pretrain_epochs=2)
    assert panel.result.transfer_accuracy == want.transfer_accuracy and panel.result.seed == 2
    with pytest.raises(ValueError, match="setting"):
        tr.transfer_panel(widths=16)


def test_the_source_model_is_built_without_a_seed():
    """Pretrained.model() rebuilds mlp's layers from the trained weights: no random stream (and no hidden seed)."""
    from nncourse.core.model import mlp
    from nncourse.core.seeds import stream

    pre = tr.pretrain()
    net = pre.model()
    ref = mlp([64, pre.width, pre.width, pre.n_out], rng=stream(0))
    assert [type(layer) for layer in net.layers] == [type(layer) for layer in ref.layers]
    for got, want in zip(net.get_weights(), pre.weights):
        assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in got)
    assert net.get_weights()[0]["W"] is not pre.weights[0]["W"], "a copy: training it leaves the source alone"
