"""Build the course's exercises as an nbgrader course: one graded assignment per lesson that has exercises.

    .venv/bin/python scripts/build_assignments.py                      # into build/assignments/ (`make assignments`)
    .venv/bin/python scripts/build_assignments.py --out /tmp/course --lesson 1
    .venv/bin/python scripts/build_assignments.py --no-generate        # source notebooks only, no nbgrader needed

For every lesson NN with exercises (`nncourse.exercises.names()`, in lesson order) it writes
`<out>/source/lessonNN/lessonNN.ipynb`: a title cell, a read-only cell with the imports of solutions/lessonNN.py,
then per exercise a read-only markdown cell (its title and what to write), an nbgrader solution cell (the
exercise's signature and docstring, then the instructors' solution from solutions/lessonNN.py, read with
inspect, between `### BEGIN SOLUTION` and `### END SOLUTION`) and a read-only nbgrader autograder cell worth
POINTS that runs the lesson's own check (`assert exercises.check(name, fn).passed`). It copies
grading/nbgrader_config.py to `<out>/nbgrader_config.py` (the stub text `raise NotImplementedError  # your
code here`, as in the lessons) and runs `nbgrader generate_assignment lessonNN --force` in `<out>`, which writes
the learners' version to `<out>/release/lessonNN/lessonNN.ipynb` and records the assignment in
`<out>/gradebook.db`.

Before writing anything it checks that every exercise has a solution and that each solution passes its check:
a source notebook whose own solutions fail would grade every learner against a broken key.
"""

import argparse
import ast
import importlib.util
import inspect
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import nbformat

from nncourse import exercises

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
CONFIG = ROOT / "grading" / "nbgrader_config.py"
POINTS = 1  # per exercise, unless an Exercise carries its own `points`
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class BuildError(Exception):
    """A problem with the course's exercises or solutions, in one line for the instructor."""


def assignment_name(lesson):
    return f"lesson{lesson:02d}"


def lessons():
    """{lesson number: [exercise names in lesson order]} for every lesson that has exercises."""
    out = {}
    for name in exercises.names():
        out.setdefault(exercises.get(name).lesson, []).append(name)
    return out


def load_solutions(lesson, folder=SOLUTIONS):
    """The module solutions/lessonNN.py, imported from its file (the folder need not be on sys.path)."""
    path = pathlib.Path(folder) / f"{assignment_name(lesson)}.py"
    if not path.exists():
        raise BuildError(f"lesson {lesson:02d} has exercises but no solutions file {path}")
    spec = importlib.util.spec_from_file_location(f"_nncourse_solutions_{assignment_name(lesson)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- source code of a solution -----------------------------------------------------------------------------


def _function_node(source):
    tree = ast.parse(source)
    funcs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not funcs:
        raise BuildError(f"not a function definition:\n{source}")
    return funcs[0]


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _split_function(fn):
    """(header lines, docstring lines or None, body lines) of fn's source, dedented, as written in its file."""
    source = textwrap.dedent(inspect.getsource(fn))
    lines = source.splitlines()
    node = _function_node(source)
    first = node.body[0]
    if first.lineno == node.lineno:  # `def f(a): return a`: no body lines of its own
        raise BuildError(f"{fn.__name__}: write the body on its own lines, not on the `def` line")
    header = lines[node.lineno - 1 : first.lineno - 1]
    lead = []  # comments between the signature and the first statement
    while header and (not header[-1].strip() or header[-1].lstrip().startswith("#")):
        lead.insert(0, header.pop())
    doc = None
    if _is_docstring(first):
        doc = lines[first.lineno - 1 : first.end_lineno]
        if len(node.body) == 1:
            raise BuildError(f"{fn.__name__}: the solution has only a docstring")
        body = lines[first.end_lineno : node.end_lineno]
    else:
        body = lead + lines[first.lineno - 1 : node.end_lineno]
    return header, doc, body, first.col_offset


def _reindent(line, col, indent):
    """A line of source indented by `col`, moved to `indent` (blank lines stay empty)."""
    if not line.strip():
        return ""
    return " " * indent + line[col:] if line[:col].strip() == "" else line


def _docstring_lines(fn, indent):
    """fn's docstring as source lines at `indent`, copied as written (None if it has none)."""
    try:
        _, doc, _, col = _split_function(fn)
    except (OSError, TypeError, BuildError):
        doc = None
    if doc:
        return [_reindent(line, col, indent) for line in doc]
    text = inspect.getdoc(fn)
    if not text:
        return None
    quoted = f'"""{text}"""'.splitlines()
    return [" " * indent + line if line else "" for line in quoted]


def _free_module_names(node):
    """Names a function reads that it does not bind itself (arguments, assignments, nested defs)."""
    bound = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    used = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (bound if isinstance(n.ctx, (ast.Store, ast.Del)) else used).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not node:
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
    return used - bound


def _module_parts(module):
    """(import statements, {name: source of the top-level def/class/assignment that defines it}) of a module."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    imports, defs = [], {}
    for node in ast.parse(source).body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "\n".join(lines[start - 1 : node.end_lineno])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = (text, node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        defs[n.id] = (text, node)
    return imports, defs


def _helpers(fn, module):
    """Source of the module-level helpers (functions, classes, constants) fn needs, in file order,
    found transitively. They go inside the solution region, so the learners' version shows none of them."""
    _, defs = _module_parts(module)
    need, todo = [], [_function_node(textwrap.dedent(inspect.getsource(fn)))]
    seen = {fn.__name__}
    while todo:
        node = todo.pop()
        names = (
            _free_module_names(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            else {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        )
        for name in sorted(names):
            if name in defs and name not in seen:
                seen.add(name)
                text, dnode = defs[name]
                if text not in need:
                    need.append(text)
                todo.append(dnode)
    order = list(dict.fromkeys(text for text, _ in defs.values()))
    return sorted(need, key=order.index)


def solution_cell_source(name, solution, module):
    """The solution cell: signature and docstring, then the solution between nbgrader's markers."""
    header, doc, body, col = _split_function(solution)
    pad = " " * col
    if doc is None:
        doc = _docstring_lines(exercises.get(name).reference, col)
    else:
        doc = [_reindent(line, col, col) for line in doc]
    inner = []
    for helper in _helpers(solution, module):
        inner += [pad + line if line.strip() else "" for line in helper.splitlines()]
    inner += body
    out = header + (doc or []) + [pad + BEGIN] + inner + [pad + END]
    return "\n".join(out)


# --- the notebook ------------------------------------------------------------------------------------------


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def lesson_title(lesson):
    """The lesson's heading ('01 · Neurons') from its notebook, and the notebook's file name."""
    found = sorted(NOTEBOOKS.glob(f"{lesson:02d}_*.ipynb"))
    if not found:
        return f"{lesson:02d}", None
    nb = json.loads(found[0].read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).strip().splitlines()[0]
            return first.lstrip("#").strip(), found[0].name
    return f"{lesson:02d}", found[0].name


def _signature(solution):
    return f"{solution.__name__}{inspect.signature(solution)}"


def build_notebook(lesson, names, module):
    title, notebook = lesson_title(lesson)
    total = sum(getattr(exercises.get(n), "points", POINTS) for n in names)
    where = f" (`notebooks/{notebook}`)" if notebook else ""
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# Graded exercises · {title}\n\n"
            f"The exercises of lesson {lesson:02d}{where}, graded: {len(names)} function"
            f"{'s' if len(names) != 1 else ''} to complete, {total} point{'s' if total != 1 else ''} in all.\n\n"
            "In each exercise, replace the line `raise NotImplementedError  # your code here` by your code, then "
            "run the cell after it: it runs the lesson's own check and says what is wrong, with a hint. Before you "
            "submit, restart the kernel and run all cells (*Kernel → Restart Kernel and Run All Cells*): a cell "
            "that fails there scores zero. Do not change the check cells; they are replaced by the original ones "
            "when your work is graded.",
            metadata=_meta(f"{assignment_name(lesson)}_title", locked=True),
        )
    ]
    imports, _ = _module_parts(module)
    if imports:
        cells.append(
            nbformat.v4.new_code_cell(
                "\n".join(imports), metadata=_meta(f"{assignment_name(lesson)}_imports", locked=True)
            )
        )
    for i, name in enumerate(names, 1):
        ex = exercises.get(name)
        solution = getattr(module, name)
        points = getattr(ex, "points", POINTS)
        summary = (inspect.getdoc(solution) or inspect.getdoc(ex.reference) or "").split("\n\n")[0]
        quoted = "".join(f"\n> {line}" for line in summary.splitlines())
        cells.append(
            nbformat.v4.new_markdown_cell(
                f"## {i}. {ex.title}\n\n"
                f"Complete `{_signature(solution)}` in the next cell:\n{quoted}\n\n"
                f"*{points} point{'s' if points != 1 else ''}*, when the check cell after it passes.",
                metadata=_meta(f"{name}_task", locked=True),
            )
        )
        cells.append(
            nbformat.v4.new_code_cell(solution_cell_source(name, solution, module), metadata=_meta(name, solution=True))
        )
        cells.append(
            nbformat.v4.new_code_cell(
                f"from nncourse import exercises\nv = exercises.check({name!r}, {name})\nassert v.passed, v.message\nv",
                metadata=_meta(f"check_{name}", grade=True, locked=True, points=points),
            )
        )
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


# --- the course --------------------------------------------------------------------------------------------


def check_solutions(plan):
    """Every exercise has a solution that passes its own check (BuildError listing every problem if not)."""
    problems = []
    for lesson, (names, module) in plan.items():
        for name in names:
            solution = getattr(module, name, None)
            if not callable(solution):
                problems.append(f"{name}: no function {name} in solutions/{assignment_name(lesson)}.py")
                continue
            verdict = exercises.check(name, solution)
            if not verdict.passed:
                problems.append(
                    f"{name}: the solution in solutions/{assignment_name(lesson)}.py fails its check: {verdict.message}"
                )
    if problems:
        raise BuildError("cannot build the assignments:\n  " + "\n  ".join(problems))


def nbgrader_env():
    """The environment for nbgrader: this Python's bin folder first on PATH (nbgrader runs `alembic` for its
    database, and autograding starts the `python` of the python3 kernel), even when .venv is not activated."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return env


def nbgrader(args, course):
    """Run `nbgrader ARGS` in the course folder with this Python; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, env=nbgrader_env()
    )


def build(out, only=None, generate=True, solutions=SOLUTIONS, log=print):
    """Build the course into `out`; returns the assignment names built, in lesson order."""
    out = pathlib.Path(out).resolve()
    found = lessons()
    wanted = sorted(found) if not only else sorted(set(only))
    missing = [n for n in wanted if n not in found]
    if missing:
        raise BuildError(
            f"no exercises in lesson(s) {', '.join(f'{n:02d}' for n in missing)}; lessons with "
            f"exercises: {', '.join(f'{n:02d}' for n in sorted(found)) or 'none'}"
        )
    plan = {lesson: (found[lesson], load_solutions(lesson, solutions)) for lesson in wanted}
    check_solutions(plan)
    if generate and importlib.util.find_spec("nbgrader") is None:
        raise BuildError(
            "nbgrader is not installed: .venv/bin/pip install -r requirements-grading.txt "
            "(make assignments does it), or pass --no-generate for the source notebooks only"
        )
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG, out / "nbgrader_config.py")
    built = []
    if not only:  # every lesson: drop the folders of lessons that have no exercises now
        keep = {assignment_name(lesson) for lesson in plan}
        for kind in ("source", "release"):
            for folder in sorted((out / kind).glob("lesson[0-9][0-9]")):
                if folder.name not in keep:
                    shutil.rmtree(folder)
                    log(f"removed {kind}/{folder.name} (no exercises in that lesson now)")
    for lesson, (names, module) in plan.items():
        name = assignment_name(lesson)
        folder = out / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(build_notebook(lesson, names, module), folder / f"{name}.ipynb")
        log(f"source/{name}/{name}.ipynb: {len(names)} exercises ({', '.join(names)})")
        built.append(name)
    if generate:
        # One nbgrader run for the whole course when source/ holds exactly the assignments built (nbgrader takes
        # a glob for the assignment: one start-up instead of one per lesson), else one run per assignment.
        whole = sorted(p.name for p in (out / "source").iterdir() if p.is_dir()) == sorted(built)
        for target in ["*"] if whole and len(built) > 1 else built:
            done = nbgrader(["generate_assignment", target, "--force"], out)
            if done.returncode != 0:
                raise BuildError(f"nbgrader generate_assignment {target} failed:\n{done.stdout}{done.stderr}")
        for name in built:
            if not (out / "release" / name / f"{name}.ipynb").exists():
                raise BuildError(f"nbgrader generate_assignment wrote no release/{name}/{name}.ipynb")
            log(f"release/{name}/{name}.ipynb")
    return built


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "build" / "assignments"), help="the nbgrader course folder")
    ap.add_argument(
        "--lesson",
        type=int,
        action="append",
        help="only this lesson (repeatable); default: every lesson with exercises",
    )
    ap.add_argument(
        "--no-generate",
        action="store_true",
        help="write the source notebooks only; do not run nbgrader generate_assignment",
    )
    args = ap.parse_args(argv)
    try:
        built = build(args.out, args.lesson, generate=not args.no_generate)
    except BuildError as err:
        sys.exit(f"build_assignments: {err}")
    print(f"{len(built)} assignment(s) in {args.out}: {', '.join(built)}")


if __name__ == "__main__":
    main()
