"""What a lesson notebook calls besides its lesson module: `show` puts the library's real code in view, and
`record` stores the lesson's key outcomes where a sweep can read them back.

    show(Dense.backward)        # the method's source, as it is in lib/nncourse/core/layers.py

    record(final_loss=run.history.final_loss, diverged_at=run.history.diverged_at)

`record` shows one line in the notebook ("Key outcomes: final_loss = 3.4, diverged_at = None") and stores the
values as JSON under the MIME type OUTCOMES_MIME in the same output, where `scripts/sweep.py` (make sweep) finds
them: one row of its table per executed notebook. Values are rounded to `digits` significant figures, the
precision the lesson states them to, so the record is the same on every machine.
"""

import inspect
import json
import math
import numbers
import textwrap

from nncourse.core import _validate

OUTCOMES_MIME = "application/vnd.nncourse.outcomes+json"


class Outcomes(dict):
    """The recorded values; shown by IPython as one text line plus the JSON a sweep reads."""

    @property
    def line(self):
        return "Key outcomes (read by make sweep): " + ", ".join(f"{k} = {v}" for k, v in self.items())

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.line, OUTCOMES_MIME: json.loads(json.dumps(self))}

    def _repr_pretty_(self, printer, cycle):
        # IPython's plain-text formatter would print a dict subclass as a dict: the one line instead
        printer.text(self.line)


def _rounded(name, value, digits):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            return str(value)  # JSON has no inf or nan
        return float(f"{value:.{digits}g}")
    raise _validate.InputTypeError(
        f"outcome {name} must be a number, a string, True/False or None, got {type(value).__name__}"
    )


def record(digits=3, **values):
    """The lesson's key outcomes, by name: numbers (rounded to `digits` significant figures), strings, booleans
    or None. Returns an Outcomes dict; put it last in a cell to show and store it."""
    digits = _validate.positive_int("digits", digits)
    if not values:
        raise _validate.InputError("record needs at least one outcome, e.g. record(final_loss=3.4)")
    return Outcomes({name: _rounded(name, v, digits) for name, v in values.items()})


def read(notebook):
    """The outcomes a notebook (an nbformat NotebookNode, executed) recorded: one dict, later records updating
    earlier ones; {} when it recorded none."""
    found = {}
    for cell in notebook.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if OUTCOMES_MIME in data:
                found.update(data[OUTCOMES_MIME])
    return found


def show(obj):
    """IPython's Code display of `obj`'s source (a function, method or class), dedented."""
    from IPython.display import Code

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as err:
        raise _validate.InputTypeError(
            f"show needs a function, method or class of the library, got {type(obj).__name__} ({err})"
        ) from None
    return Code(textwrap.dedent(source), language="python")
