"""Slider panels: turn a pure experiment function and a plotting function into sliders and a figure.

    panel = slider_panel(run, plot, lr=log_slider(1e-3, 10, 0.1), activation=dropdown(["relu", "tanh"]))
    panel            # in a notebook: the sliders and the figure (an ipywidgets Image updated in place)
    panel.result     # the last result of run(**values), for a checked cell or a test
    panel.controls["lr"].value = 1.0   # what a learner's slider move does: rerun, redraw

`run(**values)` must be pure (same values -> same result), so results are cached: moving a slider back to a
setting already seen costs only the redraw. `plot(result, fig)` draws on an empty matplotlib Figure.
The panel renders its default result once at creation, so a headless run shows it too.

A starting value that a control cannot take is refused by the control's name, never clamped: `lr = 5 is
outside the slider's range 0.001 to 1`, `unknown optimizer 'Adam'; ...; did you mean 'adam'?`. Panel factories
set starting values with `set_control(name, widget, value)`, which checks the same way.
"""
import html
import io
import math
import numbers
from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import _validate
from ._validate import InputError, InputTypeError

_STYLE = {"description_width": "initial"}
_SLIDERS = (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider)


def float_slider(low, high, step, value, description=None):
    """A slider for a real parameter (updates when released, so a drag triggers one retrain)."""
    _check_bounds(low, high)
    return _start_at(widgets.FloatSlider(value=low, min=low, max=high, step=step, description=description or "",
                                         continuous_update=False, style=_STYLE, readout_format=".3g"), value)


def int_slider(low, high, value, step=1, description=None):
    """A slider for an integer parameter (sizes, depths, seeds, epochs)."""
    _check_bounds(low, high)
    return _start_at(widgets.IntSlider(value=low, min=low, max=high, step=step, description=description or "",
                                       continuous_update=False, style=_STYLE), value)


def log_slider(low, high, value, description=None, steps_per_decade=4):
    """A slider whose positions are evenly spaced in log10: for learning rates and scales."""
    lo, hi = math.log10(_validate.positive("low", low)), math.log10(_validate.positive("high", high))
    _check_bounds(low, high)
    return _start_at(widgets.FloatLogSlider(value=low, base=10, min=lo, max=hi, step=1 / steps_per_decade,
                                            description=description or "", continuous_update=False,
                                            style=_STYLE, readout_format=".3g"), value)


def dropdown(options, value=None, description=None):
    """A menu of named choices (activations, initializers, data sets, ...); `options` may be (label, value)
    pairs. Without `value`, the first choice."""
    options = list(options)
    if not options:
        raise InputError("a dropdown needs at least one option")
    w = widgets.Dropdown(options=options, description=description or "", style=_STYLE)
    return w if value is None else _start_at(w, value)


def toggle(value=False, description=None):
    """An on/off checkbox."""
    return _start_at(widgets.Checkbox(value=False, description=description or "", style=_STYLE, indent=False),
                     value)


def _check_bounds(low, high):
    if not low <= high:
        raise InputError(f"a slider needs low <= high, got low {low!r} and high {high!r}")


def _start_at(w, value):
    """Start `w` at `value` if it is allowed. If not, keep the value, unclamped, for the panel to refuse by the
    control's name: the helpers are called before the name is known (`slider_panel(run, plot, lr=...)`).
    A later change of the widget's value replaces the kept one."""
    try:
        w.value = check_value("value", w, value)
    except ValueError:
        w._nncourse_start = value
        w.observe(_forget_start, names="value")
    return w


def _forget_start(change):
    change.owner.unobserve(_forget_start, names="value")
    vars(change.owner).pop("_nncourse_start", None)


def slider_range(slider):
    """(lowest, highest) value of a slider; a log slider's in values, not exponents."""
    if isinstance(slider, widgets.FloatLogSlider):
        return slider.base ** slider.min, slider.base ** slider.max
    return slider.min, slider.max


def check_value(name, widget, value):
    """Return `value` as `widget` would hold it, or raise an InputError (InputTypeError for a value of the
    wrong kind) naming the parameter `name`, the value and what is allowed: a slider's range (ipywidgets
    would silently clamp into it), a menu's choices (with a did-you-mean), True or False for a checkbox."""
    if isinstance(widget, _SLIDERS):
        lo, hi = slider_range(widget)
        whole = isinstance(widget, widgets.IntSlider)
        wanted = f"{name} must be {'a whole number' if whole else 'a number'} from {lo:g} to {hi:g}"
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise InputTypeError(f"{wanted}, got {_repr(value)}")
        if not math.isfinite(value) or (whole and value != int(value)):
            raise InputError(f"{wanted}, got {_repr(value)}")
        slack = 1e-9 * (abs(lo) + abs(hi))   # a log slider's ends are 10 ** log10(x), not always x
        if not lo - slack <= value <= hi + slack:
            raise InputError(f"{name} = {value:g} is outside the slider's range {lo:g} to {hi:g}")
        return int(value) if whole else value
    if isinstance(widget, widgets.Dropdown):
        allowed = list(widget._options_values)
        _validate.choice(name, value, allowed)
        flag = isinstance(value, (bool, np.bool_))
        same = [a for a in allowed if a == value and isinstance(a, (bool, np.bool_)) == flag]
        if not same:   # True == 1: a flag where the menu holds numbers
            names = ", ".join(repr(a) for a in allowed)
            raise InputTypeError(f"{name} must be one of: {names}; got {_repr(value)}")
        return same[0]
    if isinstance(widget, widgets.Checkbox):
        if not isinstance(value, (bool, np.bool_)):
            raise InputTypeError(f"{name} must be True or False, got {_repr(value)}")
        return bool(value)
    return value


def set_control(name, widget, value):
    """Set a control to `value` after check_value: the one way the course's panels set a starting value, so
    that a notebook parameter outside a slider's range or not among a menu's choices is refused by name."""
    widget.value = check_value(name, widget, value)
    vars(widget).pop("_nncourse_start", None)
    return widget


def _refusing(name):
    """A slider's `value` validator that refuses, by name, what ipywidgets' own would clamp: so that
    `panel.controls["lr"].value = 5` in a cell raises too. Within rounding of an end it clamps (the front end
    computes a log slider's ends as 10 ** exponent)."""
    def validate(slider, proposal):
        lo, hi = slider_range(slider)
        return min(max(check_value(name, slider, proposal.value), lo), hi)
    return validate


def _repr(value):
    """A bad value as a one-line message shows it: its repr when short, else its kind."""
    text = repr(value)
    return text if len(text) <= 60 and "\n" not in text else f"a {type(value).__name__}"


def _shown(slider, value):
    """A slider's value as its readout would show it."""
    try:
        return format(value, slider.readout_format or "g")
    except (TypeError, ValueError):
        return str(value)


def _error_html(text):
    return f"<span style='color:#b00020'>{html.escape(text, quote=False)}</span>"


class SliderPanel:
    """Sliders + one figure. See the module docstring.

    Each slider shows its value in a small text box (`entries[name]`) instead of ipywidgets' readout, whose
    front end clamps a typed value into the range before the kernel sees it: a value typed into the box
    that the slider cannot take is refused in the status line, and nothing is recomputed."""

    def __init__(self, run, plot, controls, fixed=None, figsize=(9, 3.4), dpi=100, cache_size=64):
        if not controls:
            raise InputError("a slider panel needs at least one control")
        self.run, self.plot, self.fixed = run, plot, dict(fixed or {})
        self.controls = dict(controls)
        self.status = widgets.HTML()
        self.status.add_class("nncourse-status")
        self.entries = {}
        for name, w in self.controls.items():
            if not isinstance(w, widgets.ValueWidget):
                raise InputTypeError(f"control {name!r} must be an ipywidgets value widget (use float_slider, "
                                     f"int_slider, log_slider, dropdown or toggle), got {type(w).__name__}")
            set_control(name, w, getattr(w, "_nncourse_start", w.value))
            if not w.description:
                w.description = name
            if isinstance(w, _SLIDERS):
                w._register_validator(_refusing(name), ["value"])   # in place of ipywidgets' silent clamp
                self.entries[name] = self._typed_entry(name, w)
            w.observe(self._on_change, names="value")
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
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
            self.status.value = _error_html(str(err))
            return
        self.show(result)

    def _typed_entry(self, name, slider):
        """The text box that replaces `slider`'s readout; it follows the slider, and sends what is typed."""
        slider.readout = False
        lo, hi = slider_range(slider)
        box = widgets.Text(value=_shown(slider, slider.value), continuous_update=False,
                           tooltip=f"type a value from {lo:g} to {hi:g}, then Enter",
                           layout=widgets.Layout(width="70px"))
        box.add_class("nncourse-entry")
        box.add_class(f"nncourse-entry-{name}")
        slider.observe(lambda change: setattr(box, "value", _shown(slider, change.new)), names="value")
        box.observe(lambda change: self._on_typed(name, change.new), names="value")
        return box

    def _on_typed(self, name, text):
        """Move the slider to a typed value, or refuse it in the status line and show the slider's value again."""
        slider, box = self.controls[name], self.entries[name]
        shown = _shown(slider, slider.value)
        if text.strip() == shown:
            return
        try:
            number = float(text)
        except ValueError:
            number = text.strip()   # check_value names it as not a number
        try:
            value = check_value(name, slider, number)
        except ValueError as err:
            self.status.value = _error_html(f"{err}; the slider stays at {shown}")
            box.value = shown
            return
        slider.value = value        # the box follows, the panel reruns
        box.value = _shown(slider, slider.value)

    @property
    def widget(self):
        """The whole panel as one ipywidgets box."""
        controls = [widgets.HBox([w, self.entries[name]]) if name in self.entries else w
                    for name, w in self.controls.items()]
        box = widgets.VBox([widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")),
                            self.status, self.image])
        box.add_class("nncourse-panel")   # lets the browser tests find each panel on the page
        return box

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def slider_panel(run, plot, fixed=None, figsize=(9, 3.4), dpi=100, **controls):
    """Build a SliderPanel: `controls` maps each keyword of `run` to a widget; `fixed` holds keywords that have
    no slider."""
    return SliderPanel(run, plot, controls, fixed=fixed, figsize=figsize, dpi=dpi)
