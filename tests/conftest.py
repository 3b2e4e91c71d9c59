"""Shared test helpers: where things are, and a notebook's prose for checking stated numbers."""

import json
import math
import pathlib

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # plain unit tests only; notebook kernels keep their inline backend

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def pytest_report_header(config):
    """Which BLAS kernel this run uses (scripts/portability.py runs the suite once per kernel)."""
    try:
        import threadpoolctl

        info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        return f"BLAS: {info[0].get('internal_api')} {info[0].get('version')}, kernel {info[0].get('architecture')}"
    except Exception as err:  # the header is information only
        return f"BLAS kernel unknown ({err})"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def lesson_notebooks():
    """Every numbered lesson that has a papermill parameters cell (the start page has none)."""
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"]):
            out.append(path)
    return out


def notebook_markdown(name):
    """All markdown text of notebooks/<name>, joined: tests check that each number the prose states is the
    number the library computes."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def notebook_outputs(name):
    """All text the code cells of notebooks/<name> printed (stream outputs), joined: some tests check that a
    stored output shows the number the test recomputes."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    return "\n".join(
        "".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
    )


def notebook_parameters(name):
    """The values assigned in the cell of notebooks/<name> tagged 'parameters': the settings the prose's
    numbers were computed with."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    namespace = {}
    exec("".join(cell["source"]), namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def assert_stated(prose, *literals):
    """Each literal appears, as written, in the lesson's prose."""
    for literal in literals:
        assert literal in prose, f"the lesson's prose should state {literal!r}"


def stated_value(prose, value, fmt=".4g"):
    """`value` formatted as the prose writes it; asserts the prose states it. Returns the text."""
    text = format(value, fmt)
    assert_stated(prose, text)
    return text


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(1234)


def rounded(v, sig=3):
    """`v` to `sig` significant figures as the prose writes it: 84.88 -> '84.9', 1288 -> '1290', 0.6931 -> '0.693',
    13.0 -> '13.0', 0.5 -> '0.5' (a value that needs fewer figures keeps them), 6.913e-18 -> '6.91e-18' (outside
    1e-4 .. 1e6: Python's exponent notation)."""
    v = float(v)
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)))
    if not -4 <= e < 6:
        return format(v, f".{sig}g")
    exact = float(f"{v:.{sig}g}") == v
    return np.format_float_positional(
        v, precision=sig, unique=False, fractional=False, trim="-" if exact else "k"
    ).rstrip(".")


def said(md, v, sig=3):
    """The prose states `v` rounded to `sig` figures; returns the text."""
    text = rounded(v, sig)
    assert text in md, f"the lesson's prose should state {text!r} (from {v!r})"
    return text
