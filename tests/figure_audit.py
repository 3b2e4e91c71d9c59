"""What every figure the course shows must be, checked on the figure itself as it is rendered.

- Legible at 100% zoom: rendered at at least 100 dpi, and no text below 9 pt at the size it is shown. A figure
  is shown at its own size up to the notebook's output width (900 px: JupyterLab in a 1280-px window with the
  file browser open); a wider one is scaled down, and its text with it.
- A key wherever an Axes has more than one line: a legend (its own or the figure's) that shows each colour, a
  colour bar, or a direct label per line.
- Colour-blind-safe: lines and bars in the Okabe-Ito palette (lib/nncourse/plotting/course.mplstyle), greys, or colours
  of an ordered map (viridis and kin, one-hue ramps); images and shaded fields in one of those maps.
- Integer ticks on axes that count (steps, epochs, seeds, rounds, layers).

`install(path)` patches matplotlib in this process (a kernel) so that each figure rendered (the inline backend's
PNGs, a panel's savefig) appends the rules it breaks to `path`, one JSON line per figure; `cell_source(path)` is
the cell that does so in a kernel. `python tests/figure_audit.py notebooks/NN_*.ipynb` runs lessons with it and
prints what it finds.
"""

import json
import pathlib
import re
import sys

MIN_PT = 9.0
MIN_DPI = 100.0
SHOWN_WIDTH_PX = 900.0
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
SAFE_CMAPS = {
    "viridis",
    "cividis",
    "magma",
    "inferno",
    "plasma",
    "Greys",
    "gray",
    "binary",
    "bone",
    "RdBu",
    "PuOr",
    "BrBG",
    "PiYG",
    "coolwarm",
    "bwr",
    "seismic",
    "Blues",
    "Oranges",
    "Purples",
    "Greens",
    "Reds",
    "YlGnBu",
    "YlOrBr",
    "YlOrRd",
    "PuBu",
    "BuPu",
    "GnBu",
    "OrRd",
    "PuRd",
}
# A line or bar colour may also come from an ordered map: a sequence told apart by lightness (viridis(k / n)).
LINE_CMAPS = ("viridis", "cividis", "magma", "inferno", "plasma", "Blues", "Oranges", "Purples", "Greys")
COUNTING = re.compile(r"\b(step|epoch|seed|round|layer|iteration|time step)s?\b", re.I)


def _rgb(color):
    from matplotlib.colors import to_rgba

    return to_rgba(color)[:3]


_SAFE_SAMPLES = None


def _safe_colours():
    global _SAFE_SAMPLES
    if _SAFE_SAMPLES is None:
        import numpy as np
        from matplotlib import colormaps

        samples = [_rgb(c) for c in OKABE_ITO] + [(1.0, 1.0, 1.0)]
        for name in LINE_CMAPS:
            samples += [tuple(c[:3]) for c in colormaps[name](np.linspace(0, 1, 256))]
        _SAFE_SAMPLES = np.array(samples)
    return _SAFE_SAMPLES


def colour_is_safe(color):
    import numpy as np

    rgb = np.array(_rgb(color))
    if rgb.max() - rgb.min() < 0.03:  # a grey, black or white
        return True
    return bool(np.min(np.abs(_safe_colours() - rgb).max(axis=1)) < 0.03)


def _points(line):
    """Whether a Line2D draws only markers: points, not a curve."""
    return line.get_linestyle() in ("None", "none", "", " ") and line.get_marker() not in (None, "None", "none", "")


def _points_in_safe_map(line):
    """Points coloured as a scatter would be (their face a colour of a colour-blind-safe map, such as a class
    colour taken from the map the shading under them uses), or in a safe line colour."""
    import numpy as np
    from matplotlib import colormaps

    face = line.get_markerfacecolor()
    if isinstance(face, str) and face.lower() == "none":
        face = line.get_markeredgecolor()
    if colour_is_safe(face):
        return True
    global _SAFE_MAP_SAMPLES
    if _SAFE_MAP_SAMPLES is None:
        _SAFE_MAP_SAMPLES = np.concatenate([colormaps[n](np.linspace(0, 1, 256))[:, :3] for n in sorted(SAFE_CMAPS)])
    return bool(np.min(np.abs(_SAFE_MAP_SAMPLES - np.array(_rgb(face))).max(axis=1)) < 0.03)


_SAFE_MAP_SAMPLES = None


def _cmap_name(mappable):
    name = mappable.get_cmap().name
    return name[:-2] if name.endswith("_r") else name


def _where(fig):
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    return " ".join((sup or "; ".join(titles) or "untitled figure").split())[:70]


def problems(fig, dpi=None):
    """The rules this (drawn) figure breaks, one line each."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.text import Text

    found = []
    dpi = float(dpi or fig.dpi)
    width_px = fig.get_figwidth() * dpi
    scale = min(1.0, SHOWN_WIDTH_PX / width_px) * dpi / MIN_DPI
    if dpi < MIN_DPI:
        found.append(f"rendered at {dpi:g} dpi (at least {MIN_DPI:g})")
    small = sorted(
        {
            (round(t.get_fontsize() * scale, 1), t.get_text().strip()[:20])
            for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() * scale < MIN_PT - 1e-9
        }
    )
    if small:
        shown = ", ".join(f"{text!r} {pt:g} pt" for pt, text in small[:4])
        found.append(
            f"text below {MIN_PT:g} pt as shown ({fig.get_figwidth():g} in wide at {dpi:g} dpi): {shown}"
            + (f" and {len(small) - 4} more" if len(small) > 4 else "")
        )
    legend_colours = set()
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        for handle in getattr(legend, "legend_handles", []):
            for getter in ("get_color", "get_facecolor", "get_edgecolor"):
                try:
                    c = getattr(handle, getter)()
                    c = c[0] if np.ndim(c) == 2 and len(c) else c
                    legend_colours.add(tuple(np.round(_rgb(c), 3)))
                except (AttributeError, ValueError, TypeError, IndexError):
                    pass
    has_colorbar = any(getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>" for ax in fig.axes)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        name = " ".join((ax.get_title() or ax.get_ylabel() or "an axes").split())[:50]
        # points drawn as a line of markers (linestyle "None") are points, as a scatter's are: no curve to name
        lines = [
            ln
            for ln in ax.get_lines()
            if ln.get_visible() and len(np.atleast_1d(ln.get_xdata())) > 2 and not _points(ln)
        ]
        colours = {tuple(np.round(_rgb(ln.get_color()), 3)) for ln in lines}
        labelled = sum(1 for t in ax.texts if t.get_visible() and t.get_text().strip())
        if len(colours) > 1 and not (colours <= legend_colours or has_colorbar or labelled >= len(colours)):
            found.append(f"{name!r}: {len(colours)} line colours and no legend, colour bar or label per line")
        unsafe = sorted(
            {
                ln.get_color()
                if isinstance(ln.get_color(), str)
                else "#{:02x}{:02x}{:02x}".format(*tuple(int(255 * v) for v in _rgb(ln.get_color())))
                for ln in ax.get_lines()
                if ln.get_visible() and not (_points_in_safe_map(ln) if _points(ln) else colour_is_safe(ln.get_color()))
            }
        )
        unsafe += sorted(
            {
                "bar " + "#{:02x}{:02x}{:02x}".format(*tuple(int(255 * v) for v in _rgb(p.get_facecolor())))
                for p in ax.patches
                if p.get_visible() and p.get_fill() and not colour_is_safe(p.get_facecolor())
            }
        )
        if unsafe:
            found.append(f"{name!r}: colours outside the colour-blind-safe palette: {', '.join(unsafe[:4])}")
        for mappable in ax.images + [c for c in ax.collections if c.get_array() is not None]:
            cmap = mappable.get_cmap()
            if cmap.name not in colormaps:  # made from colours given (contour(colors=...)): check those
                bad = [c for c in cmap(np.linspace(0, 1, cmap.N)) if not colour_is_safe(c)]
                if bad:
                    found.append(
                        f"{name!r}: colours outside the colour-blind-safe palette: "
                        + ", ".join("#{:02x}{:02x}{:02x}".format(*tuple(int(255 * v) for v in c[:3])) for c in bad[:4])
                    )
                    break
            elif _cmap_name(mappable) not in SAFE_CMAPS:
                found.append(f"{name!r}: colour map {cmap.name!r} is not colour-blind safe")
                break
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            if not COUNTING.search(label) or "size" in label.lower() or axis.get_scale() != "linear":
                continue
            lo, hi = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_ticklocs() if lo - 1e-9 <= t <= hi + 1e-9]
            if any(abs(t - round(t)) > 1e-9 for t in ticks):
                found.append(
                    f"{name!r}: the {label!r} axis counts, its ticks are not integers "
                    f"({', '.join(f'{t:g}' for t in ticks[:5])})"
                )
    return [f"{_where(fig)}: {p}" for p in found]


def install(path):
    """Append each rendered figure's problems to `path` (JSON lines: cell execution count, problems)."""
    from matplotlib.backend_bases import FigureCanvasBase

    original = FigureCanvasBase.print_figure
    if getattr(original, "_audited", False):
        return

    def print_figure(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        try:
            found = problems(self.figure, kwargs.get("dpi") if kwargs.get("dpi") not in (None, "figure") else None)
        except Exception as exc:  # the audit must never break a lesson; a failure to audit is reported
            found = [f"the figure audit failed: {type(exc).__name__}: {exc}"]
        if found:
            try:
                import inspect

                from IPython import get_ipython

                cell = get_ipython().execution_count
                # the inline backend shows a cell's figures after the cell, when the count has moved on
                if any(frame.function == "flush_figures" for frame in inspect.stack(0)):
                    cell -= 1
            except Exception:
                cell = None
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"cell": cell, "problems": found}) + "\n")
        return out

    print_figure._audited = True
    FigureCanvasBase.print_figure = print_figure


def cell_source(path):
    tests = str(pathlib.Path(__file__).resolve().parent)
    return f"import sys\nsys.path.insert(0, {tests!r})\nimport figure_audit\nfigure_audit.install({str(path)!r})"


def report(path, executed_cells):
    """The problems recorded in `path`, one line each, with the first line of the cell that drew the figure."""
    path = pathlib.Path(path)
    if not path.exists():
        return []
    by_count = {
        c.get("execution_count"): c.source.splitlines()[0][:60] if c.source else ""
        for c in executed_cells
        if c.cell_type == "code"
    }
    lines = []
    for record in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        where = f"cell [{record['cell']}] `{by_count.get(record['cell'], '?')}`"
        lines += [f"{where}: {p}" for p in record["problems"] if f"{where}: {p}" not in lines]
    return lines


def audit_notebook(notebook, workdir):
    """Run a lesson with its defaults under the audit; the problems found."""
    import nbformat
    import papermill

    workdir = pathlib.Path(workdir)
    log = workdir / f"{pathlib.Path(notebook).stem}.figures.jsonl"
    log.unlink(missing_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(cell_source(log)))
    src = workdir / f"audited_{pathlib.Path(notebook).name}"
    nbformat.write(nb, src)
    out = workdir / pathlib.Path(notebook).name
    papermill.execute_notebook(
        str(src),
        str(out),
        cwd=str(pathlib.Path(notebook).resolve().parent),
        kernel_name="python3",
        execution_timeout=600,
        progress_bar=False,
    )
    return report(log, nbformat.read(out, as_version=4).cells)


if __name__ == "__main__":
    import tempfile

    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for nb_path in sys.argv[1:]:
            found = audit_notebook(nb_path, tmp)
            print(f"== {nb_path}: {len(found)} problem(s)")
            print("\n".join(found))
            status |= bool(found)
    sys.exit(status)
