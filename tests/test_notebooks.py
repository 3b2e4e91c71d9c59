"""Every lesson runs headless under papermill with its defaults and with the other parameter set it declares in
its metadata (metadata.nncourse.test_parameters), and each keeps the conventions the course relies on. In the
other run every parameter must reach what it names: a panel's setting shows the new value, or (a parameter no
panel shows) an output of a cell that uses it changes."""

import ast
import difflib
import json
import math
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
    return [
        line.split("=")[0].split(":")[0].strip()
        for line in source.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    ]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_papermill_help_shows_a_type_and_a_description_for_every_parameter(path):
    """`papermill --help-notebook` reads `name: type = value  # description`: no parameter is 'Unknown type'."""
    found = papermill.inspect_notebook(str(path))
    source = next(
        c.source for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])
    )
    assert list(found) == _parameter_names(source)
    for name, info in found.items():
        assert info["inferred_type_name"] in ("int", "float", "str", "bool", "tuple"), (name, info)
        assert len(info["help"]) > 10, f"{path.name}: parameter {name} has no description"
        default = eval(info["default"])  # the literal in the cell
        assert type(default).__name__ == info["inferred_type_name"], (name, info)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_test_parameters_change_every_parameter(path):
    """The other run sets every parameter to another value, and each panel setting a parameter reaches opens at
    the parameter's default in the committed notebook (so the 'other' run can see it arrive)."""
    defaults = {name: eval(info["default"]) for name, info in papermill.inspect_notebook(str(path)).items()}
    alt = _meta(path)["test_parameters"]
    missing = [name for name in defaults if name not in alt]
    assert not missing, f"{path.name}: test_parameters leaves {', '.join(missing)} at the default"
    same = [name for name in defaults if _literal(alt[name]) == defaults[name]]
    assert not same, f"{path.name}: test_parameters sets {', '.join(same)} to the default value"
    unknown = sorted(set(_meta(path).get("reaches", {})) - set(defaults))
    assert not unknown, f"{path.name}: metadata.nncourse.reaches names {', '.join(unknown)}, not parameters"
    panels = _panels(nbformat.read(path, as_version=4).cells)
    for name, value in defaults.items():
        for panel, setting in _targets(path, name, panels):
            shown = panels[panel].get(setting)
            if shown is None:
                continue  # a fixed setting (no control): the other run checks it
            assert _shows(shown, value), (
                f"{path.name}: {panel} opens at {setting} = {shown}, not at the default of {name} ({value!r})"
            )


_FIXED_PROBE = """import json
print(json.dumps({{name: {{k: repr(v) for k, v in getattr(eval(name), "fixed", {{}}).items()
                         if isinstance(v, (bool, int, float, str, tuple))}} for name in {names!r}}}))"""


def _literal(value):
    """A test parameter as the parameters cell writes it (JSON has lists where the cell has tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _panels(cells):
    """{panel: {setting: shown value}} for each code cell that displays a panel (its output's text is
    `panel: name = value, ...`); a panel is named by the cell's last line, the expression displayed."""
    panels = {}
    for c in cells:
        for o in c.get("outputs", []) if c.cell_type == "code" else []:
            text = "".join(o.get("data", {}).get("text/plain", ""))
            if text.startswith("panel: "):
                line = text.splitlines()[0][len("panel: ") :]
                pairs = re.split(r", (?=\w+ = )", line)
                panels[c.source.strip().splitlines()[-1].strip()] = dict(p.split(" = ", 1) for p in pairs)
    return panels


def _targets(path, name, panels):
    """[(panel, setting)] that parameter `name` sets: metadata.nncourse.reaches[name] (a setting, `panel.setting`
    or a list of them; [] for none), else every panel setting of the same name. `panels` as _panels gives,
    perhaps with each panel's fixed settings (no control) added."""
    given = _meta(path).get("reaches", {}).get(name)
    if given is None:
        return [(panel, name) for panel, settings in panels.items() if name in settings]
    out = []
    for target in [given] if isinstance(given, str) else given:
        panel, _, setting = target.rpartition(".")
        out += [(panel, setting)] if panel else [(p, setting) for p, s in panels.items() if setting in s]
    assert out or given == [], f"{path.name}: reaches maps {name} to {given!r}, which no panel has"
    return out


def _shows(shown, value):
    """Whether a panel's shown setting (a slider's readout to 3 figures, a menu's repr) is `value`."""
    try:
        got = ast.literal_eval(shown)
    except (ValueError, SyntaxError):
        return False
    if isinstance(value, bool) or isinstance(got, bool):
        return got is value
    if isinstance(value, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, value, rel_tol=5e-3)
    return got == value


def _unreached_parameters(path, executed, params):
    """A line for each parameter of the other run that does not arrive: a panel setting it reaches does not show
    its value, or (a parameter that no panel shows) no cell that uses it prints anything different."""
    committed = nbformat.read(path, as_version=4)
    cells = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    cells, probe = cells[:-1], json.loads("".join(cells[-1].outputs[0].text))  # _FIXED_PROBE's output
    old_panels, new_panels = _panels(committed.cells), _panels(cells)
    for panel, fixed in probe.items():
        old_panels[panel] = {**fixed, **old_panels[panel]}
        new_panels[panel] = {**fixed, **new_panels[panel]}
    changed = _changed_cells(committed, cells)
    problems = []
    for name, value in params.items():
        value = _literal(value)
        targets = _targets(path, name, old_panels)
        for panel, setting in targets:
            shown = new_panels.get(panel, {}).get(setting)
            if not _shows(str(shown), value):
                problems.append(
                    f"{path.name}: parameter {name} = {value!r} does not reach {panel}: its {setting} is {shown}"
                )
        if not targets:
            users = _cells_using(committed, name)
            if not set(users) & changed:
                problems.append(
                    f"{path.name}: parameter {name} = {value!r} reaches nothing: no output of the "
                    f"code cells that use it ({', '.join(map(str, users)) or 'none'}) changes"
                )
    return problems


def _code(cells):
    return [c for c in cells if c.cell_type == "code"]


def _changed_cells(committed, executed):
    """Indices of the code cells whose text outputs differ (cells nbval ignores are skipped)."""
    return {
        i
        for i, (old, new) in enumerate(zip(_code(committed.cells), _code(executed)))
        if not ("NBVAL_IGNORE_OUTPUT" in old.source or "nbval-ignore-output" in old.metadata.get("tags", []))
        and _text_outputs(old) != _text_outputs(new)
    }


def _cells_using(nb, name):
    """Indices of the code cells that read `name`, or a name last assigned in a cell that does (a static trace of
    the names each cell reads and assigns, from the parameters cell on; a name a cell assigns counts as its own)."""
    traced, users = {name}, []
    code = _code(nb.cells)
    start = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    for i, c in enumerate(code[start + 1 :], start + 1):
        names = [n for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.Name)]
        stored = {n.id for n in names if isinstance(n.ctx, ast.Store)}
        if traced & ({n.id for n in names if isinstance(n.ctx, ast.Load)} - stored):
            users.append(i)
            traced |= stored
        else:
            traced -= stored  # assigned anew from what does not depend on `name`
    return users


@pytest.mark.parametrize("variant", ["perturbed defaults", "other"])
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_under_papermill(path, variant, tmp_path):
    """With its other parameter set, and with its defaults while every training step is perturbed by a relative
    1e-12 (tests/perturb.py: a stand-in for another machine's BLAS kernel). The perturbed run must print exactly
    what the committed notebook shows: a number that changes is one a learner on another machine sees
    differently. In the other run every parameter must arrive: each panel setting it reaches (a control's shown
    value, or a fixed setting) is its new value; a parameter that reaches no panel setting changes an output of
    a cell that uses it."""
    perturbed = variant == "perturbed defaults"
    params = {} if perturbed else _meta(path)["test_parameters"]
    src = path
    figures = tmp_path / "figures.jsonl"
    if perturbed:  # the defaults' run also audits every figure drawn (tests/figure_audit.py)
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(
            0, nbformat.v4.new_code_cell(perturb.cell_source(TESTS) + "\n" + figure_audit.cell_source(figures))
        )
        src = tmp_path / f"perturbed_{path.name}"
        nbformat.write(nb, src)
    else:  # the other run ends by printing the panels' fixed settings (no control), for the check
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(_FIXED_PROBE.format(names=list(_panels(nb.cells)))))
        src = tmp_path / f"other_{path.name}"
        nbformat.write(nb, src)
    out = tmp_path / path.name
    papermill.execute_notebook(
        str(src),
        str(out),
        parameters=params,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        execution_timeout=600,
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert bool(injected) == bool(params)
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.output_type != "error"
            assert not (o.output_type == "stream" and o.name == "stderr"), "".join(o.get("text", ""))[:200]
    if not perturbed:  # every parameter arrives (see _unreached_parameters)
        unreached = _unreached_parameters(path, nb, params)
        assert not unreached, "\n".join(unreached)
    else:
        changed = _changed_outputs(nbformat.read(path, as_version=4), nb.cells[1:])
        assert not changed, (
            f"{path.name}: outputs change when training is perturbed by a relative "
            f"{perturb.EPS:g}, as on another machine:\n" + "\n".join(changed)
        )
        illegible = figure_audit.report(figures, nb.cells)
        assert not illegible, f"{path.name}: figures break the course's figure rules:\n" + "\n".join(illegible)


def _text_outputs(cell):
    """What nbval compares in a cell, minus images: streams and text representations (a panel's is its settings
    and status), addresses masked."""
    texts = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            text = "".join(o.text)
            if texts and texts[-1].startswith(o.name + ": "):  # the kernel may split one print into chunks
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
    pairs = zip([c for c in committed.cells if c.cell_type == "code"], [c for c in executed if c.cell_type == "code"])
    for i, (old, new) in enumerate(pairs):
        if "NBVAL_IGNORE_OUTPUT" in old.source or "nbval-ignore-output" in old.metadata.get("tags", []):
            continue
        if _text_outputs(old) != _text_outputs(new):
            diff = difflib.unified_diff(
                "".join(_text_outputs(old)).splitlines(), "".join(_text_outputs(new)).splitlines(), lineterm="", n=0
            )
            changed.append(f"code cell {i} ({old.source.splitlines()[0][:50]}):\n  " + "\n  ".join(list(diff)[2:12]))
    return changed
