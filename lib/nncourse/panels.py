"""Slider panels: turn a pure experiment function and a plotting function into sliders and a figure.

    panel = slider_panel(run, plot, lr=log_slider(1e-3, 10, 0.1), activation=dropdown(["relu", "tanh"]))
    panel            # in a notebook: the sliders and the figure (an ipywidgets Image updated in place)
    panel.result     # the last result of run(**values), for a checked cell or a test
    panel.controls["lr"].value = 1.0   # what a learner's slider move does: rerun, redraw

`run(**values)` must be pure (same values -> same result), so results are cached: moving a slider back to a
setting already seen costs only the redraw. `plot(result, fig)` draws on a matplotlib Figure, making its axes
with `fig.subplots(...)`: from the second draw on, that hands back the last draw's axes, cleared (`_PanelFigure`).
The panel renders its default result once at creation, so a headless run shows it too.

What a notebook stores for a panel is three things in one output: the live widget (JupyterLab with a running
kernel shows it), a PNG of the default figure with the settings printed under it (what GitHub, nbviewer,
nbconvert's HTML and JupyterLab before Run All show: they skip a widget whose state is not stored, and the
course stores none), and a line of text naming the settings and the result's status (what nbval checks).
The live figure is SVG, sharp at any screen density.

A control that does not apply to the current setting (momentum for plain SGD) is disabled, with the reason
under the controls: `applies={"momentum": lambda v: None if v["optimizer"] == "momentum" else "only for
momentum"}`. A panel built with `stepper=` also plays: play / pause / step / reset buttons advance a run a few
steps per frame (see `Stepper`); play pressed in the browser draws from a kernel thread. A panel built with
`background=True` trains a setting moved in the browser in a worker thread, answering at once and staying movable
(lesson 07's lottery; see `_Background`).

A starting value that a control cannot take is refused by the control's name, never clamped: `lr = 5 is
outside the slider's range 0.001 to 1`, `unknown optimizer 'Adam'; ...; did you mean 'adam'?`. Panel factories
set starting values with `set_control(name, widget, value)`, which checks the same way.
"""

import base64
import html
import io
import math
import struct
import textwrap
import threading
import time
import zlib
from collections import OrderedDict

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.figure import Figure, SubplotParams

from nncourse.core import _validate
from nncourse.core._validate import InputError, InputTypeError

_STYLE = {"description_width": "initial"}
_MISSING = object()  # not in the cache (a run may return None)
_SLIDERS = (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider)


def float_slider(low, high, step, value, description=None):
    """A slider for a real parameter (updates when released, so a drag triggers one retrain)."""
    _validate.slider_bounds(low, high)
    return _start_at(
        widgets.FloatSlider(
            value=low,
            min=low,
            max=high,
            step=step,
            description=description or "",
            continuous_update=False,
            style=_STYLE,
            readout_format=".3g",
        ),
        value,
    )


def int_slider(low, high, value, step=1, description=None):
    """A slider for an integer parameter (sizes, depths, seeds, epochs)."""
    _validate.slider_bounds(low, high)
    return _start_at(
        widgets.IntSlider(
            value=low,
            min=low,
            max=high,
            step=step,
            description=description or "",
            continuous_update=False,
            style=_STYLE,
        ),
        value,
    )


def log_slider(low, high, value, description=None, steps_per_decade=4):
    """A slider whose positions are evenly spaced in log10: for learning rates and scales."""
    lo, hi = math.log10(_validate.positive("low", low)), math.log10(_validate.positive("high", high))
    _validate.slider_bounds(low, high)
    return _start_at(
        widgets.FloatLogSlider(
            value=low,
            base=10,
            min=lo,
            max=hi,
            step=1 / steps_per_decade,
            description=description or "",
            continuous_update=False,
            style=_STYLE,
            readout_format=".3g",
        ),
        value,
    )


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
    return _start_at(widgets.Checkbox(value=False, description=description or "", style=_STYLE, indent=False), value)


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
        return slider.base**slider.min, slider.base**slider.max
    return slider.min, slider.max


def check_value(name, widget, value):
    """Return `value` as `widget` would hold it, or raise an InputError (InputTypeError for a value of the
    wrong kind) naming the parameter `name`, the value and what is allowed: a slider's range (ipywidgets
    would silently clamp into it), a menu's choices (with a did-you-mean), True or False for a checkbox."""
    if isinstance(widget, _SLIDERS):
        return _validate.slider_value(name, value, *slider_range(widget), whole=isinstance(widget, widgets.IntSlider))
    if isinstance(widget, widgets.Dropdown):
        return _validate.menu_value(name, value, list(widget._options_values))
    if isinstance(widget, widgets.Checkbox):
        return _validate.flag(name, value)
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


def _shown(slider, value):
    """A slider's value as its readout would show it."""
    try:
        return format(value, slider.readout_format or "g")
    except (TypeError, ValueError):
        return str(value)


def _sent_by_page(*ws):
    """True while ipywidgets applies a value the browser sent to one of `ws`: it holds that widget's property
    lock while its observers run. A value set from Python (a cell, a test) holds none."""
    return any(w._property_lock for w in ws)


def _error_html(text):
    return f"<span style='color:#b00020'>{html.escape(text, quote=False)}</span>"


class SliderPanel:
    """Sliders + one figure. See the module docstring.

    Each slider shows its value in a small text box (`entries[name]`) instead of ipywidgets' readout, whose
    front end clamps a typed value into the range before the kernel sees it: a value typed into the box
    that the slider cannot take is refused in the status line, and nothing is recomputed."""

    def __init__(
        self,
        run,
        plot,
        controls,
        fixed=None,
        figsize=(9, 3.4),
        dpi=100,
        cache_size=64,
        applies=None,
        stepper=None,
        interval_ms=50,
        views=(),
        view=None,
        background=False,
    ):
        if not controls:
            raise InputError("a slider panel needs at least one control")
        self.run, self.plot, self.fixed = run, plot, dict(fixed or {})
        self.controls = dict(controls)
        # view controls choose what to show of a run without running again: run(...) is called without them and
        # view(run's result, **their values) is the result shown (e.g. the first k rounds of a pruning run)
        self.views, self.view = tuple(views), view
        unknown_views = sorted(set(self.views) - set(self.controls))
        if unknown_views or (self.views and not callable(view)):
            raise InputError(
                f"views must name controls of the panel ({', '.join(map(repr, self.controls))}) and come with a "
                f"view function, got views={self.views!r}, view={view!r}"
            )
        self.status = widgets.HTML()
        self.status.add_class("nncourse-status")
        self.entries, self.labels = {}, {}
        for name, w in self.controls.items():
            if not isinstance(w, widgets.ValueWidget):
                raise InputTypeError(
                    f"control {name!r} must be an ipywidgets value widget (use float_slider, "
                    f"int_slider, log_slider, dropdown or toggle), got {type(w).__name__}"
                )
            set_control(name, w, getattr(w, "_nncourse_start", w.value))
            if not w.description:
                w.description = name
            self.labels[name] = w.description
            if isinstance(w, _SLIDERS):
                w._register_validator(_refusing(name), ["value"])  # in place of ipywidgets' silent clamp
                self.entries[name] = self._typed_entry(name, w)
            w.observe(self._on_change, names="value")
        self.applies = dict(applies or {})
        unknown = sorted(set(self.applies) - set(self.controls))
        if unknown:
            raise InputError(
                f"applies names {', '.join(map(repr, unknown))}, which the panel has no control for; "
                f"its controls: {', '.join(map(repr, self.controls))}"
            )
        self.note = widgets.HTML()
        self.note.add_class("nncourse-note")
        self.figure = _PanelFigure(figsize=figsize, dpi=dpi)
        width_px = round(figsize[0] * dpi)
        self.image = widgets.Image(format="svg+xml", layout=widgets.Layout(width=f"{width_px}px", max_width="100%"))
        self._cache, self._cache_size = OrderedDict(), cache_size
        # background=True: a setting moved in the browser whose run is not cached trains in a worker thread,
        # so the panel answers at once (progress, the status line) and stays movable; see _Background
        self._lock = threading.RLock()  # the cache and the drawing, shared with the worker
        self.background = _Background(self) if background else None
        self.updates = 0
        self.result = None
        self.player = None if stepper is None else _Player(self, stepper, interval_ms)
        self._refresh_applicability()
        self.update()

    @property
    def values(self):
        """The current value of every control, by name."""
        return {name: w.value for name, w in self.controls.items()}

    def _run_values(self):
        """The values run(...) is called with: the controls' values without the view controls."""
        return {k: v for k, v in self.values.items() if k not in self.views}

    @staticmethod
    def _key(values):
        return tuple(sorted(values.items()))

    def _cached(self, values):
        with self._lock:
            return self._key(values) in self._cache

    def _store(self, values, result):
        with self._lock:
            self._cache[self._key(values)] = result
            self._cache.move_to_end(self._key(values))
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _viewed(self, result):
        return self.view(result, **{k: self.values[k] for k in self.views}) if self.views else result

    def compute(self):
        """run(**fixed, **values), cached by the values (without the view controls, which pick what `view` shows
        of the cached run)."""
        values = self._run_values()
        with self._lock:
            result = self._cache.get(self._key(values), _MISSING)
            if result is not _MISSING:
                self._cache.move_to_end(self._key(values))
        if result is _MISSING:
            result = self.run(**self.fixed, **values)
            self._store(values, result)
        return self._viewed(result)

    def redraw(self):
        """Draw the current result and put it, as SVG, into the image widget.

        The figure is the last one drawn, its axes cleared and handed back to `plot` (see `_PanelFigure`), or a
        fresh one when the last draw left something a clear would not reset; `panel.figure` is always the figure
        last drawn. The image is SVG: vector, so sharp on a 2x screen, and cheaper to write than a PNG of that
        resolution."""
        with matplotlib.rc_context(_PANEL_RC):
            fig = self.figure
            if not (isinstance(fig, _PanelFigure) and fig.reusable):
                fig = _PanelFigure(figsize=fig.get_size_inches(), dpi=fig.dpi)
            self.figure = fig
            fig.begin()
            try:
                self.plot(self.result, fig)
            except BaseException:
                fig.reusable = False  # a draw that broke off may have left anything: the next one starts afresh
                raise
            fig.end()
        with self.image.hold_sync():
            self.image.format, self.image.value = "svg+xml", _svg(self.figure)

    def update(self):
        """Rerun (or fetch from the cache) and redraw: what one slider move costs."""
        self.show(self.compute())

    def show(self, result, png=None):
        """Make `result` the panel's current result and draw it (or show `png`, a frame already drawn)."""
        with self._lock:
            self.result = result
            if png is None:
                self.redraw()
            else:
                with self.image.hold_sync():
                    self.image.format, self.image.value = "png", png
            self.updates += 1
        summary = getattr(self.result, "status", None)
        self.status.value = f"<code>{summary}</code>" if summary else ""

    def _on_change(self, change):
        self._refresh_applicability()
        if self.player is not None and self.player.restart_if_playing():
            return
        if self.background is not None and self.background.take():
            return
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
        box = widgets.Text(
            value=_shown(slider, slider.value),
            continuous_update=False,
            tooltip=f"type a value from {lo:g} to {hi:g}, then Enter",
            layout=widgets.Layout(width="50px"),
        )
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
            number = text.strip()  # check_value names it as not a number
        try:
            value = check_value(name, slider, number)
        except ValueError as err:
            self.status.value = _error_html(f"{err}; the slider stays at {shown}")
            box.value = shown
            return
        slider.value = value  # the box follows, the panel reruns
        box.value = _shown(slider, slider.value)

    def _refresh_applicability(self):
        """Disable each control that does not apply to the current values, and say why under the controls."""
        values, self.off = self.values, {}
        for name, rule in self.applies.items():
            reason = rule(values)
            self.controls[name].disabled = bool(reason)
            if name in self.entries:
                self.entries[name].disabled = bool(reason)
            if reason:
                self.off[name] = reason
        self.note.value = (
            (
                "<small>"
                + "; ".join(
                    f"<b>{html.escape(', '.join(names))}</b> off: {html.escape(r)}"
                    for r, names in self._off_by_reason()
                )
                + "</small>"
            )
            if self.off
            else ""
        )

    def _off_by_reason(self):
        """[(reason, [names])] of the controls that are off, one entry per reason."""
        grouped = {}
        for name, reason in self.off.items():
            grouped.setdefault(reason, []).append(name)
        return list(grouped.items())

    @property
    def widget(self):
        """The whole panel as one ipywidgets box (built once: displaying the panel twice shows one panel)."""
        if getattr(self, "_box", None) is None:
            controls = [self._cell(name, w) for name, w in self.controls.items()]
            rows = [widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap"))]
            if self.player is not None:
                rows.append(self.player.widget)
            self._box = widgets.VBox(rows + [self.note, self.status, self.image])
            self._box.add_class("nncourse-panel")  # lets the browser tests find each panel on the page
            if self.background is not None:
                self._box.add_class("nncourse-background")
        return self._box

    def _cell(self, name, w):
        """One control, compact: its name above it, the slider and its value box (or the menu) below, 138 px wide,
        so that four fit in a row of a notebook beside JupyterLab's file browser in a 1024-px window."""
        if isinstance(w, widgets.Checkbox):
            cell = widgets.VBox(
                [widgets.HTML("&nbsp;", layout=widgets.Layout(height="20px")), w],
                layout=widgets.Layout(width="138px", margin="0 6px 4px 0"),
            )
        else:
            w.description = ""  # the name goes above the control (self.labels)
            label = widgets.HTML(
                f"<span class='nncourse-label'>{html.escape(self.labels[name])}</span>",
                layout=widgets.Layout(height="20px", margin="0"),
            )
            if name in self.entries:
                w.layout.width = "86px"
                self.entries[name].layout.width = "50px"
                body = widgets.HBox([w, self.entries[name]])
            else:
                w.layout.width = "136px"
                body = w
            cell = widgets.VBox([label, body], layout=widgets.Layout(width="138px", margin="0 6px 4px 0"))
        cell.add_class("nncourse-control")
        cell.add_class(f"nncourse-control-{name}")
        return cell

    def settings(self):
        """The current settings as one line: `lr = 0.1, optimizer = 'sgd'` (fixed values are not settings)."""
        return ", ".join(f"{name} = {_shown_value(w)}" for name, w in self.controls.items())

    def summary(self):
        """Settings and the result's status: the panel's text (what a static viewer's text shows, nbval checks)."""
        status = getattr(self.result, "status", None)
        off = "".join(f"\noff: {', '.join(names)} ({reason})" for reason, names in self._off_by_reason())
        return f"panel: {self.settings()}" + off + (f"\nresult: {status}" if status else "")

    def static_png(self):
        """A PNG of the current figure with the settings under it, for viewers without a kernel."""
        return _with_caption(
            self.figure, self.summary().replace("panel: ", "settings: ") + "\n(run the notebook to move the controls)"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        data["text/plain"] = self.summary()
        data["image/png"] = base64.b64encode(self.static_png()).decode("ascii")
        return data


def slider_panel(
    run,
    plot,
    fixed=None,
    figsize=(9, 3.4),
    dpi=100,
    applies=None,
    stepper=None,
    interval_ms=50,
    views=(),
    view=None,
    background=False,
    **controls,
):
    """Build a SliderPanel: `controls` maps each keyword of `run` to a widget; `fixed` holds keywords that have
    no slider; `applies` and `stepper` as in the module docstring."""
    return SliderPanel(
        run,
        plot,
        controls,
        fixed=fixed,
        figsize=figsize,
        dpi=dpi,
        applies=applies,
        stepper=stepper,
        interval_ms=interval_ms,
        views=views,
        view=view,
        background=background,
    )


def _shown_value(w):
    if isinstance(w, _SLIDERS):
        return _shown(w, w.value)
    if isinstance(w, widgets.Dropdown):
        labels = dict((v, k) for k, v in w.options) if w.options and isinstance(w.options[0], tuple) else {}
        return repr(w.value) if not labels else repr(labels.get(w.value, w.value))
    return repr(w.value)


_SVG_RC = {"svg.hashsalt": "nncourse", "svg.fonttype": "none"}  # text as text: faster to write and to show
# A panel's titles sit at the top of their axes (plus axes.titlepad), which is where matplotlib's automatic
# placement puts them in every panel (none has x ticks on top or an offset text under its title: a test checks
# each panel's figures); fixing the place skips measuring each axis's tick labels at every draw, about a tenth of
# a redraw.
_PANEL_RC = {"axes.titley": 1.0}


def _keep_ticks():
    """In place of Axis.reset_ticks while `_PanelFigure` clears an axes: the tick objects stay (cla() sets their
    clip path to the new background patch)."""


def _tick_params(ax):
    """What new tick objects of `ax` are made from; None if this matplotlib keeps it elsewhere."""
    kw = [getattr(axis, attr, None) for axis in (ax.xaxis, ax.yaxis) for attr in ("_major_tick_kw", "_minor_tick_kw")]
    return None if any(k is None for k in kw) else [dict(k) for k in kw]


class _PanelFigure(Figure):
    """The figure a panel draws into, again at every move. Making an Axes costs about 10 ms, most of it making
    its tick objects (the ticks, their labels and grid lines), and a panel's figure has two to four: so each draw
    after the first hands the last draw's axes back to the plot function. `subplots(...)` called with the
    arguments of the same call in the last draw returns those axes cleared with `cla()`, which resets everything
    a new Axes has, except that their tick objects are kept (and drawn again at the new ticks).

    The figure is used again only if the draw left nothing that this does not reset (`reusable`): no axes made
    another way (add_subplot, colorbar, twinx, inset axes), no figure-level artists but texts and legends (which
    are removed before each draw), no suptitle, no layout engine, no tick parameters changed (tick_params, grid),
    the same size. Otherwise the panel draws the next move on a new figure. `reused` counts the subplots calls
    handed back. tests/test_panels.py draws every panel's settings (defaults, each control at its ends, each menu
    choice) both ways and asserts the same SVG bytes; 10 of the 14 panels reuse their axes, 13-30% off their
    redraw."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last, self._made, self.reusable, self.reused = [], [], True, 0  # nothing drawn yet

    def begin(self):
        """Before a draw: the axes of the last draw wait to be handed back; figure-level texts and legends are
        removed; the margins are the defaults again."""
        self._last, self._made, self._size = self._made, [], tuple(self.get_size_inches())
        for artist in [*self.texts, *self.legends]:
            artist.remove()
        defaults = SubplotParams()
        names = ("left", "right", "bottom", "top", "wspace", "hspace")
        if any(getattr(self.subplotpars, k) != getattr(defaults, k) for k in names):
            self.subplots_adjust(**{k: getattr(defaults, k) for k in names})

    def subplots(self, *args, **kwargs):
        i, key = len(self._made), (args, kwargs)
        if i < len(self._last) and _same_call(self._last[i][0], key):
            axs = self._last[i][1]
            for ax in np.ravel(axs):
                for axis in (ax.xaxis, ax.yaxis):
                    axis.reset_ticks = _keep_ticks  # an instance attribute: this axes only, while cla runs
                try:
                    ax.cla()
                finally:
                    for axis in (ax.xaxis, ax.yaxis):
                        del axis.reset_ticks
            self.reused += 1
        else:
            for _, old, _ in self._last[i:]:  # the last draw's later axes cannot be handed back in order now
                for ax in np.ravel(old):
                    self.delaxes(ax)
            del self._last[i:]
            axs = super().subplots(*args, **kwargs)
        self._made.append((key, axs, [_tick_params(ax) for ax in np.ravel(axs)]))
        return axs

    def end(self):
        """After a draw: drop the last draw's axes that were not handed back; decide whether to reuse the figure."""
        for _, old, _ in self._last[len(self._made) :]:
            for ax in np.ravel(old):
                self.delaxes(ax)
        self._last = []
        made = [ax for _, axs, _ in self._made for ax in np.ravel(axs)]
        self.reusable = (
            list(self.axes) == made
            and self.get_layout_engine() is None
            and not (self.lines or self.patches or self.images or self.artists)
            and not (self.subfigs or self._suptitle or self._supxlabel or self._supylabel)
            and tuple(self.get_size_inches()) == self._size
            and all(not ax.child_axes for ax in made)
            and all(
                params is not None and params == _tick_params(ax)
                for _, axs, before in self._made
                for ax, params in zip(np.ravel(axs), before)
            )
        )


def _same_call(a, b):
    """Whether two subplots(...) calls' (args, kwargs) are equal (arrays among them count as different)."""
    try:
        return bool(a == b)
    except ValueError:
        return False


def _svg(figure):
    """The figure as SVG bytes; the same figure gives the same bytes (no date, fixed element ids)."""
    buf = io.BytesIO()
    with matplotlib.rc_context(_SVG_RC):
        figure.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _with_caption(figure, text):
    """PNG bytes of `figure` (at its own dpi) with `text` in small type under it."""
    from PIL import Image

    body = io.BytesIO()
    figure.savefig(body, format="png", metadata={"Software": None})
    per_line = int(figure.get_figwidth() * 72 / (0.62 * 9)) - 4  # 9-pt monospace: about 0.6 em per character
    lines = [
        piece
        for line in text.splitlines()
        for piece in textwrap.wrap(line, per_line, subsequent_indent="  ", break_on_hyphens=False) or [""]
    ]
    caption = Figure(figsize=(figure.get_figwidth(), 0.2 + 0.18 * len(lines)), dpi=figure.dpi)
    caption.text(
        0.01,
        0.5,
        "\n".join(lines),
        ha="left",
        va="center",
        fontsize=9,
        color="0.25",
        family="monospace",
        linespacing=1.3,
    )
    cap = io.BytesIO()
    caption.savefig(cap, format="png", metadata={"Software": None})
    top, bottom = Image.open(body).convert("RGBA"), Image.open(cap).convert("RGBA")
    joined = Image.new("RGBA", (top.width, top.height + bottom.height), "white")
    joined.paste(top, (0, 0))
    joined.paste(bottom, (0, top.height))
    out = io.BytesIO()
    joined.convert("RGB").save(out, format="png", optimize=True)
    return out.getvalue()


class _Superseded(Exception):
    """Raised inside a background run whose setting the learner has already moved away from."""


class _Watched:
    """The panel's progress bar as a background run sees it: it fills the bar while the run is still the one
    wanted, and stops the run (raises _Superseded) at its next report once it is not."""

    def __init__(self, bar, wanted):
        self._bar, self._wanted = bar, wanted

    def _set(self, name, value):
        if not self._wanted():
            raise _Superseded
        setattr(self._bar, name, value)

    max = property(lambda self: self._bar.max, lambda self, v: self._set("max", v))
    value = property(lambda self: self._bar.value, lambda self, v: self._set("value", v))


class _Background:
    """Training in a worker thread for a panel built with background=True (runs that take seconds).

    A setting moved in the browser whose run is not cached is handed to one worker thread: the panel answers
    at once (the status line names the setting being trained, the progress bar -- `fixed["progress"]`, if
    the panel has one -- fills as the run reports) and stays movable while it trains; when the run ends and is
    still the setting shown, it is drawn. Moving on while it trains replaces the wanted setting: the old run
    stops at its next progress report (or finishes into the cache, if it reports none), and moving to a setting
    already cached shows it at once. Values set from Python (a notebook cell, a test) run in the caller, as in
    any panel, so headless runs stay synchronous and deterministic; `wait()` waits for the worker."""

    def __init__(self, panel):
        self.panel = panel
        self.pending = None  # the run values the worker is to train (or is training), or None
        self._changed = threading.Condition(panel._lock)
        self._thread = None

    def take(self):
        """Called on each control change: True if it is handled here (trained in the worker, or the setting
        the worker trains already), False if the panel should run it now."""
        panel, values = self.panel, self.panel._run_values()
        with self._changed:
            if panel._cached(values) or not _sent_by_page(*panel.controls.values(), *panel.entries.values()):
                self.pending = None  # what the worker trains is no longer wanted
                self._changed.notify_all()
                return False
            if values == self.pending:
                return True  # a view control moved while its run trains: drawn when the run ends
            shown = ", ".join(f"{k} = {_shown_value(panel.controls[k])}" for k in values)
            # said before the worker can finish (and say the run's own status), not after
            panel.status.value = (
                f"<code>training {html.escape(shown)} ... (the figure still shows the last setting finished; "
                "the controls stay free)</code>"
            )
            self.pending = values
            self._changed.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="nncourse-panel-worker", daemon=True)
                self._thread.start()
        return True

    def _work(self):
        panel = self.panel
        while True:
            with self._changed:
                while self.pending is None:
                    self._changed.wait()
                values = self.pending
            fixed = dict(panel.fixed)

            def wanted(values=values):
                return self.pending == values

            if "progress" in fixed:
                fixed["progress"] = _Watched(fixed["progress"], wanted)
            try:
                result = panel.run(**fixed, **values)
            except _Superseded:
                continue
            except Exception as err:  # noqa: BLE001 -- shown in the panel: a worker's error reaches no cell
                text = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"  # as in the caller
                with self._changed:
                    if wanted():
                        self.pending = None
                        panel.status.value = _error_html(text)
                        self._changed.notify_all()
                continue
            panel._store(values, result)
            with self._changed:
                if wanted():
                    self.pending = None
                    panel.show(panel._viewed(result))
                    self._changed.notify_all()

    def wait(self, timeout=60.0):
        """Wait until the worker has nothing wanted left to train (True), or timeout seconds (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.pending is None, timeout)


def blit_png(canvas, background, artists):
    """A playing panel's frame drawn fast: `background` (canvas.copy_from_bbox of the figure drawn without
    `artists`, which are set animated) restored, only `artists` drawn over it, and the picture written as a PNG
    by `fast_png`. What a Stepper's `frame` function returns."""
    canvas.restore_region(background)
    for artist in artists:
        artist.axes.draw_artist(artist)
    return fast_png(canvas.buffer_rgba())


def fast_png(rgba):
    """PNG bytes of an RGBA pixel buffer (height x width x 4, uint8), written as RGB with no row filter and zlib
    level 1: about half the time of Pillow's encoder at its fastest setting for a 2x panel (1800 x 680), and
    smaller for a figure's flat colours. Lossless: decoding gives back the RGB of every pixel."""
    rgba = np.asarray(rgba)
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + 3 * width), np.uint8)
    rows[:, 0] = 0  # filter type None for each row
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


class Stepper:
    """What a playing panel advances: `Stepper(start, advance, done, view)`, where `start(**values)` makes a fresh
    run's state, `advance(state)` moves it on by one frame (a few training steps) and returns the result to draw,
    `done(state)` is a message when the run can go no further (finished, diverged) or None, and `view(state)` is
    the result to draw for a state (frame 0 after a reset)."""

    def __init__(self, start, advance, done, view, frame=None):
        self.start, self.advance, self.done, self.view = start, advance, done, view
        # frame(result, figsize, dpi) -> PNG bytes, or None: an optional fast drawing of a frame while playing
        # (the run's final frame is drawn in full)
        self.frame = frame


class _Player:
    """Play / pause / step / reset for a SliderPanel.

    Pressed in the browser, play starts a thread in the kernel that advances the run one frame at a time and
    pushes each frame to the page, at most one per `interval_ms`: no round trip per frame (ipywidgets sends a
    widget's next message only once the kernel has answered the last, which held play to about 8 frames per
    second). Pause, reset and the Play's stop button end the thread before its next frame.

    Set from Python (a cell, a test), play is driven by the Play's ticks, as without a browser there is no one
    to watch: each tick advances one frame. After each frame the Play's interval is set to the time the frame
    took (at least `interval_ms`), and a tick that arrives right after a frame (queued while it was drawn) is
    dropped: no backlog piles up. Moving a control while playing restarts the run from the new setting and plays
    on."""

    def __init__(self, panel, stepper, interval_ms):
        self.panel, self.stepper, self.interval = panel, stepper, interval_ms / 1000
        self.play = widgets.Play(
            value=0, min=0, max=10**6, step=1, interval=interval_ms, show_repeat=False, description="play"
        )
        self.step_button = widgets.Button(description="step", icon="step-forward", layout=widgets.Layout(width="80px"))
        self.reset_button = widgets.Button(description="reset", icon="undo", layout=widgets.Layout(width="80px"))
        self.frame_label = widgets.HTML()
        self.play.add_class("nncourse-play")
        self.step_button.add_class("nncourse-step")
        self.reset_button.add_class("nncourse-reset")
        self.frame_label.add_class("nncourse-frame")
        self.play.observe(self._on_tick, names="value")
        self.play.observe(self._on_playing, names="playing")
        self._thread = None
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.state, self.frames, self._last = None, 0, 0.0
        self.widget = widgets.HBox([self.play, self.step_button, self.reset_button, self.frame_label])

    def _fresh(self):
        """A new run's state from the panel's current settings."""
        return self.stepper.start(**self.panel.fixed, **self.panel.values)

    def reset(self):
        """A fresh run from the current settings, drawn at frame 0; stops playing."""
        self.play.playing = False
        with self.panel._lock:  # after the playing thread's frame in progress, if any
            self.state, self.frames = self._fresh(), 0
            self.panel.show(self.stepper.view(self.state))
            self.frame_label.value = "<code>frame 0</code>"
            self._last = time.monotonic()

    def step(self, paced=True):
        """Advance one frame and draw it; at the end of the run, stop and say why. `paced`: set the Play's
        interval to the time the frame took (when the page's ticks drive play)."""
        with self.panel._lock:  # one frame at a time, whether the page's ticks, a button or the thread asks
            return self._step(paced)

    def _step(self, paced):
        if self.state is None:
            self.state, self.frames = self._fresh(), 0
        message = self.stepper.done(self.state)
        started = time.monotonic()
        if message is None:
            result = self.stepper.advance(self.state)
            self.frames += 1
            message = self.stepper.done(self.state)
            fast = self.stepper.frame if self.play.playing and message is None else None
            figure = self.panel.figure
            self.panel.show(result, fast and fast(result, tuple(figure.get_size_inches()), figure.dpi))
        self.frame_label.value = f"<code>frame {self.frames}</code>"
        if message is not None:
            self.play.playing = False
            self.panel.status.value = f"<code>{html.escape(message)}</code>"
        self._last = time.monotonic()
        if paced:  # the browser's clock ticks no faster than the kernel draws: no backlog of ticks
            self.play.interval = int(min(1000, max(1000 * self.interval, 1100 * (self._last - started))))
        return message

    def _on_tick(self, change):
        if change.new == 0:  # the Play's own stop button: back to the start
            self.reset()
        elif self._thread is None and time.monotonic() - self._last >= 0.3 * self.play.interval / 1000:
            self.step()

    def _on_playing(self, change):
        """Play pressed in the browser (ipywidgets holds the Play's property lock while it applies the page's
        value): frames come from a kernel thread."""
        if change.new and _sent_by_page(self.play) and self._thread is None:
            self._thread = threading.Thread(target=self._play_on, name="nncourse-player", daemon=True)
            self._thread.start()

    def _play_on(self):
        try:
            self.play.interval = 1000  # the page's own ticks (now unused) slow to one a second
            while self.play.playing:
                started = time.monotonic()
                with self.panel._lock:
                    if not self.play.playing or self.step(paced=False) is not None:
                        break
                time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            self._thread = None

    def restart_if_playing(self):
        """A control moved: while playing, restart from the new setting and keep playing (True); else False."""
        with self.panel._lock:
            if not self.play.playing:
                self.state = None
                return False
            self.state, self.frames = self._fresh(), 0
            return True
