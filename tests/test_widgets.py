"""Slider panels: render the default once, rerun on a control change, cache, and reject bad controls."""
import numpy as np
import pytest

from nncourse import widgets


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
    panel = widgets.slider_panel(run, _plot, scale=widgets.float_slider(0.1, 2, 0.1, 1.0),
                                 kind=widgets.dropdown(["sin", "cos"]))
    assert panel.updates == 1 and calls == [(1.0, "sin")]
    first_png = panel.image.value
    assert first_png[:4] == b"\x89PNG"
    panel.controls["scale"].value = 2.0
    assert calls[-1] == (2.0, "sin") and panel.result["y"].max() > 1.5
    assert panel.image.value != first_png
    panel.controls["scale"].value = 1.0            # back to a setting already seen: served from the cache
    assert len(calls) == 2 and panel.updates == 3
    assert panel.values == {"scale": 1.0, "kind": "sin"}


def test_fixed_arguments_and_descriptions():
    panel = widgets.slider_panel(_run, _plot, fixed={"seed": 3}, scale=widgets.log_slider(0.01, 10, 1.0))
    assert panel.controls["scale"].description == "scale"
    assert len(panel.widget.children) == 3


def test_bad_controls():
    with pytest.raises(ValueError, match="at least one control"):
        widgets.slider_panel(_run, _plot)
    with pytest.raises(ValueError, match="control 'scale' must be an ipywidgets value widget"):
        widgets.slider_panel(_run, _plot, scale=(0, 1))
    with pytest.raises(ValueError, match="low must be a positive number"):
        widgets.log_slider(0, 1, 0.5)


def test_a_rejected_setting_is_shown_in_the_panel_not_raised():
    def run(width):
        if width > 3:
            raise ValueError(f"width must be at most 3, got {width}")
        return _run(float(width))
    panel = widgets.slider_panel(run, _plot, width=widgets.int_slider(1, 5, 2))
    before = panel.result
    panel.controls["width"].value = 5
    assert "width must be at most 3, got 5" in panel.status.value
    assert panel.result is before
    panel.controls["width"].value = 3
    assert "must be" not in panel.status.value and panel.result["y"].max() > 2
