"""What a learner sees: every lesson with slider panels, opened in JupyterLab in a real (headless) Chromium.

For each lesson: run all cells, wait for the kernel to go idle, move one slider (or menu) in every panel and
check that the panel's figure changed (its PNG bytes, not just its blob URL), that the kernel sent no Python
error or stderr text (cells' outputs, and the messages of slider callbacks, which Lab shows in no cell but in
its log console), that the server logged no failure and that the browser logged no console error or uncaught
exception. A screenshot per lesson goes to tests/artifacts/<lesson>.png. Two tests on a scratch notebook
(written into the server's copy) show that the harness sees a working panel change and catches a failing one.

The server runs on a free 127.0.0.1 port with a copy of notebooks/ and images/ as its root, so the committed
notebooks are never modified. Needs Debian's `chromium` (scripts/ensure_chromium.sh installs it); skips
otherwise.
"""

import json
import re

import pytest

import browser_lab as bl
from browser_lab import browser, lab  # noqa: F401  (fixtures)
from conftest import NOTEBOOKS, ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

pytestmark = bl.browser_marks()

ARTIFACTS = ROOT / "tests" / "artifacts"
PANEL_CALL = re.compile(r"slider_panel\(|_panel\(")


def slider_lessons():
    """Every numbered lesson whose code builds a slider panel (`slider_panel(` or a `*_panel(` factory)."""
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if any(c["cell_type"] == "code" and PANEL_CALL.search("".join(c["source"])) for c in nb["cells"]):
            out.append(path)
    return out


class PageErrors:
    """Collects the browser console's errors and uncaught page exceptions."""

    def __init__(self, page):
        self.messages = []
        page.on("console", lambda m: m.type == "error" and self.messages.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.messages.append(f"page error: {e}"))


def _exercise(lab, browser, relpath, screenshot=None, image_timeout_s=60.0):
    """Open `relpath`, run all, move one control per panel; return what happened:
    moves (one line per panel), unchanged (panels whose figure stayed the same), python_errors (error and
    stderr messages from the kernel, for cells and for slider callbacks), server_log (the server's log if it
    shows a failure, else ""), browser_errors (console errors and uncaught page exceptions)."""
    lab.new_log()  # forget what earlier notebooks logged
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = PageErrors(page)
    try:
        bl.open_notebook(page, lab.url, relpath)
        bl.run_all(page)
        panels = page.locator(bl.PANEL_SELECTOR)
        moves, unchanged = [], []
        for i in range(panels.count()):
            panel = panels.nth(i)
            panel.scroll_into_view_if_needed()
            img = panel.locator("img").first
            before = bl.image_digest(img)
            assert before, f"panel {i + 1} shows no figure after run-all"
            moves.append(f"panel {i + 1}: {bl.move_control(panel)}")
            if bl.wait_for_new_image(img, before, timeout_s=image_timeout_s) == before:
                unchanged.append(moves[-1])
            if screenshot is not None and i == 0:
                page.wait_for_timeout(300)  # let the new image paint
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
        page.wait_for_timeout(500)  # late messages from the last update
        python_errors = bl.python_errors(page) + bl.kernel_errors(page)
        log = lab.new_log()
        server_log = log if any(m in log for m in bl.SERVER_FAILURE_MARKERS) else ""
        return dict(
            moves=moves,
            unchanged=unchanged,
            python_errors=python_errors,
            server_log=server_log,
            browser_errors=errors.messages,
        )
    finally:
        page.close()
        lab.shutdown_kernels()


LESSONS = slider_lessons()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_sliders_live_in_jupyterlab(path, lab, browser):
    seen = _exercise(lab, browser, f"notebooks/{path.name}", screenshot=ARTIFACTS / f"{path.stem}.png")
    assert seen["moves"], "the lesson builds a slider panel, but none appeared on the page"
    assert not seen["python_errors"], "Python errors:\n" + "\n---\n".join(seen["python_errors"])
    assert not seen["unchanged"], f"figure did not change after: {seen['unchanged']}"
    assert not seen["server_log"], f"the server logged a failure:\n{seen['server_log'][-3000:]}"
    assert not seen["browser_errors"], "browser errors:\n" + "\n".join(seen["browser_errors"])


# --- the harness itself can fail: a scratch notebook (written into the server's copy, never into the repo) ---

_SCRATCH = """
import numpy as np
from nncourse.panels import slider_panel, log_slider, dropdown
def run(lr, curve, seed):
    return np.random.default_rng(seed).normal(size=20) * lr
draws = []
def plot(r, fig):
    draws.append(len(r))
    if BROKEN and len(draws) > 1:
        raise ValueError("plot failed")
    fig.add_subplot().plot(r)
panel = slider_panel(run, plot, fixed={"seed": 0}, lr=log_slider(1e-3, 1, 0.1), curve=dropdown(["a", "b"]))
panel
"""


def _write_scratch(lab, name, broken):
    return bl.write_scratch(lab, name, f"BROKEN = {broken}", _SCRATCH)


def test_harness_sees_a_working_panel_change(lab, browser):
    seen = _exercise(lab, browser, _write_scratch(lab, "working.ipynb", broken=False))
    assert len(seen["moves"]) == 1 and "slider 'lr'" in seen["moves"][0]
    assert not (seen["unchanged"] or seen["python_errors"] or seen["server_log"] or seen["browser_errors"])


def test_harness_catches_a_failing_slider_update(lab, browser):
    """The panel draws at its default, but the redraw after the slider move raises: the figure stays and the
    kernel reports the exception (to Lab's log console, not to a cell). Both must be noticed."""
    seen = _exercise(lab, browser, _write_scratch(lab, "broken.ipynb", broken=True), image_timeout_s=5)
    assert len(seen["moves"]) == 1
    assert seen["unchanged"], "the broken panel's figure cannot have changed"
    assert any("ValueError: plot failed" in e for e in seen["python_errors"]), seen["python_errors"]


# After the panel is shown the kernel forgets its comms (as if it had closed its widgets without telling the page).
_FORGET_COMMS = """
import comm
manager = comm.get_comm_manager()
forgotten = [manager.comms.pop(comm_id) for comm_id in list(manager.comms)]
"""


def test_harness_catches_a_message_the_kernel_refuses_for_a_widget_it_opened(lab, browser):
    """Moving the slider sends the slider's comm a message the kernel refuses ("No such comm"). The harness
    must report that, and not take it for the widget manager's probe at kernel start, whose refusals it drops."""
    relpath = bl.write_scratch(lab, "forgotten.ipynb", "BROKEN = False", _SCRATCH, _FORGET_COMMS)
    seen = _exercise(lab, browser, relpath, image_timeout_s=5)
    assert seen["unchanged"], "the kernel forgot the panel's widgets: its figure cannot have changed"
    refused = [e for e in seen["python_errors"] if re.match(r"^stderr: No such comm: [0-9a-f-]+\s*$", e)]
    assert refused, seen["python_errors"]


class _RecordedPage:
    """What open_notebook's recorder holds, without a browser: the kernel's stderr lines and its comms."""

    def __init__(self, errors, kernel_comms):
        self.recorded = {"__nncoursePythonErrors": errors, "__nncourseKernelComms": kernel_comms}

    def evaluate(self, script):
        return next(v for k, v in self.recorded.items() if k in script)


def test_the_probes_refusals_are_dropped_on_either_side_of_the_recording_but_a_widgets_are_kept():
    probe = ["stderr: No such comm target registered: jupyter.widget.control\n", "stderr: No such comm: 5a-1f\n"]
    assert bl.kernel_errors(_RecordedPage(probe, [])) == []
    assert bl.kernel_errors(_RecordedPage(probe[1:], ["c0-ff"])) == []  # the probe's open fell before recording
    widget = ["stderr: No such comm: c0-ff\n", "stderr: something else\n"]
    assert bl.kernel_errors(_RecordedPage(probe + widget, ["c0-ff"])) == widget
