"""The package's shape: `import nncourse` stays light, the import contract holds and can fail, and argument checks
live in core/_validate.py."""

import ast
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
PACKAGE = LIB / "nncourse"
LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")


def _env(pythonpath):
    return {**os.environ, "PYTHONPATH": str(pythonpath)}


def test_import_nncourse_loads_neither_plotting_nor_widgets():
    code = "import sys, nncourse; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(LIB), cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def _importlinter_sections(pyproject):
    """The [tool.importlinter] table and its [[tool.importlinter.contracts]], as text, from a pyproject.toml."""
    kept, keep = [], False
    for line in pyproject.splitlines():
        if line.startswith("["):
            keep = line.lstrip("[").startswith("tool.importlinter")
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _lint_imports(cwd, lib):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=_env(lib), capture_output=True, text=True, timeout=300
    )


needs_lint_imports = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


@needs_lint_imports
def test_the_import_contract_holds():
    result = _lint_imports(ROOT, LIB)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@needs_lint_imports
def test_an_upward_import_breaks_the_import_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "lib" / "nncourse", ignore=shutil.ignore_patterns("__pycache__"))
    losses = tmp_path / "lib" / "nncourse" / "core" / "losses.py"
    losses.write_text("from nncourse.panels import slider_panel  # noqa: F401\n" + losses.read_text())
    sections = _importlinter_sections((ROOT / "pyproject.toml").read_text())
    assert 'name = "Layers import only downward"' in sections
    (tmp_path / "pyproject.toml").write_text(sections)
    result = _lint_imports(tmp_path, tmp_path / "lib")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Layers import only downward BROKEN" in result.stdout
    assert "nncourse.core.losses -> nncourse.panels" in result.stdout


def _raised_name(node):
    """The name of the exception class a `raise X(...)` / `raise mod.X(...)` raises, else None."""
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if isinstance(exc, ast.Attribute):
        return exc.attr
    return exc.id if isinstance(exc, ast.Name) else None


def test_no_check_helper_outside_validate_raises_an_input_error():
    """Argument checks live in core/_validate.py: a `_check*` helper elsewhere that raises InputError or
    InputTypeError is a check that belongs there."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "core" / "_validate.py":
            continue
        for fn in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.name.startswith("_check"):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Raise) and _raised_name(node) in ("InputError", "InputTypeError"):
                    offenders.append(f"{path.relative_to(LIB)}:{node.lineno} in {fn.name}")
    assert offenders == [], "move these checks into nncourse/core/_validate.py: " + ", ".join(offenders)
