"""A learner's bad parameter in lesson 03, run as papermill runs it: the cell that builds the slider panel fails
with ONE line that names the parameter, the value and what is allowed (not a traceback through traitlets, and
not a value silently clamped into the slider's range)."""

import papermill
import pytest

from conftest import NOTEBOOKS

LESSON = NOTEBOOKS / "03_learning_rate_and_optimizers.ipynb"


@pytest.mark.parametrize(
    "parameters, says",
    [
        (
            {"optimizer": "Adam"},
            "unknown optimizer 'Adam'; choose one of: 'sgd', 'momentum', 'nesterov', 'adagrad', "
            "'rmsprop', 'adam'; did you mean 'adam'?",
        ),
        (
            {"surface": "quadratc"},
            "unknown surface 'quadratc'; choose one of: 'quadratic', 'rosenbrock', "
            "'two_minima'; did you mean 'quadratic'?",
        ),
        ({"lr": 5}, "lr = 5 is outside the slider's range 0.001 to 1"),
    ],
    ids=["optimizer", "surface", "lr"],
)
def test_a_bad_parameter_stops_the_lesson_with_one_line(parameters, says, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(
            str(LESSON),
            str(tmp_path / "out.ipynb"),
            parameters=parameters,
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            execution_timeout=120,
            progress_bar=False,
        )
    failed = err.value
    assert "surface_panel" in failed.source  # the first panel's cell, not some later accident
    assert failed.ename == "InputError" and failed.evalue == says
    assert len(failed.traceback) == 1  # what the learner sees under the cell
    assert failed.traceback[0].endswith(f"ValueError\x1b[0m: {says}")
