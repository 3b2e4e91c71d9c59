"""Slider panels: turn a pure experiment function and a plotting function into sliders and a figure.

    panel = slider_panel(run, plot, lr=log_slider(1e-3, 10, 0.1), activation=dropdown(["relu", "tanh"]))
    panel            # in a notebook: the sliders and the figure (an ipywidgets Image updated in place)
    panel.result     # the last result of run(**values), for a checked cell or a test
    panel.controls["lr"].value = 1.0   # what a learner's slider move does: rerun, redraw

`run(**values)` must be pure (same values -> same result), so results are cached: moving a slider back to a
setting already seen costs only the redraw. `plot(result, fig)` draws on an empty matplotlib Figure.
The panel renders its default result once at creation, so a headless run shows it too.
"""
import html
import io
from collections import OrderedDict

import ipywidgets as widgets
from matplotlib.figure import Figure

from . import _validate

_STYLE = {"description_width": "initial"}


def float_slider(low, high, step, value, description=None):
    """A slider for a real parameter (updates when released, so a drag triggers one retrain)."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description or "",
                               continuous_update=False, style=_STYLE, readout_format=".3g")


def int_slider(low, high, value, step=1, description=None):
    """A slider for an integer parameter (sizes, depths, seeds, epochs)."""
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description or "",
                             continuous_update=False, style=_STYLE)


def log_slider(low, high, value, description=None, steps_per_decade=4):
    """A slider whose positions are evenly spaced in log10: for learning rates and scales."""
    import math
    lo, hi = math.log10(_validate.positive("low", low)), math.log10(_validate.positive("high", high))
    return widgets.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=1 / steps_per_decade,
                                  description=description or "", continuous_update=False, style=_STYLE,
                                  readout_format=".3g")


def dropdown(options, value=None, description=None):
    """A menu of named choices (activations, initializers, data sets, ...)."""
    options = list(options)
    return widgets.Dropdown(options=options, value=options[0] if value is None else value,
                            description=description or "", style=_STYLE)


def toggle(value=False, description=None):
    """An on/off checkbox."""
    return widgets.Checkbox(value=value, description=description or "", style=_STYLE, indent=False)


class SliderPanel:
    """Sliders + one figure. See the module docstring."""

    def __init__(self, run, plot, controls, fixed=None, figsize=(9, 3.4), dpi=80, cache_size=64):
        if not controls:
            raise ValueError("a slider panel needs at least one control")
        self.run, self.plot, self.fixed = run, plot, dict(fixed or {})
        self.controls = dict(controls)
        for name, w in self.controls.items():
            if not isinstance(w, widgets.ValueWidget):
                raise ValueError(f"control {name!r} must be an ipywidgets value widget (use float_slider, "
                                 f"int_slider, log_slider, dropdown or toggle), got {type(w).__name__}")
            if not w.description:
                w.description = name
            w.observe(self._on_change, names="value")
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML()
        self._cache, self._cache_size = OrderedDict(), cache_size
        self.updates = 0
        self.result = None
        self.update()

    @property
    def values(self):
        """The current value of every control, by name."""
        return {name: w.value for name, w in self.controls.items()}

    def compute(self):
        """run(**fixed, **values), cached by the values."""
        key = tuple(sorted(self.values.items()))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = self.run(**self.fixed, **self.values)
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def redraw(self):
        """Draw the current result on a fresh figure and put the PNG into the image widget.

        A new Figure costs less than `figure.clear()`, which resets every old Axes before dropping it (about
        a sixth of a redraw for a three-panel figure); `panel.figure` is always the figure last drawn."""
        self.figure = Figure(figsize=self.figure.get_size_inches(), dpi=self.figure.dpi)
        self.plot(self.result, self.figure)
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        self.image.value = buf.getvalue()

    def update(self):
        """Rerun (or fetch from the cache) and redraw: what one slider move costs."""
        self.show(self.compute())

    def show(self, result):
        """Make `result` the panel's current result and draw it."""
        self.result = result
        self.redraw()
        self.updates += 1
        summary = getattr(self.result, "status", None)
        self.status.value = f"<code>{summary}</code>" if summary else ""

    def _on_change(self, change):
        try:
            result = self.compute()
        except ValueError as err:
            # a setting the experiment rejects (bad input, not a bug): say why in the panel and keep the last
            # figure, instead of an error the learner would only find in JupyterLab's log console. Errors while
            # drawing are bugs and propagate.
            self.status.value = f"<span style='color:#b00020'>{html.escape(str(err))}</span>"
            return
        self.show(result)

    @property
    def widget(self):
        """The whole panel as one ipywidgets box."""
        box = widgets.VBox([widgets.HBox(list(self.controls.values()),
                                         layout=widgets.Layout(flex_flow="row wrap")),
                            self.status, self.image])
        box.add_class("nncourse-panel")   # lets the browser tests find each panel on the page
        return box

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def slider_panel(run, plot, fixed=None, figsize=(9, 3.4), dpi=80, **controls):
    """Build a SliderPanel: `controls` maps each keyword of `run` to a widget; `fixed` holds keywords that have
    no slider."""
    return SliderPanel(run, plot, controls, fixed=fixed, figsize=figsize, dpi=dpi)
