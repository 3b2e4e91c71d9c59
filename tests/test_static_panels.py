"""A stored lesson shows each panel's figure and settings without a kernel: on GitHub, nbviewer, nbconvert's HTML
and in JupyterLab before Run All. Those skip a widget view whose state is not stored in the notebook, so the
course stores no widget state, and each panel's output carries a PNG of its default figure (settings printed
under it) and its settings and status as text, which nbval checks. Learners read no test markers: nbval's
markers are cell tags."""

import re

import nbformat
import pytest
from nbconvert import HTMLExporter

from conftest import lesson_notebooks

WIDGET = "application/vnd.jupyter.widget-view+json"
LESSONS = lesson_notebooks()


PANEL_CALL = re.compile(r"slider_panel\(|_panel\(")


def _panel_outputs(nb):
    """(cell, output) for each widget output of a cell that builds a panel (not, say, a progress bar)."""
    return [
        (c, o)
        for c in nb.cells
        if c.cell_type == "code" and PANEL_CALL.search(c.source)
        for o in c.get("outputs", [])
        if WIDGET in o.get("data", {})
    ]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_panel_output_has_a_figure_and_its_settings_and_no_widget_state_is_stored(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, (
        f"{path.name} stores widget state: re-execute it with "
        "--ExecutePreprocessor.store_widget_state=False (make notebooks)"
    )
    for cell, out in _panel_outputs(nb):
        first = cell.source.splitlines()[0]
        assert out["data"].get("image/png"), f"a panel in {path.name} ({first}) has no static figure"
        assert out["data"]["text/plain"].startswith("panel: "), f"{first}: {out['data']['text/plain'][:80]}"
        assert "nbval-ignore-output" not in cell.metadata.get("tags", []), (
            f"{first}: nbval should check the panel's settings and status"
        )


WIDGET_REPR = re.compile(r"^[A-Z]\w*\((value|children|description)=")  # ipywidgets' repr: VBox(children=(...


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_widget_output_reads_as_ipywidgets_repr_without_a_kernel(path):
    """Every widget output (panels, progress bars) carries text a static viewer shows in its place."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = "".join(out.get("data", {}).get("text/plain", ""))
            if WIDGET in out.get("data", {}):
                assert not WIDGET_REPR.match(text), f"{path.name}: {cell.source.splitlines()[0]} shows {text[:70]}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_learners_read_no_test_markers_and_no_duplicate_figures(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "NBVAL" not in cell.source, f"{path.name}: a test marker in learners' code: {cell.source[:60]}"
            assert ".image.value" not in cell.source, (
                f"{path.name}: a second copy of a panel's figure: {cell.source[:60]}"
            )


@pytest.mark.parametrize(
    "path", [p for p in LESSONS if _panel_outputs(nbformat.read(p, as_version=4))], ids=lambda p: p.stem
)
def test_the_html_export_shows_each_panel_s_figure_and_loads_no_widget_code(path):
    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert "unpkg.com" not in body and "html-manager" not in body, "the export loads widget code from a CDN"
    assert f'type="{WIDGET}"' not in body
    n_png = len(re.findall(r'<img [^>]*src="data:image/png;base64,', body))
    assert n_png == sum(
        1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ), "a figure, a panel's included, is missing"
