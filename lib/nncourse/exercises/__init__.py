"""Exercises with checked, targeted feedback: the learner completes a function, the next line checks it.

    def sigmoid_derivative(a):
        raise NotImplementedError      # your code here
    exercises.check("sigmoid_derivative", sigmoid_derivative)

`check(name, fn)` runs `fn` on inputs it draws itself (shapes the learner did not choose, random upstream
gradients, edge values) and compares each answer with the library's own implementation. It returns a Verdict,
shown as one line: passed, not attempted yet (with a first hint), a known mistake recognised (with its hint),
an error raised by the learner's function (in one line, with the input it failed on), or a wrong answer (with
the input and the largest difference). It never raises for anything the learner's function does, so Run All,
nbval and papermill go through a lesson whose exercises are not done.

`names()` lists the exercises in lesson order; `get(name)` is one Exercise (its title, lesson, reference
implementation, the known mistakes it recognises). Exercises are defined per lesson in `lessonNN.py` modules
of this package and registered with `register`. Instructors' solutions are plain code in `solutions/` at the
top of the repository.
"""

import ast
import copy
import dataclasses
import html
import importlib
import inspect
import pkgutil
import textwrap
import time

import numpy as np

from nncourse.core import _validate

SEED = 20240601  # the exercises' own inputs: fixed, so a verdict is the same on every run
RTOL, ATOL = 1e-7, 1e-9


@dataclasses.dataclass
class Case:
    """One input an exercise checks: positional args (and keyword args) for the learner's function, and a
    short description of it for messages ('x of shape (4, 3)', 'a = 0 and a = 1')."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    about: str = ""

    def call(self, fn):
        """fn(*deep copies of args, **kwargs): a learner's function that modifies its input in place (an array,
        or the arrays in a list) does not change the case for the reference or for the known mistakes."""
        return fn(*copy.deepcopy(self.args), **copy.deepcopy(self.kwargs))


@dataclasses.dataclass
class Mistake:
    """A mistake learners make, as a wrong implementation, and the hint that names it."""

    name: str
    wrong: object  # callable with the exercise's signature
    hint: str


@dataclasses.dataclass
class Exercise:
    name: str
    lesson: int
    title: str
    reference: object  # the library's implementation: the right answer
    cases: object  # cases(rng) -> list of Case
    first_hint: str
    mistakes: list = dataclasses.field(default_factory=list)
    compare: object = None  # compare(expected, got) -> None if equal, else a message; default: arrays

    def make_cases(self):
        return self.cases(np.random.default_rng([SEED, self.lesson, _stable_hash(self.name)]))


def _stable_hash(text):
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 100_000


_REGISTRY = {}


def register(exercise):
    """Add an Exercise to the registry (the lesson modules do this at import)."""
    if exercise.name in _REGISTRY:
        raise _validate.InputError(f"exercise {exercise.name!r} is registered twice")
    _REGISTRY[exercise.name] = exercise
    return exercise


def _load():
    if not _REGISTRY:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("lesson"):
                importlib.import_module(f"{__name__}.{info.name}")


def names(lesson=None):
    """Every exercise's name in lesson order (the order they appear in within a lesson); `lesson`: one only."""
    _load()
    ex = sorted(_REGISTRY.values(), key=lambda e: e.lesson)  # stable: registration order within a lesson
    return [e.name for e in ex if lesson is None or e.lesson == lesson]


def get(name):
    """The Exercise called `name` (with a did-you-mean for a near miss)."""
    _load()
    _validate.choice("exercise", name, list(_REGISTRY))
    return _REGISTRY[name]


@dataclasses.dataclass
class Verdict:
    """What check() found. `passed`: right on every case. `attempted`: False for a stub. `message`: one line."""

    name: str
    passed: bool
    message: str
    attempted: bool = True
    mistake: str | None = None  # the known mistake recognised, if any
    seconds: float = 0.0

    def __bool__(self):
        return self.passed

    @property
    def line(self):
        mark = "✓" if self.passed else ("…" if not self.attempted else "✗")
        return f"{mark} {self.name}: {self.message}"

    def __repr__(self):
        return self.line

    def _repr_html_(self):
        color = "#1b7f3b" if self.passed else ("#6b6b6b" if not self.attempted else "#b00020")
        return f"<div style='color:{color};font-family:monospace'>{html.escape(self.line)}</div>"


def _is_stub(fn):
    """A function whose body is only a docstring, `...`, `pass`, `return` or `raise NotImplementedError`."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    if not funcs or isinstance(funcs[0], ast.Lambda):
        return False

    def empty(stmt):
        if isinstance(stmt, ast.Pass):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return isinstance(stmt.value.value, str) or stmt.value.value is Ellipsis
        if isinstance(stmt, ast.Return):
            return stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value in (None, ...))
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
        return False

    return all(empty(stmt) for stmt in funcs[0].body)


def _compare(expected, got):
    """None if got equals expected (arrays to RTOL/ATOL, tuples item by item), else a short message."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"returned {_kind(got)}, expected a tuple of {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = _compare(e, g)
            if msg:
                return f"item {i}: {msg}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"returned {_kind(got)}, expected a dict with keys {sorted(expected)}"
        for k in expected:
            msg = _compare(expected[k], got[k])
            if msg:
                return f"[{k!r}]: {msg}"
        return None
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"returned {_kind(got)}, expected numbers of shape {e.shape}"
    if g.shape != e.shape:
        return f"returned shape {g.shape}, expected {e.shape}"
    if not np.all(np.isfinite(g)):
        return "returned NaN or infinite values"
    if not np.allclose(g, e, rtol=RTOL, atol=ATOL):
        return f"wrong values (largest difference {np.max(np.abs(g - e)):.3g})"
    return None


def _kind(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}" if value is not None else "None"


def check(name, fn):
    """Check the learner's `fn` for exercise `name` on the exercise's own inputs: a Verdict (never raises for
    what fn does; a wrong `name` or a non-function raises one clear line)."""
    ex = get(name)
    if not callable(fn):
        raise _validate.InputTypeError(f"check({name!r}, fn) needs your function as fn, got {_kind(fn)}")
    start = time.perf_counter()
    done = lambda **kw: Verdict(name, seconds=time.perf_counter() - start, **kw)
    if _is_stub(fn):
        return done(passed=False, attempted=False, message=f"not attempted yet. Hint: {ex.first_hint}")
    compare = ex.compare or _compare
    cases = ex.make_cases()
    for case in cases:
        expected = case.call(ex.reference)
        try:
            got = case.call(fn)
        except NotImplementedError:
            return done(passed=False, attempted=False, message=f"not attempted yet. Hint: {ex.first_hint}")
        except Exception as err:  # the learner's error, in one line, with the input it failed on
            text = str(err).splitlines()[0] if str(err) else ""
            return done(passed=False, message=f"raised {type(err).__name__}: {text} (on {case.about})")
        if got is Ellipsis or (got is None and expected is not None):
            return done(
                passed=False, attempted=got is not Ellipsis, message=f"returned {_kind(got)}. Hint: {ex.first_hint}"
            )
        problem = compare(expected, got)
        if problem:
            for m in ex.mistakes:
                try:
                    if compare(case.call(m.wrong), got) is None:
                        return done(passed=False, mistake=m.name, message=f"{m.hint} (on {case.about})")
                except Exception:  # a known mistake that cannot run on this case simply does not match
                    continue
            return done(passed=False, message=f"{problem} on {case.about}")
    return done(
        passed=True,
        message=f"correct on all {len(cases)} checks ({', '.join(c.about for c in cases[:3])}"
        f"{', ...' if len(cases) > 3 else ''})",
    )
