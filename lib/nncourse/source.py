"""Show the library's real code in a lesson, syntax-highlighted: what a learner reads is what runs.

show(Dense.backward)        # the method's source, as it is in lib/nncourse/layers.py
"""

import inspect
import textwrap

from . import _validate


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
