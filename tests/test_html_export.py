"""The lessons as stand-alone HTML pages (`make html`, scripts/export_html.py), read offline in headless Chromium.

Exports every notebook once into a temporary folder, serves it on 127.0.0.1 and loads each page with every request
to another host blocked and recorded. Per page: nothing requested from another host (nbconvert's own pages load
MathJax and require.js from a CDN); no console error; every picture loaded; the maths typeset by the local MathJax
with no TeX error and no raw `$\\` left in the prose; each slider panel shown as its default figure; the links to
other lessons open their pages.
"""

import importlib.util
import re

import pytest

from conftest import NOTEBOOKS, ROOT
from test_site import _JS_IMAGES, _JS_MATH, CHROMIUM, MISSING, LoadedPage, chromium, panel_count, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(MISSING), reason="the site tools are not installed: .venv/bin/pip install -r requirements-site.txt"
    ),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

PAGES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _export_module():
    spec = importlib.util.spec_from_file_location("export_html", ROOT / "scripts" / "export_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "html"
    pages = _export_module().export(out)
    return out, pages


@pytest.fixture(scope="module")
def server(exported):
    yield from serve(exported[0])


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def test_every_notebook_is_exported_and_no_page_names_a_cdn(exported):
    out, pages = exported
    assert sorted(p.stem for p in pages) == PAGES
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*src=\"https?:", html), page.name  # (mermaid, unused, is imported on demand)
        assert '<script defer src="../mathjax/tex-chtml.js"></script>' in html, page.name
    assert (out / "mathjax" / "tex-chtml.js").is_file() and (out / "images").is_dir()


def test_a_changed_nbconvert_template_is_reported_not_exported_silently():
    with pytest.raises(RuntimeError, match="no MathJax script to replace"):
        _export_module().offline("<html><body>no maths script</body></html>")


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_offline(name, server, browser):
    loaded = LoadedPage(browser, f"{server}/notebooks/{name}.html")
    page = loaded.page
    try:
        images = page.evaluate(_JS_IMAGES)
        math = page.evaluate(_JS_MATH)
        assert not loaded.foreign, f"requests to other hosts (blocked): {loaded.foreign}"
        assert not loaded.errors, loaded.errors
        assert all(img["width"] > 0 for img in images), [i["src"] for i in images if i["width"] == 0]
        assert not math["errors"], f"TeX errors: {math['errors']}"
        assert "$\\" not in math["prose"] and "\\(" not in math["prose"], "raw TeX ($\\..., \\(...) left on the page"
        source = (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8")
        if re.search(r"\$[^$\n]+\$", source):
            assert math["containers"] > 0, "the lesson has $...$ maths but the page shows no MathJax output"
        panels = panel_count(name)
        shown = page.evaluate(
            "() => Array.from(document.images).filter(i => i.naturalWidth > 0 && i.src.startsWith('data:')).length"
        )
        assert shown >= panels, f"{panels} panels but {shown} figures shown"
        if name == "06_trainability":
            assert panels == 2  # the count is of the lesson's panels, not zero by accident
        for href in page.eval_on_selector_all("a[href$='.html']", "els => els.map(a => a.getAttribute('href'))"):
            if re.fullmatch(r"\d\d_\w+\.html", href):
                assert href[: -len(".html")] in PAGES, f"a link to {href}, which is no lesson's page"
    finally:
        page.close()
