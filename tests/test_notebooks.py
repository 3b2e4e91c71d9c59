"""Every lesson runs headless under papermill with its defaults and with the other parameter set it declares in
its metadata (metadata.nncourse.test_parameters), and each keeps the conventions the course relies on."""
import difflib
import json
import pathlib
import re

import nbformat
import papermill
import pytest

import figure_audit
import perturb
from conftest import NOTEBOOKS, lesson_notebooks

TESTS = pathlib.Path(__file__).resolve().parent

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
    return [line.split("=")[0].split(":")[0].strip() for line in source.splitlines()
            if "=" in line and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_papermill_help_shows_a_type_and_a_description_for_every_parameter(path):
    """`papermill --help-notebook` reads `name: type = value  # description`: no parameter is 'Unknown type'."""
    found = papermill.inspect_notebook(str(path))
    source = next(c.source for c in nbformat.read(path, as_version=4).cells
                  if "parameters" in c.metadata.get("tags", []))
    assert list(found) == _parameter_names(source)
    for name, info in found.items():
        assert info["inferred_type_name"] in ("int", "float", "str", "bool", "tuple"), (name, info)
        assert len(info["help"]) > 10, f"{path.name}: parameter {name} has no description"
        default = eval(info["default"])   # the literal in the cell
        assert type(default).__name__ == info["inferred_type_name"], (name, info)


@pytest.mark.parametrize("variant", ["perturbed defaults", "other"])
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_under_papermill(path, variant, tmp_path):
    """With its other parameter set, and with its defaults while every training step is perturbed by a relative
    1e-12 (tests/perturb.py: a stand-in for another machine's BLAS kernel). The perturbed run must print exactly
    what the committed notebook shows: a number that changes is one a learner on another machine sees
    differently."""
    perturbed = variant == "perturbed defaults"
    params = {} if perturbed else _meta(path)["test_parameters"]
    src = path
    figures = tmp_path / "figures.jsonl"
    if perturbed:     # the defaults' run also audits every figure drawn (tests/figure_audit.py)
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(perturb.cell_source(TESTS) + "\n"
                                                     + figure_audit.cell_source(figures)))
        src = tmp_path / f"perturbed_{path.name}"
        nbformat.write(nb, src)
    out = tmp_path / path.name
    papermill.execute_notebook(str(src), str(out), parameters=params, cwd=str(NOTEBOOKS),
                               kernel_name="python3", execution_timeout=600, progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert bool(injected) == bool(params)
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.output_type != "error"
            assert not (o.output_type == "stream" and o.name == "stderr"), "".join(o.get("text", ""))[:200]
    if perturbed:
        changed = _changed_outputs(nbformat.read(path, as_version=4), nb.cells[1:])
        assert not changed, (f"{path.name}: outputs change when training is perturbed by a relative "
                             f"{perturb.EPS:g}, as on another machine:\n" + "\n".join(changed))
        illegible = figure_audit.report(figures, nb.cells)
        assert not illegible, f"{path.name}: figures break the course's figure rules:\n" + "\n".join(illegible)


def _text_outputs(cell):
    """What nbval compares in a cell, minus images: streams and text representations (a panel's is its settings
    and status), addresses masked."""
    texts = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            text = "".join(o.text)
            if texts and texts[-1].startswith(o.name + ": "):   # the kernel may split one print into chunks
                texts[-1] += text
            else:
                texts.append(o.name + ": " + text)
        elif o.output_type in ("execute_result", "display_data"):
            data = o.get("data", {})
            texts += [f"{k}: {data[k]}" for k in sorted(data) if k in ("text/plain", "text/html")]
    return [re.sub(r"0x[0-9a-fA-F]+", "0xADDRESS", t) for t in texts]


def _changed_outputs(committed, executed):
    """A line per code cell whose text outputs differ (cells nbval ignores are skipped)."""
    changed = []
    pairs = zip([c for c in committed.cells if c.cell_type == "code"],
                [c for c in executed if c.cell_type == "code"])
    for i, (old, new) in enumerate(pairs):
        if "NBVAL_IGNORE_OUTPUT" in old.source or "nbval-ignore-output" in old.metadata.get("tags", []):
            continue
        if _text_outputs(old) != _text_outputs(new):
            diff = difflib.unified_diff("".join(_text_outputs(old)).splitlines(),
                                        "".join(_text_outputs(new)).splitlines(), lineterm="", n=0)
            changed.append(f"code cell {i} ({old.source.splitlines()[0][:50]}):\n  " + "\n  ".join(list(diff)[2:12]))
    return changed
