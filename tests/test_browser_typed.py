"""A value typed into a slider's box in JupyterLab, in headless Chromium: lesson 03's first panel refuses a
learning rate outside the slider's range in its status line (the figure stays, the slider does not move), and
redraws for a value inside it. ipywidgets' own readout would have clamped the typed 50 to 1 in the browser,
before the kernel could see it. Harness: tests/browser_lab.py (as tests/test_browser.py uses it)."""

import pytest

import browser_lab as bl
from browser_lab import browser, lab  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

pytestmark = bl.browser_marks()

LESSON = "notebooks/03_learning_rate_and_optimizers.ipynb"


def _type(box, text):
    box.fill(text)
    box.press("Enter")  # the box sends on Enter (or when it loses focus), not on every key


def test_typed_learning_rate_is_refused_then_accepted(lab, browser):
    expect = playwright_api.expect
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        bl.open_notebook(page, lab.url, LESSON)
        bl.run_all(page)
        panel = page.locator(bl.PANEL_SELECTOR).first
        panel.scroll_into_view_if_needed()
        img, status = panel.locator("img").first, panel.locator(".nncourse-status").first
        box = panel.locator(".nncourse-entry-lr input").first
        handle = panel.locator(".widget-slider .noUi-handle").first
        expect(box).to_have_value("0.1")
        before, position = bl.image_digest(img), handle.get_attribute("aria-valuenow")
        assert before, "the panel shows no figure after run-all"

        _type(box, "50")
        expect(status).to_contain_text(
            "lr = 50 is outside the slider's range 0.001 to 1; the slider stays at 0.1", timeout=30_000
        )
        expect(box).to_have_value("0.1")
        page.wait_for_timeout(1500)  # time for a (wrong) redraw to arrive
        assert bl.image_digest(img) == before, "the figure changed although the typed value was refused"
        assert handle.get_attribute("aria-valuenow") == position, "the slider moved to a refused value"

        _type(box, "0.03")
        after = bl.wait_for_new_image(img, before, timeout_s=60)
        assert after != before, "the figure did not change for a typed value inside the range"
        expect(status).to_contain_text("SGD(lr=0.03) on quadratic", timeout=30_000)
        expect(box).to_have_value("0.03")
        assert handle.get_attribute("aria-valuenow") != position, "the slider did not follow the typed value"
        page.wait_for_timeout(500)  # late messages from the last update
        expect(box).to_have_value("0.03")  # the slider's front end did not send back a value of its own
        assert not bl.kernel_errors(page), bl.kernel_errors(page)
        assert not bl.python_errors(page), bl.python_errors(page)
    finally:
        page.close()
        lab.shutdown_kernels()
