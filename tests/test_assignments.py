"""The graded assignments (`make assignments`, scripts/build_assignments.py) under nbgrader itself.

Lesson 01's assignment is built into a temporary course, `nbgrader generate_assignment` releases it, and
`nbgrader autograde` (a temporary sqlite gradebook) grades three learners' submissions: the solutions (full
marks), the released notebook unchanged (zero), and the solutions with one exercise replaced by a known mistake
(loses exactly that exercise's points). The scores are read back with nbgrader's Gradebook API. Every other
lesson's assignment is built and released too, and each exercise's source and released cells are run
in-process against its check (no kernels). Needs nbgrader (requirements-grading.txt); skips otherwise.
"""

import importlib.util
import textwrap

import nbformat
import pytest

from conftest import ROOT
from nncourse import exercises

NBGRADER = importlib.util.find_spec("nbgrader") is not None
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not NBGRADER,
        reason="nbgrader is not installed: .venv/bin/pip install -r "
        "requirements-grading.txt, or run make assignments once",
    ),
]

spec = importlib.util.spec_from_file_location("build_assignments", ROOT / "scripts" / "build_assignments.py")
build_assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_assignments)

LESSON = "lesson01"
STUB = "raise NotImplementedError  # your code here"
# The known mistake of student (c): tanh's slope without the square (one of lesson 01's known mistakes).
MISTAKE = ("tanh_derivative", "def tanh_derivative(a):\n    return 1 - a\n")


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return nb, {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def _nbgrader_ok(args, course):
    done = build_assignments.nbgrader(args, course)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Lesson 01's course, released, with three submissions autograded: (course folder, db url)."""
    course = tmp_path_factory.mktemp("course")
    db = f"sqlite:///{course / 'grades.sqlite'}"
    assert build_assignments.build(course, only=[1], generate=False, log=lambda *_: None) == [LESSON]
    _nbgrader_ok(["generate_assignment", LESSON, "--force", f"--db={db}"], course)

    released, release_cells = _cells(course / "release" / LESSON / f"{LESSON}.ipynb")
    _, source_cells = _cells(course / "source" / LESSON / f"{LESSON}.ipynb")

    def submit(student, answers):
        nb = nbformat.from_dict(nbformat.from_dict(released))  # a copy of the released notebook
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")

    names = exercises.names(lesson=1)
    solutions = {n: source_cells[n].source for n in names}
    submit("solutions", solutions)
    submit("stubs", {})
    submit("one_mistake", {**solutions, MISTAKE[0]: MISTAKE[1]})
    assert all(STUB in release_cells[n].source for n in names)
    _nbgrader_ok(["autograde", LESSON, "--force", f"--db={db}"], course)
    return course, db


def _scores(db, student):
    from nbgrader.api import Gradebook

    with Gradebook(db) as gb:
        sub = gb.find_submission(LESSON, student)
        cells = {n: gb.find_grade(f"check_{n}", LESSON, LESSON, student).score for n in exercises.names(lesson=1)}
        return sub.score, sub.max_score, cells


def test_the_solutions_get_full_marks(graded):
    _, db = graded
    score, max_score, cells = _scores(db, "solutions")
    assert max_score == len(exercises.names(lesson=1)) * build_assignments.POINTS
    assert score == max_score, cells


def test_the_released_stubs_score_zero(graded):
    _, db = graded
    score, max_score, cells = _scores(db, "stubs")
    assert max_score > 0
    assert score == 0, cells


def test_one_known_mistake_loses_exactly_its_points(graded):
    course, db = graded
    score, max_score, cells = _scores(db, "one_mistake")
    wrong = MISTAKE[0]
    assert cells[wrong] == 0
    assert all(cells[n] == build_assignments.POINTS for n in cells if n != wrong), cells
    assert score == max_score - build_assignments.POINTS
    # the learner's feedback is the lesson's: the autograded check cell shows the mistake's hint
    _, autograded = _cells(course / "autograded" / "one_mistake" / LESSON / f"{LESSON}.ipynb")
    errors = [o for o in autograded[f"check_{wrong}"].outputs if o.output_type == "error"]
    ns = {}
    exec(MISTAKE[1], ns)
    verdict = exercises.check(wrong, ns[wrong])
    assert verdict.mistake, "the mistake of student (c) should be one the exercise recognises"
    assert errors and errors[0].ename == "AssertionError" and verdict.message in errors[0].evalue


def _run_cells(cells, *ids):
    """Run the given cells' sources in one fresh namespace (as a kernel would, without one)."""
    ns = {}
    for gid in ids:
        exec(compile(cells[gid].source, f"<{gid}>", "exec"), ns)
    return ns


def test_every_lesson_with_exercises_builds_and_releases(tmp_path):
    """Whatever exercises exist now: one assignment per lesson, each exercise a solution cell whose code passes
    its check and a check cell with points; the released cell is the stub, 'not attempted yet', no solution left."""
    built = build_assignments.build(tmp_path, log=lambda *_: None)  # runs nbgrader generate_assignment
    by_lesson = {}
    for name in exercises.names():
        by_lesson.setdefault(exercises.get(name).lesson, []).append(name)
    assert built == [f"lesson{n:02d}" for n in sorted(by_lesson)]
    assert "lesson01" in built and by_lesson[1][:3] == ["sigmoid_derivative", "tanh_derivative", "neuron_step"]
    assert (tmp_path / "nbgrader_config.py").read_text() == (ROOT / "grading" / "nbgrader_config.py").read_text()
    for lesson, names in by_lesson.items():
        a = f"lesson{lesson:02d}"
        src_nb, src = _cells(tmp_path / "source" / a / f"{a}.ipynb")
        rel_nb, rel = _cells(tmp_path / "release" / a / f"{a}.ipynb")
        assert src_nb.cells[0].source.startswith("# Graded exercises")
        order = [c.metadata["nbgrader"]["grade_id"] for c in src_nb.cells if c.metadata["nbgrader"].get("solution")]
        assert order == names
        setup = [f"{a}_imports"] if f"{a}_imports" in src else []
        for name in names:
            grade = src[f"check_{name}"].metadata["nbgrader"]
            assert grade["grade"] and grade["points"] == build_assignments.POINTS and grade["locked"]
            assert f"exercises.check({name!r}, {name})" in src[f"check_{name}"].source
            assert src[name].metadata["nbgrader"]["solution"]
            assert "### BEGIN SOLUTION" in src[name].source and "### END SOLUTION" in src[name].source
            assert exercises.check(name, _run_cells(src, *setup, name)[name]).passed, name
            assert "SOLUTION" not in rel[name].source and STUB in rel[name].source
            verdict = exercises.check(name, _run_cells(rel, *setup, name)[name])
            assert not verdict.passed and not verdict.attempted, (name, verdict)


def test_the_solution_comes_from_the_solutions_file_with_its_helpers(tmp_path):
    """A solution that uses a module-level helper gets the helper inside its solution region (hidden from the
    learners); one whose solution is missing stops the build with the exercise's name."""
    folder = tmp_path / "solutions"
    folder.mkdir()
    (folder / "lesson01.py").write_text(
        textwrap.dedent('''\
        import numpy as np

        SQUARE = 2


        def _one_minus(a):
            return 1 - a


        def sigmoid_derivative(a):
            # the output times its distance to 1
            return a * _one_minus(a)


        def tanh_derivative(a):
            """1 - a squared."""
            return 1 - np.power(a, SQUARE)
        ''')
    )
    with pytest.raises(build_assignments.BuildError, match="neuron_step"):
        build_assignments.build(tmp_path / "course", only=[1], generate=False, solutions=folder)
    neuron_step = (ROOT / "solutions" / "lesson01.py").read_text().split("def neuron_step", 1)[1]
    with open(folder / "lesson01.py", "a") as f:
        f.write("\n\ndef neuron_step" + neuron_step)
    build_assignments.build(tmp_path / "course", only=[1], generate=False, solutions=folder, log=lambda *_: None)
    _, src = _cells(tmp_path / "course" / "source" / "lesson01" / "lesson01.ipynb")
    cell = src["sigmoid_derivative"].source
    begin = cell.index("### BEGIN SOLUTION")
    assert cell.index("def _one_minus") > begin and cell.index("# the output times") > begin
    assert '"""The sigmoid' in cell[:begin]  # the docstring of the reference, before the region
    assert "SQUARE = 2" in src["tanh_derivative"].source.split("### BEGIN SOLUTION")[1]
    assert '"""1 - a squared."""' in src["tanh_derivative"].source.split("### BEGIN SOLUTION")[0]
    assert "import numpy as np" in src["lesson01_imports"].source
    for name in ("sigmoid_derivative", "tanh_derivative", "neuron_step"):
        assert exercises.check(name, _run_cells(src, "lesson01_imports", name)[name]).passed
