"""An exercise as a learner does it, in JupyterLab in headless Chromium: lesson 01 is run, a wrong answer is typed
into exercise 1.1's cell and run (the verdict names the mistake), then a right one (the verdict says correct).
Harness: tests/browser_lab.py."""

import pytest

import browser_lab as bl
from browser_lab import browser, lab  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

pytestmark = bl.browser_marks()

LESSON = "notebooks/01_neurons.ipynb"
CHECK = 'exercises.check("sigmoid_derivative", sigmoid_derivative)'
WRONG = f"def sigmoid_derivative(a):\n    return 1 / (1 + np.exp(-a)) * (1 - 1 / (1 + np.exp(-a)))\n\n{CHECK}"
RIGHT = f"def sigmoid_derivative(a):\n    return a * (1 - a)\n\n{CHECK}"

# Put `source` into the code cell that holds CHECK, run that cell alone, and report its index.
_JS_RUN_CELL = """async ([check, source]) => {
    const w = window.jupyterapp.shell.currentWidget;
    const i = w.content.widgets.findIndex(c => c.model.sharedModel.getSource().includes(check));
    if (i < 0) return -1;
    w.content.widgets[i].model.sharedModel.setSource(source);
    w.content.activeCellIndex = i;
    await window.jupyterapp.commands.execute('notebook:run-cell');
    return i;
}"""

_JS_CELL_OUTPUT = """(i) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    return kernel.status === 'idle' && cell.model.executionCount !== null
        ? cell.node.querySelector('.jp-OutputArea-output')?.innerText || '' : null;
}"""


def _answer(page, source):
    index = page.evaluate(_JS_RUN_CELL, [CHECK, source])
    assert index >= 0, "lesson 01 has exercise 1.1's check cell"
    handle = page.wait_for_function(_JS_CELL_OUTPUT, arg=index, timeout=60_000, polling=200)
    return handle.json_value()


def test_a_wrong_then_a_right_answer_get_their_verdicts(lab, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        bl.open_notebook(page, lab.url, LESSON)
        bl.run_all(page)
        stub = page.locator(".jp-OutputArea-output", has_text="sigmoid_derivative: not attempted yet").first
        assert stub.is_visible(), "the committed stub shows 'not attempted yet' after Run All"
        wrong = _answer(page, WRONG)
        assert wrong.startswith("✗ sigmoid_derivative: you applied the sigmoid again"), wrong
        right = _answer(page, RIGHT)
        assert right.startswith("✓ sigmoid_derivative: correct on all 3 checks"), right
        assert bl.kernel_errors(page) == [] and bl.python_errors(page) == []
    finally:
        page.close()
