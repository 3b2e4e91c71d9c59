"""Every lesson runs headless under papermill with its defaults and with the other parameter set it declares in
its metadata (metadata.nncourse.test_parameters), and each keeps the conventions the course relies on."""
import json

import nbformat
import papermill
import pytest

from conftest import NOTEBOOKS, lesson_notebooks

LESSONS = lesson_notebooks()


def _meta(path):
    return json.loads(path.read_text(encoding="utf-8"))["metadata"].get("nncourse", {})


def test_lessons_exist():
    assert len(LESSONS) >= 2, "the course has at least the first two lessons"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_conventions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert "seed" in params[0].source, "the parameters cell holds the seed"
    assert all(c.execution_count is not None for c in code if c.source.strip()), "committed executed"
    counts = [c.execution_count for c in code if c.execution_count is not None]
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in one fresh kernel"
    for c in code:
        for out in c.get("outputs", []):
            assert out.output_type != "error", f"stored error in cell: {c.source[:60]}"
            assert not (out.output_type == "stream" and out.name == "stderr"), f"stderr in: {c.source[:60]}"
        assert len(c.source.splitlines()) <= 20, f"cell longer than 20 lines belongs in the library:\n{c.source}"
    alt = _meta(path).get("test_parameters")
    assert alt, "metadata.nncourse.test_parameters names another parameter set for the papermill test"
    assert set(alt) <= set(_parameter_names(params[0].source)), "test parameters are parameters of the lesson"


def _parameter_names(source):
    return [line.split("=")[0].strip() for line in source.splitlines()
            if "=" in line and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("variant", ["defaults", "other"])
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_under_papermill(path, variant, tmp_path):
    params = {} if variant == "defaults" else _meta(path)["test_parameters"]
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=params, cwd=str(NOTEBOOKS),
                               kernel_name="python3", execution_timeout=600, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert bool(injected) == bool(params)
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.output_type != "error"
            assert not (o.output_type == "stream" and o.name == "stderr"), "".join(o.get("text", ""))[:200]
