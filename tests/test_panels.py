"""Slider panels: render the default once, rerun on a control change, cache, and reject bad controls."""

import numpy as np
import pytest

from nncourse import panels


def _run(scale, kind="sin", seed=0):
    x = np.linspace(0, 1, 50)
    return {"x": x, "y": scale * (np.sin(6 * x) if kind == "sin" else np.cos(6 * x)), "calls": None}


def _plot(result, fig):
    fig.subplots().plot(result["x"], result["y"])


def test_panel_renders_default_and_updates_on_change():
    calls = []

    def run(scale, kind):
        calls.append((scale, kind))
        return _run(scale, kind)

    panel = panels.slider_panel(
        run, _plot, scale=panels.float_slider(0.1, 2, 0.1, 1.0), kind=panels.dropdown(["sin", "cos"])
    )
    assert panel.updates == 1 and calls == [(1.0, "sin")]
    first_png = bytes(panel.image.value)
    assert b"<svg" in first_png[:400] and panel.image.format == "svg+xml"
    panel.controls["scale"].value = 2.0
    assert calls[-1] == (2.0, "sin") and panel.result["y"].max() > 1.5
    assert bytes(panel.image.value) != first_png
    panel.controls["scale"].value = 1.0  # back to a setting already seen: served from the cache
    assert len(calls) == 2 and panel.updates == 3
    assert panel.values == {"scale": 1.0, "kind": "sin"}


def test_fixed_arguments_and_descriptions():
    panel = panels.slider_panel(_run, _plot, fixed={"seed": 3}, scale=panels.log_slider(0.01, 10, 1.0))
    assert panel.labels["scale"] == "scale"
    assert len(panel.widget.children) == 4  # controls, the note on controls that are off, status, figure


def test_bad_controls():
    with pytest.raises(ValueError, match="at least one control"):
        panels.slider_panel(_run, _plot)
    with pytest.raises(ValueError, match="control 'scale' must be an ipywidgets value widget"):
        panels.slider_panel(_run, _plot, scale=(0, 1))
    with pytest.raises(ValueError, match="low must be a positive number"):
        panels.log_slider(0, 1, 0.5)


def test_a_rejected_setting_is_shown_in_the_panel_not_raised():
    def run(width):
        if width > 3:
            raise ValueError(f"width must be at most 3, got {width}")
        return _run(float(width))

    panel = panels.slider_panel(run, _plot, width=panels.int_slider(1, 5, 2))
    before = panel.result
    panel.controls["width"].value = 5
    assert "width must be at most 3, got 5" in panel.status.value
    assert panel.result is before
    panel.controls["width"].value = 3
    assert "must be" not in panel.status.value and panel.result["y"].max() > 2


# --- a learner's values: refused by name, never clamped ---------------------------------------------------


def _message(excinfo):
    return str(excinfo.value)


def test_a_starting_value_outside_the_range_is_refused_by_name():
    with pytest.raises(panels.InputError) as err:
        panels.slider_panel(_run, _plot, scale=panels.float_slider(0.1, 2, 0.1, 5))
    assert _message(err) == "scale = 5 is outside the slider's range 0.1 to 2"
    with pytest.raises(panels.InputError, match=r"^scale = -0.1 is outside the slider's range 0.001 to 1$"):
        panels.slider_panel(_run, _plot, scale=panels.log_slider(1e-3, 1, -0.1))
    with pytest.raises(panels.InputError, match=r"^seed = 20 is outside the slider's range 0 to 19$"):
        panels.slider_panel(_run, _plot, scale=panels.log_slider(1e-3, 1, 0.1), seed=panels.int_slider(0, 19, 20))
    # the range's ends themselves are allowed (a log slider's ends are 10 ** exponent, not exactly the number)
    panel = panels.slider_panel(_run, _plot, scale=panels.log_slider(0.03, 30, 30))
    assert panel.controls["scale"].value == pytest.approx(30)


@pytest.mark.parametrize(
    "control, value, kind, says",
    [
        (
            lambda v: panels.float_slider(0.1, 2, 0.1, v),
            "big",
            panels.InputTypeError,
            "scale must be a number from 0.1 to 2, got 'big'",
        ),
        (
            lambda v: panels.float_slider(0.1, 2, 0.1, v),
            float("nan"),
            panels.InputError,
            "scale must be a number from 0.1 to 2, got nan",
        ),
        (
            lambda v: panels.log_slider(0.1, 2, v),
            float("inf"),
            panels.InputError,
            "scale must be a number from 0.1 to 2, got inf",
        ),
        (
            lambda v: panels.float_slider(0.1, 2, 0.1, v),
            True,
            panels.InputTypeError,
            "scale must be a number from 0.1 to 2, got True",
        ),
        (
            lambda v: panels.int_slider(1, 5, v),
            True,
            panels.InputTypeError,
            "scale must be a whole number from 1 to 5, got True",
        ),
        (
            lambda v: panels.int_slider(1, 5, v),
            2.5,
            panels.InputError,
            "scale must be a whole number from 1 to 5, got 2.5",
        ),
        (
            lambda v: panels.int_slider(1, 5, v),
            "3",
            panels.InputTypeError,
            "scale must be a whole number from 1 to 5, got '3'",
        ),
        (
            lambda v: panels.dropdown([0.5, 1.0, 2.0], v),
            True,
            panels.InputTypeError,
            "scale must be one of: 0.5, 1.0, 2.0; got True",
        ),
        (
            lambda v: panels.dropdown([0.5, 1.0, 2.0], v),
            3.0,
            panels.InputError,
            "unknown scale 3.0; choose one of: 0.5, 1.0, 2.0",
        ),
        (lambda v: panels.toggle(v), "yes", panels.InputTypeError, "scale must be True or False, got 'yes'"),
        (lambda v: panels.toggle(v), 1, panels.InputTypeError, "scale must be True or False, got 1"),
    ],
)
def test_a_starting_value_of_the_wrong_kind_is_refused_by_name(control, value, kind, says):
    with pytest.raises(kind) as err:
        panels.slider_panel(_run, _plot, scale=control(value))
    assert _message(err) == says
    assert isinstance(err.value, ValueError)  # what a panel's and a test's `except ValueError` catch


def test_a_menu_value_not_offered_is_refused_with_the_choices_and_a_suggestion():
    with pytest.raises(panels.InputError) as err:
        panels.slider_panel(
            _run, _plot, scale=panels.log_slider(0.1, 2, 1.0), kind=panels.dropdown(["sin", "cos"], "Sin")
        )
    assert _message(err) == "unknown kind 'Sin'; choose one of: 'sin', 'cos'; did you mean 'sin'?"
    labelled = panels.dropdown([("narrow inputs", "narrow"), ("wide inputs", "wide")], "wide")
    assert labelled.value == "wide"
    with pytest.raises(panels.InputError, match=r"^unknown kind 'narow'; choose one of: 'narrow', 'wide'; did"):
        panels.set_control("kind", labelled, "narow")


def test_accepted_values_are_kept_as_given():
    panel = panels.slider_panel(
        _run,
        _plot,
        scale=panels.float_slider(0.1, 2, 0.1, 0.55),  # between steps
        kind=panels.dropdown(["sin", "cos"], "cos"),
        seed=panels.int_slider(0, 9, np.int64(3)),
    )
    assert panel.values == {"scale": 0.55, "kind": "cos", "seed": 3}
    assert isinstance(panel.values["seed"], int)
    assert panels.dropdown([300, 3000], 3000.0).value == 3000


def test_set_control_checks_and_replaces_a_refused_starting_value():
    slider = panels.log_slider(1e-3, 1, 5)  # refused only once the panel knows its name...
    panels.set_control("lr", slider, 0.5)  # ...unless a checked value replaces it first
    panel = panels.slider_panel(_run, _plot, scale=slider)
    assert panel.values == {"scale": 0.5}
    with pytest.raises(panels.InputError, match=r"^lr = 5 is outside the slider's range 0.001 to 1$"):
        panels.set_control("lr", slider, 5)
    assert slider.value == 0.5 and panel.updates == 1
    moved = panels.float_slider(0, 1, 0.1, 7)
    moved.value = 0.3  # a direct change also replaces it
    assert panels.slider_panel(_run, _plot, scale=moved).values == {"scale": 0.3}


def test_a_value_set_in_a_cell_is_refused_too():
    panel, calls = _typed_panel()
    with pytest.raises(panels.InputError, match=r"^scale = 5 is outside the slider's range 0.0001 to 1$"):
        panel.controls["scale"].value = 5  # ipywidgets alone would set 1
    with pytest.raises(panels.InputError, match=r"^seed = -1 is outside the slider's range 0 to 19$"):
        panel.controls["seed"].value = -1
    assert panel.values == {"scale": 0.03, "seed": 1, "kind": "sin"} and panel.updates == 1
    panel.controls["scale"].value = 1.0  # the ends are inside
    panel.controls["scale"].value = 1e-4 * (1 - 1e-12)  # ...also when 10 ** exponent rounds
    assert panel.controls["scale"].value == pytest.approx(1e-4) and panel.updates == 3


def test_a_slider_range_must_be_ordered():
    with pytest.raises(panels.InputError, match="low <= high"):
        panels.int_slider(5, 1, 3)
    with pytest.raises(panels.InputError, match="at least one option"):
        panels.dropdown([])


# --- the typed-entry box beside each slider -------------------------------------------------------------


def _typed_panel():
    calls = []

    def run(scale, seed, kind="sin"):
        calls.append((scale, seed))
        return _run(scale * (1 + seed), kind)

    panel = panels.slider_panel(
        run,
        _plot,
        scale=panels.log_slider(1e-4, 1, 0.03, "learning rate"),
        seed=panels.int_slider(0, 19, 1),
        kind=panels.dropdown(["sin", "cos"]),
    )
    return panel, calls


def test_every_slider_gets_a_typed_entry_box_in_place_of_its_readout():
    panel, _ = _typed_panel()
    assert set(panel.entries) == {"scale", "seed"}
    assert not panel.controls["scale"].readout and not panel.controls["seed"].readout
    assert panel.entries["scale"].value == "0.03"  # a log slider's value, not its exponent
    assert panel.entries["seed"].value == "1"
    assert "nncourse-entry" in panel.entries["scale"]._dom_classes
    row = panel.widget.children[0]
    assert row.layout.flex_flow == "row wrap"
    # each control a 138-px cell, its name above it: four to a row beside Lab's file browser at 1024 px
    assert [c.layout.width for c in row.children] == ["138px"] * 3
    label, body = row.children[0].children
    assert "learning rate" in label.value and body.children == (panel.controls["scale"], panel.entries["scale"])
    assert panel.controls["scale"].description == "" and panel.labels["scale"] == "learning rate"
    assert "nncourse-control-scale" in row.children[0]._dom_classes
    panel.controls["scale"].value = 0.316  # a drag: the box follows
    assert panel.entries["scale"].value == "0.316"


def test_a_typed_value_outside_the_range_is_refused_not_clamped():
    panel, calls = _typed_panel()
    before, updates, png = panel.result, panel.updates, panel.image.value
    panel.entries["scale"].value = "50"
    assert panel.status.value == (
        "<span style='color:#b00020'>scale = 50 is outside the slider's range 0.0001 "
        "to 1; the slider stays at 0.03</span>"
    )
    assert panel.controls["scale"].value == 0.03 and panel.entries["scale"].value == "0.03"
    assert panel.updates == updates and panel.result is before and panel.image.value == png
    assert len(calls) == 1
    for typed, says in [
        ("-0.1", "scale = -0.1 is outside the slider's range 0.0001 to 1"),
        ("fast", "scale must be a number from 0.0001 to 1, got 'fast'"),
        ("nan", "scale must be a number from 0.0001 to 1, got nan"),
    ]:
        panel.entries["scale"].value = typed
        assert f"{says}; the slider stays at 0.03" in panel.status.value
        assert panel.controls["scale"].value == 0.03 and panel.updates == updates
    panel.entries["seed"].value = "2.5"
    assert "seed must be a whole number from 0 to 19, got 2.5; the slider stays at 1" in panel.status.value
    panel.entries["seed"].value = "20"
    assert "seed = 20 is outside the slider's range 0 to 19; the slider stays at 1" in panel.status.value
    assert panel.values == {"scale": 0.03, "seed": 1, "kind": "sin"} and panel.updates == updates


def test_a_typed_value_inside_the_range_moves_the_slider_and_reruns():
    panel, calls = _typed_panel()
    panel.entries["scale"].value = "50"
    panel.entries["scale"].value = " 0.1 "
    assert panel.controls["scale"].value == 0.1 and panel.entries["scale"].value == "0.1"
    assert panel.updates == 2 and calls[-1] == (0.1, 1)
    assert "outside" not in panel.status.value  # the refusal gives way to the new result
    panel.entries["seed"].value = "7"
    assert panel.controls["seed"].value == 7 and calls[-1] == (0.1, 7)
    panel.entries["seed"].value = "7.0"  # the same value again: nothing to rerun
    assert panel.entries["seed"].value == "7" and panel.updates == 3
    panel.entries["scale"].value = "1e-4"  # the range's end
    assert panel.controls["scale"].value == pytest.approx(1e-4) and panel.updates == 4


# --- the tester's cases in lesson 03, and every panel factory -----------------------------------------------


def test_lesson_03_parameters_are_refused_in_one_line():
    from nncourse.lessons import learning_rate_and_optimizers as L

    with pytest.raises(panels.InputError) as err:
        L.surface_panel(optimizer="Adam")
    assert "optimizer" in _message(err) and "'adam'" in _message(err) and "did you mean" in _message(err)
    assert "'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'" in _message(err)
    lines = err.value._render_traceback_()  # what a notebook shows under the cell
    assert len(lines) == 1 and "did you mean 'adam'?" in lines[0]
    with pytest.raises(panels.InputError, match=r"unknown surface 'quadratc'; .*did you mean 'quadratic'\?"):
        L.surface_panel(surface="quadratc")
    with pytest.raises(panels.InputError, match=r"^lr = 5 is outside the slider's range 0.001 to 1$"):
        L.surface_panel(lr=5)
    with pytest.raises(panels.InputError, match=r"^lr = -0.1 is outside the slider's range 0.001 to 1$"):
        L.surface_panel(lr=-0.1)
    with pytest.raises(panels.InputError, match=r"^unknown schedule 'Plateau'.*did you mean 'plateau'\?$"):
        L.training_panel(schedule="Plateau")


def test_lesson_03_typed_learning_rate_is_refused():
    from nncourse.lessons import learning_rate_and_optimizers as L

    panel = L.training_panel()
    updates, result = panel.updates, panel.result
    panel.entries["lr"].value = "50"
    assert "lr = 50 is outside the slider's range 0.0001 to 1; the slider stays at 0.03" in panel.status.value
    assert panel.controls["lr"].value == 0.03 and panel.entries["lr"].value == "0.03"
    assert panel.updates == updates and panel.result is result


def _panel_factories():
    import importlib
    import pkgutil

    import nncourse.lessons as E

    found = {}
    for info in pkgutil.iter_modules(E.__path__):
        module = importlib.import_module(f"nncourse.lessons.{info.name}")
        for name, fn in vars(module).items():
            if (
                name.endswith("_panel")
                and callable(fn)
                and getattr(fn, "__module__", "") == module.__name__
                and not name.startswith(("run_", "plot_"))
                and name != "plot_panel"
            ):
                found[f"{info.name}.{name}"] = fn
    return found


# each factory: a starting value out of its slider's range, and the message it gets
OUT_OF_RANGE = {
    "backpropagation.relu_regression_panel": (dict(lr=-0.1), "lr = -0.1 is outside the slider's range 1e-05 to 1"),
    "vanishing_exploding_gradients.case_study_panel": (
        dict(depth=50),
        "depth = 50 is outside the slider's range 2 to 30",
    ),
    "initialization.histogram_panel": (dict(scale=1000), "scale = 1000 is outside the slider's range 0.01 to 100"),
    "learning_rate_and_optimizers.surface_panel": (dict(lr=5), "lr = 5 is outside the slider's range 0.001 to 1"),
    "learning_rate_and_optimizers.training_panel": (dict(seed=20), "seed = 20 is outside the slider's range 0 to 19"),
    "network_size_and_pruning.width_panel": (dict(width=100), "width = 100 is outside the slider's range 1 to 64"),
    "network_size_and_pruning.dead_units_panel": (dict(lr=100), "lr = 100 is outside the slider's range 0.01 to 10"),
    "network_size_and_pruning.lottery_panel": (dict(rounds=9), "rounds = 9 is outside the slider's range 0 to 8"),
    "neurons.neuron_panel": (dict(w1=5), "w1 = 5 is outside the slider's range -4 to 4"),
    "neurons.detector_panel": (dict(steepness=100), "steepness = 100 is outside the slider's range 0.1 to 30"),
    "recurrent_networks.gradient_panel": (dict(scale=3), "scale = 3 is outside the slider's range 0.5 to 2"),
    "trainability.playground_panel": (dict(depth=9), "depth = 9 is outside the slider's range 1 to 8"),
    "trainability.overfitting_panel": (dict(n=500), "n = 500 is outside the slider's range 10 to 200"),
    "transfer_learning.transfer_panel": (dict(seed=10), "seed = 10 is outside the slider's range 0 to 9"),
}


def test_every_panel_factory_has_a_case():
    assert set(_panel_factories()) == set(OUT_OF_RANGE)


@pytest.mark.parametrize("factory", sorted(OUT_OF_RANGE))
def test_panel_factory_refuses_a_bad_name_and_an_out_of_range_value(factory):
    build = _panel_factories()[factory]
    with pytest.raises(panels.InputError) as err:
        build(nonsense=1)
    assert "unknown" in _message(err) and "'nonsense'; choose one of: " in _message(err)
    overrides, says = OUT_OF_RANGE[factory]
    with pytest.raises(panels.InputError) as err:
        build(**overrides)
    assert _message(err) == says


def test_a_stored_panel_shows_its_figure_and_settings_without_a_kernel():
    """The output holds the live widget, a PNG of the default figure with the settings under it (what static
    viewers show: they skip a widget whose state is not stored), and the settings and status as text."""
    import base64
    import io

    from PIL import Image

    panel = panels.slider_panel(
        _run, _plot, scale=panels.float_slider(0.1, 2, 0.1, 1.0), kind=panels.dropdown(["sin", "cos"])
    )
    data = panel._repr_mimebundle_()
    assert set(data) == {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"}
    assert data["text/plain"] == "panel: scale = 1, kind = 'sin'"
    png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert png.width == 900 and png.height > 340  # the 9 x 3.4 in figure at 100 dpi, and the caption
    caption = np.asarray(png.convert("L"))[340:]
    assert caption.min() < 128, "the settings are printed under the figure"
    assert (
        panel._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]["model_id"]
        == data["application/vnd.jupyter.widget-view+json"]["model_id"]
    ), "one panel, one widget"


def test_the_live_figure_is_svg_and_the_same_figure_gives_the_same_bytes():
    panel = panels.slider_panel(_run, _plot, scale=panels.float_slider(0.1, 2, 0.1, 1.0))
    first = bytes(panel.image.value)
    panel.redraw()
    assert bytes(panel.image.value) == first and first.lstrip().startswith(b"<?xml")


def test_a_control_that_does_not_apply_is_disabled_and_the_panel_says_why():
    def run(scale, kind, momentum):
        return _run(scale, kind)

    panel = panels.slider_panel(
        run,
        _plot,
        scale=panels.float_slider(0.1, 2, 0.1, 1.0),
        kind=panels.dropdown(["sin", "cos"]),
        momentum=panels.float_slider(0, 0.9, 0.1, 0.5),
        applies={"momentum": lambda v: None if v["kind"] == "cos" else "only for cos"},
    )
    assert panel.controls["momentum"].disabled and panel.entries["momentum"].disabled
    assert "momentum</b> off: only for cos" in panel.note.value
    assert "off: momentum (only for cos)" in panel.summary()
    panel.controls["kind"].value = "cos"
    assert not panel.controls["momentum"].disabled and panel.note.value == ""
    with pytest.raises(ValueError, match="applies names 'beta', which the panel has no control for"):
        panels.slider_panel(run, _plot, scale=panels.float_slider(0.1, 2, 0.1, 1.0), applies={"beta": len})


class _Counter:
    def __init__(self, scale):
        self.scale, self.k = scale, 0


def _stepper(limit=3):
    def advance(state):
        state.k += 1
        return _run(state.scale * state.k)

    return panels.Stepper(
        start=lambda scale: _Counter(scale),
        advance=advance,
        done=lambda s: f"finished after {s.k} frames" if s.k >= limit else None,
        view=lambda s: _run(s.scale * s.k),
    )


def test_a_playing_panel_steps_stops_at_the_end_and_resets():
    panel = panels.slider_panel(_run, _plot, stepper=_stepper(), scale=panels.float_slider(0.1, 2, 0.1, 1.0))
    player = panel.player
    assert player.widget in panel.widget.children
    assert [player.step() for _ in range(4)] == [None, None, "finished after 3 frames", "finished after 3 frames"]
    assert player.frames == 3 and "finished after 3 frames" in panel.status.value
    assert panel.result["y"].max() == pytest.approx(3.0, rel=1e-3)
    player.reset()
    assert player.frames == 0 and panel.result["y"].max() == 0


def test_play_ticks_advance_frames_and_drop_a_backlog():
    panel = panels.slider_panel(
        _run, _plot, stepper=_stepper(limit=100), interval_ms=100, scale=panels.float_slider(0.1, 2, 0.1, 1.0)
    )
    player = panel.player
    player.play.playing = True
    player.play.value = 1  # a tick: one frame
    assert player.frames == 1
    player.play.value = 2  # a tick queued behind the last frame: dropped
    assert player.frames == 1
    player._last -= 1.0  # as if an interval had passed
    player.play.value = 3
    assert player.frames == 2
    assert player.play.interval >= 100  # never faster than asked; slower when a frame takes longer
    panel.controls["scale"].value = 2.0  # a control moved while playing: restart from the new setting
    assert player.frames == 0 and player.state.scale == 2.0 and player.play.playing
    player.play.value = 0  # the Play's stop button
    assert not player.play.playing and player.frames == 0


def test_a_view_control_picks_from_the_cached_run_without_running_again():
    """views=("upto",): the run is made without the view control, once per setting of the others, and `view`
    picks what is shown (as the lottery panel's rounds slider shows the first rounds of one pruning run)."""
    calls = []

    def run(scale):
        calls.append(scale)
        return _run(scale)

    def view(result, upto):
        return {**result, "x": result["x"][:upto], "y": result["y"][:upto]}

    panel = panels.slider_panel(
        run,
        _plot,
        views=("upto",),
        view=view,
        scale=panels.float_slider(0.1, 2, 0.1, 1.0),
        upto=panels.int_slider(1, 50, 50),
    )
    assert calls == [1.0] and len(panel.result["x"]) == 50
    panel.controls["upto"].value = 10
    assert calls == [1.0] and len(panel.result["x"]) == 10 and panel.updates == 2
    panel.controls["scale"].value = 2.0
    assert calls == [1.0, 2.0] and len(panel.result["x"]) == 10 and panel.result["y"].max() > 1.0


def test_views_must_name_controls_and_come_with_a_view():
    with pytest.raises(panels.InputError, match="^views must name controls of the panel"):
        panels.slider_panel(
            _run, _plot, views=("upto",), view=lambda r, upto: r, scale=panels.float_slider(0.1, 2, 0.1, 1)
        )
    with pytest.raises(panels.InputError, match="come with a view function"):
        panels.slider_panel(_run, _plot, views=("scale",), scale=panels.float_slider(0.1, 2, 0.1, 1))


class _Bar:
    """A stand-in for the progress bar (an IntProgress): what a run reports to."""

    max = value = 0


def _background_panel(gates):
    """A panel whose runs wait at each of 3 progress reports until the test opens that setting's gate."""
    import threading

    calls = []

    def run(scale, upto, progress=None):
        calls.append(scale)
        progress.max, progress.value = 3, 0
        for k in range(3):
            if scale in gates:
                assert gates[scale].wait(10)
            progress.value = k + 1
        return _run(scale)

    for s in (0.5, 1.5, 2.0):
        gates.setdefault(s, threading.Event())
    panel = panels.slider_panel(
        lambda scale, progress=None: run(scale, None, progress),
        _plot,
        fixed={"progress": _Bar()},
        background=True,
        views=("upto",),
        view=lambda r, upto: {**r, "x": r["x"][:upto], "y": r["y"][:upto]},
        scale=panels.float_slider(0.1, 2, 0.1, 1.0),
        upto=panels.int_slider(1, 50, 50),
    )
    return panel, calls


def test_a_background_panel_answers_a_browser_move_at_once_and_draws_the_run_when_it_ends():
    gates = {}
    panel, calls = _background_panel(gates)
    slider = panel.controls["scale"]
    assert calls == [1.0] and panel.updates == 1  # the default runs in the caller, as in any panel
    slider.set_state({"value": 0.5})  # what a move in the browser does (the comm message's handler)
    assert panel.background.pending == {"scale": 0.5} and panel.updates == 1
    assert panel.status.value.startswith("<code>training scale = 0.5 ...")
    assert panel.result["y"].max() > 0.9  # still the last finished setting's figure
    panel.controls["upto"].set_state({"value": 10})  # a view moved while its run trains: drawn when it ends
    assert panel.updates == 1
    gates[0.5].set()
    assert panel.background.wait(10)
    assert panel.updates == 2 and len(panel.result["x"]) == 10 and 0.4 < panel.result["y"].max() < 0.6
    assert panel.fixed["progress"].value == 3  # the bar filled as the run reported
    slider.set_state({"value": 1.0})  # cached: drawn at once, in the caller
    assert panel.background.pending is None and panel.updates == 3 and calls == [1.0, 0.5]


def test_moving_on_stops_the_background_run_and_values_set_from_python_run_in_the_caller():
    gates = {}
    panel, calls = _background_panel(gates)
    slider = panel.controls["scale"]
    slider.set_state({"value": 1.5})
    slider.set_state({"value": 2.0})  # moved on before 1.5 finished: 1.5 stops at its next report
    gates[1.5].set()
    gates[2.0].set()
    assert panel.background.wait(10)
    assert panel.result["y"].max() > 1.9 and panel.updates == 2
    assert not panel._cached({"scale": 1.5})  # stopped, never drawn nor cached
    gates[0.5].set()
    slider.value = 0.5  # from Python (a cell, a test): synchronous, deterministic
    assert panel.background.pending is None and 0.4 < panel.result["y"].max() < 0.6 and panel.updates == 3
    assert "nncourse-background" in panel.widget._dom_classes


def test_a_background_run_that_fails_says_so_in_the_panel():
    def run(scale, progress=None):
        if scale > 1.5:
            raise ValueError("scale too large for this demo")
        return _run(scale)

    panel = panels.slider_panel(
        run, _plot, fixed={"progress": _Bar()}, background=True, scale=panels.float_slider(0.1, 2, 0.1, 1.0)
    )
    panel.controls["scale"].set_state({"value": 2.0})
    assert panel.background.wait(10)
    assert ">scale too large for this demo<" in panel.status.value and panel.updates == 1


def test_fast_png_is_lossless_and_a_png_that_pillow_reads():
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[:10] = 255  # flat rows, as a figure's background
    png = panels.fast_png(rgba)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (53, 37)
    assert np.array_equal(np.asarray(image), rgba[:, :, :3])


def test_play_pressed_in_the_browser_pushes_frames_from_a_kernel_thread_until_paused():
    import time

    panel = panels.slider_panel(
        _run, _plot, stepper=_stepper(limit=10_000), interval_ms=20, scale=panels.float_slider(0.1, 2, 0.1, 1.0)
    )
    player = panel.player
    player.play.set_state({"playing": True})  # what the page's play button sends
    deadline = time.monotonic() + 10
    while player.frames < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert player.frames >= 5 and player._thread is not None  # no tick needed: the thread draws on
    player.play.set_state({"playing": False})  # pause
    deadline = time.monotonic() + 10
    while player._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    stopped = player.frames
    time.sleep(0.2)
    assert player._thread is None and player.frames == stopped  # nothing after pause


def test_a_kernel_thread_play_stops_at_the_end_of_the_run_and_says_why():
    import time

    panel = panels.slider_panel(
        _run, _plot, stepper=_stepper(limit=4), interval_ms=10, scale=panels.float_slider(0.1, 2, 0.1, 1.0)
    )
    player = panel.player
    player.play.set_state({"playing": True})
    deadline = time.monotonic() + 10
    while player._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert player.frames == 4 and not player.play.playing and "finished after 4 frames" in panel.status.value


def _ends(widget):
    """Each value a learner can reach first with a control: both ends of a slider, every choice of a menu."""
    if isinstance(widget, panels._SLIDERS):
        return list(panels.slider_range(widget))
    if hasattr(widget, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in widget.options]
    return [not widget.value]


# the panels whose figures have only axes from fig.subplots (no colorbar, no add_subplot): their redraws reuse
# the last draw's axes (panels._PanelFigure)
REUSE_AXES = set(OUT_OF_RANGE) - {
    "learning_rate_and_optimizers.training_panel",  # add_gridspec / add_subplot
    "network_size_and_pruning.lottery_panel",  # colorbar
    "neurons.neuron_panel",  # colorbar
    "neurons.detector_panel",  # colorbar
}


@pytest.mark.parametrize("factory", sorted(OUT_OF_RANGE))
def test_a_panels_figures_are_what_a_fresh_figure_shows_with_titles_where_matplotlib_would_put_them(factory):
    """In every figure a panel draws -- its defaults, each control at its ends and each menu choice, in turn:

    - the SVG the panel shows, drawn on the axes of its last draw (panels._PanelFigure), is byte for byte the SVG
      of the same result plotted on a new Figure: nothing of an earlier setting is left in it;
    - panels draw with axes.titley = 1.0 (panels._PANEL_RC), which skips matplotlib's placement of titles above
      top ticks and offset texts, and that placement would leave each title at 1.0: fixing it changes nothing."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    small = {"network_size_and_pruning.lottery_panel": dict(width=8, max_rounds=2, rounds=2, epochs=1)}
    panel = _panel_factories()[factory](**small.get(factory, {}))
    assert all(ax._autotitlepos is False for ax in panel.figure.axes)  # the panel's own drawing: titles fixed
    for name, widget in panel.controls.items():
        start = widget.value
        for value in [start] + _ends(widget):
            widget.value = value
            if "#b00020" in panel.status.value:  # a setting the experiment refuses: nothing drawn
                continue
            fresh = Figure(figsize=panel.figure.get_size_inches(), dpi=panel.figure.dpi)
            with matplotlib.rc_context(panels._PANEL_RC):
                panel.plot(panel.result, fresh)
            assert panel.image.value == panels._svg(fresh), (name, value)
            auto = Figure(figsize=panel.figure.get_size_inches(), dpi=panel.figure.dpi)
            with matplotlib.rc_context({"axes.titley": None}):
                panel.plot(panel.result, auto)
            FigureCanvasAgg(auto).draw()
            for ax in auto.axes:
                for title in (ax.title, ax._left_title, ax._right_title):
                    if title.get_text():
                        assert title.get_position()[1] == pytest.approx(1.0), (name, value, title.get_text())
        widget.value = start
    assert (panel.figure.reused > 0) == (factory in REUSE_AXES)  # the comparison above was of reused axes


def _plot_two(result, fig, text=False, legend=False):
    axs = fig.subplots(1, 2)
    axs[0].plot([0, 1], [0, result])
    axs[1].set_title(f"scale {result}")
    if text:
        fig.text(0.5, 0.01, "note")
    if legend:
        fig.legend(["a"])


def test_a_panel_figure_hands_back_the_axes_of_the_last_draw_cleared():
    import matplotlib
    from matplotlib.figure import Figure

    panel = panels.slider_panel(
        lambda scale: scale,
        lambda r, fig: _plot_two(r, fig, text=r > 1, legend=r > 1),
        scale=panels.float_slider(0.5, 2, 0.5, 1.0),
    )
    fig, axes = panel.figure, list(panel.figure.axes)
    for value in (2.0, 0.5, 1.5):
        panel.controls["scale"].value = value
        assert panel.figure is fig and panel.figure.axes == axes  # the same axes, drawn again
        assert len(axes[0].lines) == 1 and axes[1].get_title() == f"scale {value}"
        assert len(fig.texts) == (value > 1) and len(fig.legends) == (value > 1)  # the last draw's removed
        fresh = Figure(figsize=fig.get_size_inches(), dpi=fig.dpi)
        with matplotlib.rc_context(panels._PANEL_RC):
            panel.plot(panel.result, fresh)
        assert panel.image.value == panels._svg(fresh)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(lambda fig, axs: fig.colorbar(axs[0].imshow([[0, 1]]), ax=axs[0]), id="colorbar"),
        pytest.param(lambda fig, axs: axs[1].twinx(), id="twinx"),
        pytest.param(lambda fig, axs: fig.add_subplot(3, 3, 9), id="add_subplot"),
        pytest.param(lambda fig, axs: axs[0].tick_params(labelsize=5), id="tick_params"),
        pytest.param(lambda fig, axs: axs[0].grid(True, color="r"), id="grid"),
        pytest.param(lambda fig, axs: fig.suptitle("x"), id="suptitle"),
        pytest.param(lambda fig, axs: fig.set_size_inches(4, 2), id="resized"),
    ],
)
def test_a_panel_figure_left_with_what_a_clear_would_not_reset_is_not_drawn_on_again(extra):
    def plot(result, fig):
        axs = fig.subplots(1, 2)
        axs[0].plot([0, 1], [0, result])
        if result > 1:
            extra(fig, axs)

    panel = panels.slider_panel(lambda scale: scale, plot, scale=panels.float_slider(0.5, 2, 0.5, 1.0))
    first = panel.figure
    panel.controls["scale"].value = 0.5
    assert panel.figure is first and panel.figure.reusable
    panel.controls["scale"].value = 2.0
    assert panel.figure is first and not panel.figure.reusable
    panel.controls["scale"].value = 1.0
    assert panel.figure is not first and panel.figure.reusable  # a new figure, nothing of the last draw in it


def test_a_panel_figure_whose_draw_broke_off_is_not_drawn_on_again():
    def plot(result, fig):
        fig.subplots(1, 2)[0].plot([0, result])
        if result > 1:
            raise RuntimeError("a bug while drawing")

    panel = panels.slider_panel(lambda scale: scale, plot, scale=panels.float_slider(0.5, 2, 0.5, 1.0))
    first = panel.figure
    with pytest.raises(RuntimeError, match="a bug while drawing"):
        panel.controls["scale"].value = 2.0
    panel.controls["scale"].value = 0.5
    assert panel.figure is not first and len(panel.figure.axes) == 2


def test_a_panel_figure_whose_layout_changes_gets_new_axes_for_the_calls_that_changed():
    def plot(result, fig):
        fig.subplots(1, 2)[0].plot([0, result])
        fig.subplots(1, int(result) + 1, gridspec_kw={"bottom": 0.6})

    panel = panels.slider_panel(lambda n: n, plot, n=panels.int_slider(1, 3, 1))
    first_two = panel.figure.axes[:2]
    panel.controls["n"].value = 3
    assert panel.figure.axes[:2] == first_two and len(panel.figure.axes) == 2 + 4
    panel.controls["n"].value = 2
    assert panel.figure.axes[:2] == first_two and len(panel.figure.axes) == 2 + 3
