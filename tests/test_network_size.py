"""Lesson 07's experiments: every number the notebook's prose states is recomputed here with the lesson's
defaults and must also appear, as written, in its markdown. The full lottery-ticket run (tens of seconds) is
marked slow."""

import inspect

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import assert_stated as _stated, notebook_markdown
from nncourse.core.seeds import stream
from nncourse.datasets.digits import load_digits, split_digits
from nncourse.lessons import network_size_and_pruning as ns

NB = "07_network_size_and_pruning.ipynb"


@pytest.fixture(scope="module")
def prose():
    return notebook_markdown(NB)


def _default(fn, name):
    return inspect.signature(fn).parameters[name].default


@pytest.fixture(scope="module")
def tickets():
    return ns.run_ticket_seeds(5, 0, 9, width=64, rate=0.2, rewind=True, epochs=20)  # the notebook's defaults


@pytest.fixture(scope="module")
def lottery(tickets):
    return tickets.runs[0]


def test_data_facts(prose):
    X, labels = load_digits()
    assert len(X) == 1797 and X.shape[1] == 64 and round(len(X) / 10, -1) == 180
    _stated(prose, "1,797 images of 64 pixels each, about 180 per digit", "from 0 to 16")


def test_width_sweep_numbers(prose):
    assert _default(ns.run_width, "n") == 200 and _default(ns.run_width, "epochs") == 300
    sweep = ns.run_width_sweep()
    assert sweep.widths == (1, 2, 3, 4, 8, 16, 64) and sweep.n_seeds == 6 and sweep.threshold == 0.95
    ok = dict(zip(sweep.widths, sweep.successes))
    assert ok[1] == ok[2] == 0 and 0 < ok[3] <= ok[4] < 6 and all(ok[w] == 6 for w in (8, 16, 64))
    medians = np.median(sweep.final_loss, axis=1)
    assert np.all(np.diff(medians) < 0), "the final loss keeps falling as the network widens"
    _stated(
        prose,
        "(200 of them",
        "for 300 steps",
        "reaches 0.95",
        "six initial-weight seeds",
        "With 1 or 2 hidden units no seed succeeds",
        f"With 3 units,\n{ok[3]} of 6 seeds find the triangle and with 4 units {ok[4]} of 6",
        "with 8 units and more, all 6",
    )


def test_a_width_three_net_can_fail_and_succeed():
    results = [ns.run_width(3, s).train_accuracy for s in range(6)]
    assert min(results) < 0.95 <= max(results)
    assert ns.run_width(3, 0).train_accuracy < 0.95  # the panel's default shows a failing seed


def test_width_prose_separates_optimization_from_the_lottery_ticket(prose):
    panel = ns.width_panel()
    acc = panel.result.train_accuracy
    assert panel.result.width == 3 and acc < 0.95 and f"{acc:.3f}" != "0.950"
    worst = min(range(6), key=lambda s: ns.run_width(3, s).train_accuracy)
    assert ns.run_width(3, worst).train_accuracy < 0.8, "one seed fails by far"
    assert "lottery ticket hypothesis in miniature" not in prose
    _stated(
        prose,
        "over-parameterization\nmakes gradient descent find a solution more often",
        f"The panel opens on width 3 with seed 0, one of the initializations that fail (training accuracy {acc:.3f}",
        f"one fail by far (seed {worst})",
    )


def test_dead_unit_numbers(prose):
    grid = ns.run_dead_unit_grid()
    he, normal = grid
    assert np.all(he[:3] < 0.1), "with He init more than 90% of the units survive up to lr 1"
    assert he[3] > 0.5 and normal[1] > he[1] and normal[2] > 0.8
    pct = lambda v: f"{100 * v:.0f}%"  # the prose rounds to two figures; the printed table keeps one decimal
    run = ns.run_dead_units(lr=3.0)
    assert run.dead[-1, -1] == 1.0 and run.train_accuracy == 0.5  # the network stops learning
    sig = inspect.signature(ns.run_dead_units).parameters
    assert (
        sig["width"].default,
        sig["depth"].default,
        sig["batch_size"].default,
        sig["epochs"].default,
        sig["n"].default,
    ) == (16, 3, 50, 60, 200)
    assert _default(ns.run_dead_unit_grid, "n_seeds") == 2
    _stated(
        prose,
        "2-16-16-16-1",
        "mini-batches of 50, 60 epochs",
        "all 200 training points",
        "over two seeds",
        f"more than 90% of the units survive up to a learning rate of 1; at 3, {pct(he[3])}",
        f"{pct(normal[1])} of its units\nalready at 0.3 and {pct(normal[2])} at 1",
    )


def test_dead_units_panel_shows_units_dying_and_coming_back(prose):
    panel = ns.dead_units_panel()
    run = panel.result
    assert (run.lr, run.init) == (1.0, "he_normal")
    counts = np.rint(16 * run.dead).astype(int)  # dead units of 16, per epoch (row 0: at init) and layer
    peak = 1 + int(np.argmax(counts[1:, 2]))  # the epoch of training after which most third-layer units are dead
    low = peak + int(np.argmin(counts[peak:, 2]))  # the first epoch after it with the fewest
    assert counts[low, 2] < counts[peak, 2] - 1, "units of the third layer come back"
    assert counts[-1, 0] > 0 and np.all(np.diff(counts[:, 0]) >= 0)  # first layer: dead for good
    assert np.any(np.diff(counts[:, 1:], axis=0) < 0)  # later layers: units come back
    _stated(
        prose,
        "The panel opens on He initialization at a learning rate of 1",
        f"After epoch {peak}, {counts[peak, 2]} of the third layer's 16 units are dead, and after epoch {low}\n"
        f"only {counts[low, 2]} is",
        f"is a dead unit dead for good ({counts[-1, 0]} of 16 here)",
    )


def test_dead_units_are_counted_on_the_data(rng):
    run = ns.run_dead_units(lr=0.03, epochs=3)
    assert run.dead.shape == (4, 3) and len(run.final_dead) == 3
    assert np.allclose(run.dead[-1], [m.mean() for m in run.final_dead])


def test_counts_per_round(prose):
    kept = ns.expected_kept(64, 4, 0.2)
    assert kept[0] == (4096, 640)
    assert kept[3] == (2098, 466)
    assert np.isclose(0.8**3 * 4096, 2097.152) and np.isclose(0.9**3 * 640, 466.56)
    exact = (round(0.8**3 * 4096), round(0.9**3 * 640))
    assert exact == (2097, 467) and kept[3][0] - exact[0] == 1 and exact[1] - kept[3][1] == 1
    left = f"{100 * sum(kept[3]) / sum(kept[0]):.0f}%"
    assert left == "54%"
    _stated(
        prose,
        "20% of each hidden layer",
        "(10% for the output",
        "4,096 hidden-layer weights, 640 in the output",
        "keeps 2,098 weights, one more than $0.8^3 \\times 4096 \\approx 2{,}097$",
        "466, one fewer than $0.9^3 \\times 640 \\approx 467$",
        f"{left} of the weights are left after 3 rounds",
    )


def test_lottery_run_reaches_the_counts_and_states_its_numbers(prose, lottery):
    assert [tuple(r.kept) for r in lottery.rounds] == ns.expected_kept(64, 9, 0.2)
    last = lottery.rounds[-1]
    assert f"{100 * last.total_fraction:.1f}%" == "16.8%"  # as the tables print it; the prose says 17%
    steps_per_epoch = int(np.ceil(len(split_digits(stream(0), test_fraction=0.25, val_fraction=0.15)["X_train"]) / 64))
    assert steps_per_epoch == 17
    controls = [r for r in lottery.rounds if not np.isnan(r.random_accuracy)]
    assert [r.round for r in controls] == [0, 3, 6, 9]
    iters = set(lottery.column("ticket_iteration")) | {r.random_iteration for r in controls}
    lo, hi = min(iters), max(iters)
    assert all(i % steps_per_epoch == 0 for i in iters) and hi <= 20 * 17, "stopped at an epoch's end, within 20"
    border, inner = ns.border_and_inner_kept(last)
    assert border < inner, "blank border pixels lose their weights first"
    sig = inspect.signature(ns.run_lottery_ticket).parameters
    assert (sig["width"].default, sig["epochs"].default, sig["lr"].default, sig["batch_size"].default) == (
        64,
        20,
        0.5,
        64,
    )
    _stated(
        prose,
        f"keep {border:.1%} of their weights",
        f"the inner 36 pixels {inner:.1%}",
        "60% training, 15% validation, 25% test",
        "batches of 64, learning rate 0.5",
        "20 epochs",
        "for each seed 29 training\nruns of 680 steps each",
        "(21 of the ticket, 8 of the control), 145 runs for the 5 seeds",
        "`-p lottery_width 100 -p rounds 20 -p epochs 40`)",
        f"between iterations {lo} and {hi} (epochs {lo // steps_per_epoch}\nto {hi // steps_per_epoch} of 20)",
    )
    full_controls = sorted(set(range(0, 21, 3)) | {20})
    assert 21 + len(full_controls) == 29 and len(full_controls) == 8 and 40 * steps_per_epoch == 680
    assert 5 * 29 == 145 and _default(ns.run_ticket_seeds, "n_seeds") == 5


def test_lottery_over_seeds_measures_the_gap_against_the_spread(prose, tickets):
    assert tickets.seeds == (0, 1, 2, 3, 4) and tickets.control_rounds == (0, 3, 6, 9)
    assert 5 * (10 + 4) == 70
    seventeen = f"{100 * tickets.fraction[9]:.0f}%"
    assert seventeen == "17%"
    _stated(
        prose,
        f"for 9 rounds, down to {seventeen}",
        "for 5 seeds",
        "rounds 0, 3, 6 and 9",
        "70 training runs",
        "fewer than about 20% of the weights",
    )
    s0, s3, s6, s9 = (tickets.summary(k) for k in (0, 3, 6, 9))
    one = lambda v: f"{v:.1f}"
    sds = [s0["ticket_sd"], s0["random_sd"]]
    assert one(100 * tickets.fraction[3]) == "54.1" and one(s3["gap"]) == "0.4"
    assert s3["gap"] < max(s3["ticket_sd"], s3["random_sd"], s3["gap_sd"]) + 0.1  # inside the noise
    assert s6["ahead"] >= 4 and 100 * tickets.fraction[6] < 30
    assert s9["ahead"] == 5 and s9["gap"] > 2 * s9["gap_sd"], "at 17% the ticket is ahead in every seed"
    ratios = s9["gap"] / np.array([s9["ticket_sd"], s9["random_sd"]])
    _stated(
        prose,
        f"score {one(s0['ticket'])}% and {one(s0['random'])}% on average",
        f"of {one(min(sds))} to {one(max(sds))} points",
        "At 54% of the weights",
        f"ticket leads by only {one(s3['gap'])} points",
        "at 44% of the weights, from a gap of about one point",
        "Below about 30% the gap opens",
        f"at {seventeen} of the weights (round 9)",
        f"still scores {one(s9['ticket'])}%",
        f"falls to {one(s9['random'])}%, a gap of {one(s9['gap'])} ± {one(s9['gap_sd'])} points",
        "ahead in 5 of 5 seeds",
        f"{one(ratios.min())} to {one(ratios.max())} times the seed spread",
        "(the ± of the table's last row)",
        "here below about 30%",
        "at 54% the difference is inside the noise",
    )
    assert round(s9["gap"] * 2) / 2 == 1.5 and "about one and a half points" in prose
    assert "but worse from fresh random ones" not in prose


def test_lottery_is_deterministic_and_rounds_do_not_depend_on_what_follows(lottery):
    short = ns.run_lottery_ticket(rounds=3, control=(0, 3))
    for a, b in zip(short.rounds, lottery.rounds):
        assert (a.ticket_accuracy, a.kept) == (b.ticket_accuracy, b.kept)
        assert a.random_accuracy == b.random_accuracy or np.isnan(a.random_accuracy) == np.isnan(b.random_accuracy)
    every = ns.run_lottery_ticket(rounds=3)  # a round's control does not depend on which others run
    assert every.rounds[3].random_accuracy == short.rounds[3].random_accuracy


def test_a_run_without_rewinding_or_control_prunes_the_same_counts():
    res = ns.run_lottery_ticket(width=16, rounds=1, epochs=2, rewind=False, control=False)
    assert tuple(res.rounds[1].kept) == ns.expected_kept(16, 1)[1] == (819, 144)
    assert np.isnan(res.rounds[1].random_accuracy)


@pytest.mark.slow
def test_the_full_experiment_numbers(prose, tickets):
    """The full experiment over the lesson's 5 seeds (about half a minute): its table is the lesson's."""
    full = ns.run_ticket_seeds(5, 0, 20, width=100, epochs=40)
    assert full.seeds == (0, 1, 2, 3, 4) and full.control_rounds == (0, 3, 6, 9, 12, 15, 18, 20)
    assert full.markdown_table() in prose, "the lesson's table of the full experiment is out of date"
    s = {k: full.summary(k) for k in full.control_rounds}
    ahead = {k: s[k]["ahead"] for k in (3, 6)}
    assert ahead[3] < ahead[6] < 5 and all(s[k]["ahead"] == 5 for k in (9, 12, 15, 18, 20))
    assert 100 * full.fraction[6] < 30 and f"{100 * full.fraction[9]:.0f}%" == "17%"
    gaps = [s[k]["gap"] for k in (9, 12, 15, 18, 20)]
    assert np.all(np.diff(gaps) > 0), "from 17% on the ticket's lead grows with every further cut"
    last = s[20]
    assert last["gap"] > 3 * tickets.summary(9)["gap"]  # "several points" against "about 1.5"
    iters = np.concatenate([np.r_[r.column("ticket_iteration"), r.column("random_iteration")] for r in full.runs])
    _stated(
        prose,
        f"At 54% of the weights the ticket is ahead in only {ahead[3]} of the 5 seeds, at 30% in {ahead[6]}; from 17% "
        "on it is ahead in\nall 5, and its lead grows with every further cut, to about "
        f"{last['gap']:.0f} points at {100 * full.fraction[20]:.1f}% of the weights\n(round 20), where the random "
        f"re-initialization falls to {last['random']:.0f}% and the ticket keeps {last['ticket']:.1f}%",
        f"between {np.nanmin(iters):.0f} and {np.nanmax(iters):.0f} steps",
        "`lottery_width = 100`, `rounds = 20`, `epochs = 40`",
        "by about 1.5 points\n  at 17% of the weights (several points at 2.6% in the full experiment)",
    )


def test_plots_draw(lottery, tickets):
    fig = Figure()
    ns.plot_lottery(lottery, fig, others=tickets)
    assert len(fig.axes[0].get_lines()) == 2 + 2 * 4 and fig.legends  # this seed and the 4 others
    for fn, res in (
        (ns.plot_lottery, lottery),
        (ns.plot_ticket_seeds, tickets),
        (ns.plot_width, ns.run_width(2)),
        (ns.plot_dead_units, ns.run_dead_units(epochs=2)),
        (ns.plot_width_sweep, ns.run_width_sweep((1, 2), 2, epochs=5)),
    ):
        fig = Figure()
        fn(res, fig)
        assert fig.axes


def test_draw_network_leaves_out_dead_units_and_pruned_weights():
    fig = Figure()
    ax = fig.subplots()
    W = [np.ones((2, 3)), np.ones((3, 1))]
    ns.draw_network(
        ax,
        [2, 3, 1],
        W,
        dead=[np.array([False, True, False])],
        masks=[np.array([[1, 1, 0], [1, 1, 1]]), np.ones((3, 1))],
    )
    drawn = sum(len(c.get_segments()) for c in ax.collections if hasattr(c, "get_segments"))
    assert drawn == 3 + 2  # 2x3 minus one pruned minus two into the dead unit; 3x1 minus the dead one


def test_panels_build_and_react(prose):
    panel = ns.width_panel()
    panel.controls["width"].value = 8
    assert panel.result.width == 8
    dead = ns.dead_units_panel()
    dead.controls["lr"].value = 3.0
    assert dead.result.lr == 3.0
    lot = ns.lottery_panel()
    assert len(lot.result.rounds) == 9 and lot.fixed["max_rounds"] == 8 and lot.fixed["epochs"] == 20
    assert f"{100 * lot.result.rounds[-1].total_fraction:.0f}%" == "20%"
    lot.controls["rounds"].value = 2
    assert len(lot.result.rounds) == 3 and lot.fixed["progress"].value == 9
    direct = ns.run_lottery_ticket(width=64, rounds=2, epochs=20)  # the cached prefix is the same run
    assert [(r.ticket_accuracy, r.random_accuracy) for r in direct.rounds] == [
        (r.ticket_accuracy, r.random_accuracy) for r in lot.result.rounds
    ]
    _stated(prose, "trains 8 rounds of 20 epochs", "It opens on the last of them, round 8 (20% of the weights)")


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="initializer"):
        ns.run_dead_units(init="bogus")
    with pytest.raises(ValueError, match="width"):
        ns.run_lottery_ticket(width=0)
    with pytest.raises(ValueError):
        ns.run_lottery_ticket(rate=1.0, rounds=1, epochs=1, width=4)


def test_panels_take_the_lessons_settings():
    """seed, and the lottery panel's epochs and width, reach the runs (papermill parameters of the lesson)."""
    assert ns.width_panel(seed=4).result.train_accuracy == ns.run_width(3, 4).train_accuracy
    dead = ns.dead_units_panel(seed=2, lr=0.3)
    assert dead.fixed == {"seed": 2} and dead.result.status == ns.run_dead_units(lr=0.3, seed=2).status
    lot = ns.lottery_panel(width=8, rounds=1, max_rounds=1, epochs=1, seed=3)
    assert (lot.fixed["seed"], lot.fixed["epochs"]) == (3, 1)
    direct = ns.run_lottery_ticket(width=8, rounds=1, epochs=1, seed=3)
    assert [r.ticket_accuracy for r in lot.result.rounds] == [r.ticket_accuracy for r in direct.rounds]
    with pytest.raises(ValueError, match="setting"):
        ns.dead_units_panel(seeds=2)
