"""The course's pictures, drawn from the library so they can be rebuilt (`make images`).

Each module in this package registers its drawing functions with `@image("file.png", figsize)`; a function
receives an empty matplotlib Figure and draws on it. `scripts/make_images.py` writes every registered picture
into images/.
"""

import importlib
import pkgutil

REGISTRY = {}


def image(filename, figsize=(6.0, 4.0)):
    """Register `fn(fig)` as the drawing of images/<filename>."""

    def register(fn):
        if filename in REGISTRY:
            raise ValueError(f"two drawings claim images/{filename}")
        REGISTRY[filename] = (fn, figsize)
        return fn

    return register


def all_images():
    """{filename: (draw function, figsize)} for every module of this package."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(REGISTRY.items()))


def render(filename, dpi=100):
    """Draw one registered picture and return its Figure."""
    import matplotlib.style
    from matplotlib.figure import Figure

    fn, figsize = all_images()[filename]
    with matplotlib.style.context("nncourse.plotting.course"):  # the lessons' figure style (course.mplstyle)
        fig = Figure(figsize=figsize, dpi=dpi)
        fn(fig)
    return fig
