"""Panels as a learner meets them in JupyterLab (headless Chromium):

- a lesson opened before Run All shows each panel's stored figure, not widget text;
- a playing panel advances its figure frame by frame, pause stops it, step advances one frame;
- a control that does not apply is disabled in the page (it cannot be moved), and enabled again when it applies;
- a panel's controls fit in three rows beside the file browser in a 1024 x 700 window, the figure in view.

The play and disabled-control checks run on a scratch notebook written into the server's copy of the course.
Latency is measured by scripts/bench_browser.py (make bench), not asserted here.
"""

import json

import pytest

import browser_lab as bl
from browser_lab import browser, lab  # noqa: F401  (fixtures)
from conftest import NOTEBOOKS

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

pytestmark = bl.browser_marks()

WIDGET = "application/vnd.jupyter.widget-view+json"


def _lessons_with_panels():
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        n = sum(WIDGET in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
        if n:
            out.append((path, n))
    return out


@pytest.mark.parametrize("path, n_panels", _lessons_with_panels(), ids=lambda v: getattr(v, "stem", str(v)))
def test_before_run_all_each_panel_shows_its_figure(lab, browser, path, n_panels):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        bl.open_notebook(page, lab.url, f"notebooks/{path.name}")
        page.wait_for_timeout(1500)
        texts = page.locator(".jp-OutputArea-output").all_inner_texts()
        assert not [
            t
            for t in texts
            if t.startswith(("VBox(", "HBox(")) or "Error displaying widget" in t or "Loading widget" in t
        ], "a panel shows widget text instead of its figure"
        shown = page.evaluate("""() => [...document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="image/png"] img')].filter(i => i.naturalWidth > 800).length""")
        assert shown >= n_panels, f"{shown} wide figures shown for {n_panels} panels"
    finally:
        page.close()
        lab.shutdown_kernels()


_SCRATCH = """
import numpy as np
from nncourse.panels import Stepper, dropdown, float_slider, int_slider, log_slider, slider_panel, toggle

def run(lr, optimizer, momentum, beta1, beta2, depth, width, activation, init, batchnorm, seed):
    return np.sin(np.linspace(0, 6, 50)) * lr

def plot(y, fig):
    fig.add_subplot().plot(y)

class Counter:
    def __init__(self, lr, **_):
        self.lr, self.k = lr, 0

def advance(state):
    state.k += 1
    return np.sin(np.linspace(0, 6, 50) + 0.2 * state.k) * state.lr

panel = slider_panel(
    run, plot, stepper=Stepper(Counter, advance, lambda s: None, lambda s: np.zeros(50)),
    lr=log_slider(1e-3, 1, 0.1), optimizer=dropdown(["sgd", "momentum", "adam"]),
    momentum=float_slider(0, 0.99, 0.01, 0.9), beta1=float_slider(0, 0.999, 0.001, 0.9),
    beta2=float_slider(0.9, 0.9999, 0.0001, 0.999), depth=int_slider(1, 10, 6), width=int_slider(1, 64, 8),
    activation=dropdown(["sigmoid", "tanh", "relu"]), init=dropdown(["glorot", "he"]),
    batchnorm=toggle(True, "batch norm"), seed=int_slider(0, 20, 0),
    applies={"momentum": lambda v: None if v["optimizer"] == "momentum" else "momentum needs optimizer momentum",
             "beta1": lambda v: None if v["optimizer"] == "adam" else "only Adam has betas",
             "beta2": lambda v: None if v["optimizer"] == "adam" else "only Adam has betas"})
panel
"""


@pytest.fixture(scope="module")
def scratch_page(lab, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    bl.open_notebook(page, lab.url, bl.write_scratch(lab, "panel_controls.ipynb", _SCRATCH))
    bl.run_all(page)
    page.locator(bl.PANEL_SELECTOR).first.scroll_into_view_if_needed()
    page.evaluate("""() => {
        const img = document.querySelector('.nncourse-panel img');
        window.__frames = 0;
        new MutationObserver(() => { window.__frames += 1; }).observe(img, {attributes: true,
                                                                          attributeFilter: ['src']});
    }""")
    yield page
    page.close()
    lab.shutdown_kernels()


def _frames(page):
    return page.evaluate("() => window.__frames")


def test_play_advances_frames_and_pause_stops_them(scratch_page):
    page = scratch_page
    panel = page.locator(bl.PANEL_SELECTOR).first
    play = panel.locator(".nncourse-play button").first
    before = _frames(page)
    play.click()
    page.wait_for_timeout(2000)
    played = _frames(page) - before
    play.click()  # the same button pauses
    page.wait_for_timeout(600)
    stopped = _frames(page)
    page.wait_for_timeout(1200)
    assert played >= 5, f"{played} frames in 2 s of play"
    assert _frames(page) == stopped, "frames kept coming after pause"
    panel.locator(".nncourse-step button, button.nncourse-step").first.click()
    page.wait_for_timeout(800)
    assert _frames(page) == stopped + 1, "step shows exactly one new frame"
    assert "frame" in panel.locator(".nncourse-frame").inner_text()


def test_a_control_that_does_not_apply_is_disabled_until_it_does(scratch_page):
    page = scratch_page
    panel = page.locator(bl.PANEL_SELECTOR).first
    momentum = panel.locator(".nncourse-control-momentum")
    handle = momentum.locator(".noUi-handle")
    assert momentum.locator("input").first.is_disabled(), "momentum's box is editable with optimizer sgd"
    assert "momentum needs optimizer momentum" in panel.locator(".nncourse-note").inner_text()
    before = handle.get_attribute("aria-valuenow")
    handle.focus()
    handle.press("ArrowLeft")
    page.wait_for_timeout(300)
    assert handle.get_attribute("aria-valuenow") == before, "a disabled slider moved"
    panel.locator(".nncourse-control-optimizer select").select_option(label="momentum")
    # the control's state and the note arrive as separate widget messages: wait for both
    page.wait_for_function(
        """() => !document.querySelector('.nncourse-control-momentum input').disabled
                 && !document.querySelector('.nncourse-note').innerText.includes('momentum')""",
        timeout=10_000,
    )
    assert "only Adam has betas" in panel.locator(".nncourse-note").inner_text(), "the betas stay off"
    panel.locator(".nncourse-control-optimizer select").select_option(label="sgd")
    page.wait_for_function(
        """() => document.querySelector('.nncourse-control-momentum input').disabled""", timeout=10_000
    )


def test_eleven_controls_fit_in_three_rows_beside_the_file_browser_with_the_figure_in_view(scratch_page):
    page = scratch_page
    assert page.locator("#filebrowser").is_visible(), "the file browser is open"
    page.locator(bl.PANEL_SELECTOR).first.scroll_into_view_if_needed()
    tops = page.evaluate("""() => [...document.querySelectorAll('.nncourse-panel .nncourse-control')]
                                  .map(e => Math.round(e.getBoundingClientRect().top))""")
    assert len(tops) == 11 and len(set(tops)) <= 3, f"control rows at {sorted(set(tops))}"
    panel_top = page.evaluate("() => document.querySelector('.nncourse-panel').getBoundingClientRect().top")
    img_top = page.evaluate("() => document.querySelector('.nncourse-panel img').getBoundingClientRect().top")
    assert img_top - panel_top < 350, "the figure starts below the fold of a 700-px window"


_LOTTERY = """
from nncourse.lessons import network_size_and_pruning as ns
panel = ns.lottery_panel(width=8, rounds=3, max_rounds=3, epochs=4)
panel
"""


def test_a_panel_that_trains_in_the_background_answers_at_once_and_stays_movable(lab, browser):
    """Lesson 07's lottery panel: a new width trains in a worker thread. The status line names the run and the
    bar fills while the controls stay free: the rounds box takes a new value, and a second width replaces the
    first; the figure that arrives is the last setting's."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        bl.open_notebook(page, lab.url, bl.write_scratch(lab, "lottery.ipynb", _LOTTERY))
        bl.run_all(page)
        panel = page.locator(bl.PANEL_SELECTOR).first
        panel.scroll_into_view_if_needed()
        assert "nncourse-background" in panel.get_attribute("class")
        status = panel.locator(".nncourse-status")
        page.wait_for_function("() => document.querySelector('.nncourse-status').innerText.includes('round 3')")
        before = bl.image_digest(panel.locator("img").first)
        width = panel.locator(".nncourse-entry-width input, input.nncourse-entry-width").first
        width.fill("128")
        width.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('.nncourse-status').innerText.startsWith('training width = 128')",
            timeout=5_000,
        )
        rounds = panel.locator(".nncourse-entry-rounds input, input.nncourse-entry-rounds").first
        rounds.fill("1")  # a view control, moved while the run trains
        rounds.press("Enter")
        width.fill("16")  # moved on: the 128-unit run is dropped
        width.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('.nncourse-status').innerText.startsWith('training width = 16')",
            timeout=5_000,
        )
        page.wait_for_function(
            "() => document.querySelector('.nncourse-status').innerText.startsWith('round 1')", timeout=60_000
        )
        assert bl.image_digest(panel.locator("img").first) != before
        assert panel.locator(".widget-progress, .progress").count() >= 1
        assert not bl.python_errors(page) + bl.kernel_errors(page)
        assert status.inner_text().startswith("round 1")
    finally:
        page.close()
        lab.shutdown_kernels()
