"""make sweep: a lesson over a grid of parameters, run in parallel, with one table of outcomes and a plot."""

import csv
import importlib.util
import json
import subprocess
import sys

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT, lesson_notebooks
from nncourse import notebook as outcomes

spec = importlib.util.spec_from_file_location("sweep", ROOT / "scripts" / "sweep.py")
sweep = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sweep)


def test_values_split_on_top_level_commas_only():
    assert sweep.split_values("0.1,[1,2],'a,b',adam") == ["0.1", "[1,2]", "'a,b'", "adam"]
    assert [sweep.parse_value(v) for v in ("3", "0.1", "True", "None", "adam", "[1,2]")] == [
        3,
        0.1,
        True,
        None,
        "adam",
        (1, 2),
    ]


def test_grid_is_every_combination_in_order():
    grid = sweep.parse_grid("lr=0.1,1 seed=0,1,2", ["seed", "lr"])
    assert grid == {"lr": [0.1, 1], "seed": [0, 1, 2]}
    runs = sweep.combinations(grid)
    assert len(runs) == 6 and runs[0] == {"lr": 0.1, "seed": 0} and runs[-1] == {"lr": 1, "seed": 2}


@pytest.mark.parametrize(
    "spec, match",
    [
        ("lrr=0.1", "no parameter 'lrr'.*did you mean 'lr'"),
        ("lr", "name=v1,v2"),
        ("lr=0.1 lr=1", "given twice"),
        ("lr=0.1,,1", "empty value"),
        ("", "at least one parameter"),
    ],
)
def test_bad_sweep_specs_are_one_line(spec, match):
    with pytest.raises(sweep.SweepError, match=match) as info:
        sweep.parse_grid(spec, ["lr", "seed"])
    assert "\n" not in str(info.value)


def test_unknown_lesson():
    with pytest.raises(sweep.SweepError, match="no lesson 42; the lessons are 01, 02"):
        sweep.find_lesson("42")


def test_every_lesson_records_its_outcomes():
    """Each lesson's last code cell records its key outcomes, which a sweep reads back."""
    for path in lesson_notebooks():
        found = outcomes.read(nbformat.read(path, as_version=4))
        assert found, f"{path.name} records no outcomes (nncourse.notebook.record)"
        assert all(isinstance(v, (int, float, str, bool, type(None))) for v in found.values())


def test_record_rounds_and_refuses_what_json_cannot_hold():
    rec = outcomes.record(loss=0.123456, step=7, flag=True, none=None, big=float("inf"))
    assert rec == {"loss": 0.123, "step": 7, "flag": True, "none": None, "big": "inf"}
    bundle = rec._repr_mimebundle_()
    assert json.loads(json.dumps(bundle[outcomes.OUTCOMES_MIME])) == rec
    assert bundle["text/plain"].startswith("Key outcomes") and "\n" not in bundle["text/plain"]
    with pytest.raises(TypeError, match="outcome x must be a number"):
        outcomes.record(x=[1, 2])


def test_sweep_runs_the_grid_and_tables_each_run(tmp_path):
    """Lesson 02 over two learning rates and two data sizes, one of which the lesson rejects: four rows, the
    rejected runs with their one-line error, the others with the outcomes the lesson records."""
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "sweep.py"),
            "--lesson",
            "02",
            "--params",
            "relu_lr=0.01,0.1 n_points=300,1",
            "--jobs",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["relu_lr"], r["n_points"], r["status"]) for r in rows] == [
        ("0.01", "300", "ok"),
        ("0.01", "1", "error"),
        ("0.1", "300", "ok"),
        ("0.1", "1", "error"),
    ]
    for r in rows:
        assert (out / r["notebook"]).exists()
        if r["status"] == "error":
            assert "n_points must be at least 2" in r["error"] and "\n" not in r["error"]
    committed = outcomes.read(nbformat.read(NOTEBOOKS / "02_backpropagation.ipynb", as_version=4))
    assert float(rows[0]["relu_relative_loss"]) == committed["relu_relative_loss"], "the defaults' row"
    assert rows[2]["relu_relative_loss"] != rows[0]["relu_relative_loss"]
    assert (out / "results.png").stat().st_size > 1000


def test_sweep_refuses_a_bad_command_line_before_running_anything(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "sweep.py"),
            "--lesson",
            "02",
            "--params",
            "seeed=1,2",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "did you mean 'seed'" in proc.stderr
    assert not (tmp_path / "x").exists()
