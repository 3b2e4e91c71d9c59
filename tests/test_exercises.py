"""Every exercise: its solution passes, a stub is 'not attempted yet', each known mistake gets its hint, a
function that raises gets its error in one line, and a check takes well under a second."""

import importlib
import time

import numpy as np
import pytest

from conftest import ROOT
from nncourse import exercises

NAMES = exercises.names()


def _solution(name):
    ex = exercises.get(name)
    module = importlib.import_module(f"solutions.lesson{ex.lesson:02d}")
    return getattr(module, name)


@pytest.fixture(autouse=True, scope="module")
def _solutions_importable():
    import sys

    sys.path.insert(0, str(ROOT))
    yield
    sys.path.remove(str(ROOT))


def test_at_least_three_exercises_per_lesson_in_lesson_order():
    lessons = [exercises.get(n).lesson for n in NAMES]
    assert lessons == sorted(lessons)
    counts = {k: lessons.count(k) for k in set(lessons)}
    assert all(counts.get(k, 0) >= 3 for k in range(1, 10)), counts
    assert len(NAMES) >= 27


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes(name):
    start = time.perf_counter()
    verdict = exercises.check(name, _solution(name))
    assert verdict.passed, verdict.line
    assert time.perf_counter() - start < 1.0, "a check takes under a second"
    assert "\n" not in verdict.line and verdict.line.startswith("✓")


@pytest.mark.parametrize("name", NAMES)
def test_a_stub_is_not_attempted_yet_and_never_raises(name):
    def stub(*args, **kwargs):
        raise NotImplementedError  # your code here

    def dots(*args, **kwargs): ...

    for fn in (stub, dots):
        verdict = exercises.check(name, fn)
        assert not verdict.passed and not verdict.attempted
        assert "not attempted yet" in verdict.message and "Hint:" in verdict.message


MISTAKES = [(n, m) for n in NAMES for m in exercises.get(n).mistakes]


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}-{m.name}" for n, m in MISTAKES])
def test_each_known_mistake_gets_its_hint(name, mistake):
    verdict = exercises.check(name, mistake.wrong)
    assert not verdict.passed and verdict.attempted
    assert verdict.mistake == mistake.name, verdict.line
    assert mistake.hint in verdict.message


@pytest.mark.parametrize("name", NAMES)
def test_an_error_is_one_line_with_the_input(name):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom\nsecond line")

    verdict = exercises.check(name, broken)
    assert not verdict.passed and verdict.attempted
    assert verdict.message.startswith("raised ZeroDivisionError: boom (on ") and "\n" not in verdict.message


@pytest.mark.parametrize("name", NAMES)
def test_an_answer_that_fits_only_one_input_fails(name):
    """The checks draw several inputs: a function that returns the first case's answer every time is wrong."""
    ex = exercises.get(name)
    cases = ex.make_cases()
    assert len(cases) >= 3, "several inputs, so a function fitted to one example fails"
    first = cases[0].call(ex.reference)
    verdict = exercises.check(name, lambda *args, **kwargs: first)
    assert not verdict.passed


def test_unknown_exercise_and_non_function():
    with pytest.raises(ValueError, match="did you mean 'sigmoid_derivative'"):
        exercises.check("sigmoid_derivitive", np.sin)
    with pytest.raises(TypeError, match="needs your function"):
        exercises.check("sigmoid_derivative", 3)


def test_verdict_shows_as_one_line():
    verdict = exercises.check("sigmoid_derivative", lambda a: a * (1 - a))
    assert repr(verdict) == verdict.line and "<div" in verdict._repr_html_() and bool(verdict)
