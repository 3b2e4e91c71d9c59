"""The course's static website (`make site`, scripts/build_site.py) as a reader's browser sees it.

Builds the site once into a temporary folder, serves it on 127.0.0.1 (http.server in a thread) and loads every
page in Debian's headless Chromium. Per page: no console error and no uncaught exception; no request to any
host but 127.0.0.1 (each other request is blocked and recorded: the site must work offline, MathJax included);
every image loaded; every internal link answers 200 and its #fragment exists; maths typeset by MathJax with no
TeX error and no raw `$\\` left. The lessons show each slider panel's default figure and how to run it live;
the home page is the start page and links to every lesson. Screenshots of the home page and of a lesson go to
build/site-screenshots/.

Needs the site tools (requirements-site.txt, which `make site` installs) and chromium; skips otherwise.
"""

import functools
import http.server
import importlib.util
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT

SITE_TOOLS = ["sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline"]
MISSING = [name for name in SITE_TOOLS if importlib.util.find_spec(name) is None]
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"the site tools are not installed ({', '.join(MISSING)}): "
        ".venv/bin/pip install -r requirements-site.txt, or run make site once",
    ),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

SCREENSHOTS = ROOT / "build" / "site-screenshots"
SCREENSHOT_LESSON = "03_learning_rate_and_optimizers"
LESSONS = sorted(p.stem for p in NOTEBOOKS.glob("0[1-9]_*.ipynb"))
PAGES = ["index", *LESSONS, "credits", "instructors", "search", "genindex"]
LIVE_LINE = "Interactive in JupyterLab: make lab, then run this lesson"


def _build_site_module():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def panel_count(lesson):
    """How many slider panels the committed lesson shows: widget outputs whose text is a panel's settings (the
    lesson's code builds them: a count that cannot be zero by accident for a lesson with panels)."""
    bs = _build_site_module()
    nb = nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if bs.WIDGET_VIEW in o.get("data", {}) and o["data"].get("text/plain", "").startswith("panel: ")
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    panels = _build_site_module().build(out)
    return out, panels


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    """Serve `directory` on 127.0.0.1 (a free port) in a thread: yields the base URL, then stops the server."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(site):
    yield from serve(site[0])


def chromium():
    """Debian's Chromium, headless, driven by Playwright: yields the browser, then closes it."""
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


class LoadedPage:
    """A page opened with every request to another host blocked and recorded, and its errors collected."""

    def __init__(self, browser, url):
        self.host = urllib.parse.urlsplit(url).netloc
        self.foreign, self.errors = [], []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        self.page.wait_for_load_state("networkidle")

    def _route(self, route):
        parts = urllib.parse.urlsplit(route.request.url)
        if parts.scheme in ("http", "https") and parts.netloc != self.host:
            self.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()


_JS_IMAGES = """async () => {
    const imgs = Array.from(document.images);
    for (const img of imgs) { img.loading = 'eager'; }
    await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
    return imgs.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth}));
}"""

_JS_MATH = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
    const math = Array.from(document.querySelectorAll('.math'));
    return {math: math.length,
            typeset: math.filter(el => el.querySelector('mjx-container') || el.tagName === 'MJX-CONTAINER').length,
            containers: document.querySelectorAll('mjx-container').length,
            errors: Array.from(document.querySelectorAll('mjx-merror')).map(el => el.textContent),
            text: document.body.innerText, prose: prose()};
    function prose() {   // the page's text outside code (a code cell may well hold a matplotlib label "$\\eta$")
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('pre, code, script, style, mjx-container').forEach(el => el.remove());
        return copy.textContent;
    }
}"""

_JS_PANELS = """() => Array.from(document.querySelectorAll('.nncourse-panel-live')).map(live => {
    const cell = live.closest('.cell_output');
    const imgs = cell ? Array.from(cell.querySelectorAll('img')) : [];
    return {text: live.innerText, figures: imgs.filter(img => img.naturalWidth > 0).length};
})"""


_BODIES = {}  # url -> (HTTP status, text): each page of the site is fetched once for all link checks


def _check_links(page, base):
    """Every link to this site answers 200, and a #fragment names an element of the page it points at."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    internal = sorted({h for h in hrefs if h.startswith(base)})
    broken, bodies = [], _BODIES
    for href in internal:
        url, _, fragment = href.partition("#")
        if url not in bodies:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    bodies[url] = (response.status, response.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as err:
                bodies[url] = (err.code, "")
        status, body = bodies[url]
        if status != 200:
            broken.append(f"{href}: HTTP {status}")
        elif fragment and f'id="{urllib.parse.unquote(fragment)}"' not in body:
            broken.append(f"{href}: no element with that id")
    return internal, broken


@pytest.mark.parametrize("name", PAGES)
def test_page(name, site, server, browser):
    loaded = LoadedPage(browser, f"{server}/{name}.html")
    page = loaded.page
    try:
        images = page.evaluate(_JS_IMAGES)
        math = page.evaluate(_JS_MATH)
        internal, broken = _check_links(page, server + "/")

        assert not loaded.foreign, f"requests to other hosts (blocked): {loaded.foreign}"
        assert not loaded.errors, loaded.errors
        assert all(img["width"] > 0 for img in images), [img["src"] for img in images if img["width"] == 0]
        assert not broken, broken
        assert math["typeset"] == math["math"], f"{math['math'] - math['typeset']} formulas not typeset"
        assert not math["errors"], f"TeX errors: {math['errors']}"
        assert "$\\" not in math["prose"] and "\\(" not in math["prose"], "raw TeX ($\\..., \\(...) left on the page"
        source = (NOTEBOOKS / f"{name}.ipynb") if name in LESSONS else None
        if source is not None and re.search(r"\$[^$\n]+\$", source.read_text(encoding="utf-8")):
            assert math["containers"] > 0, "the lesson has $...$ maths but the page shows no MathJax output"

        if name in LESSONS:
            panels = page.evaluate(_JS_PANELS)
            assert len(panels) == panel_count(name) == site[1][f"{name}.ipynb"]
            assert panel_count(name) == len(
                re.findall(
                    r"_panel\(",
                    "".join(
                        c.source
                        for c in nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
                        if c.cell_type == "code"
                    ),
                )
            ), "every panel the lesson builds is on its page"
            assert all(LIVE_LINE in p["text"] for p in panels), panels
            assert all(p["figures"] >= 1 for p in panels), f"a panel without its figure: {panels}"
            assert all(img["width"] > 0 for img in images) and len(images) >= len(panels)
            assert not page.query_selector('script[type="application/vnd.jupyter.widget-state+json"]')
        if name == "index":
            assert "start here" in page.title().lower() or "start here" in math["text"].lower()
            for lesson in LESSONS:
                assert f"{server}/{lesson}.html" in internal, f"the home page does not link to {lesson}"
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "home.png"))
        if name == SCREENSHOT_LESSON:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("""() => { document.querySelector('.nncourse-panel-live').scrollIntoView();
                                      window.scrollBy(0, -500);
                                      window.scrollBy(0, -110); }""")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        if name == "credits":
            assert "Glorot & Bengio (2010)" in math["text"]  # README.md's Sources
            assert "Frankle & Carbin" in math["text"] and "Mazur" in math["text"]  # the lessons' credits
    finally:
        page.close()


def test_harness_catches_a_broken_page(site, server, browser):
    """The checks above see what they look for: a scratch page (outside the site's pages) that loads a script
    and an image from another host, has a missing image and raw TeX."""
    scratch = site[0] / "_harness"
    scratch.mkdir(exist_ok=True)
    (scratch / "broken.html").write_text(
        '<html><body><p>raw $\\alpha$</p><img src="missing.png">'
        '<script src="https://cdn.example.invalid/x.js"></script></body></html>',
        encoding="utf-8",
    )
    loaded = LoadedPage(browser, f"{server}/_harness/broken.html")
    try:
        images = loaded.page.evaluate(_JS_IMAGES)
        math = loaded.page.evaluate(_JS_MATH)
    finally:
        loaded.page.close()
    assert loaded.foreign == ["https://cdn.example.invalid/x.js"]
    assert [img["width"] for img in images] == [0]
    assert "$\\" in math["prose"]
    assert any("404" in e or "Failed to load" in e for e in loaded.errors), loaded.errors


def test_site_is_self_contained(site):
    """No page or stylesheet of the built site names another host for anything it loads."""
    out = site[0]
    loads = re.compile(r"""(?:src|href)=["'](?:https?:)?//(?!127\\.0\\.0\\.1)[^"']+["']""")
    for path in out.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text):
            assert not loads.search(tag), f"{path.name}: {tag}"
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (out / "index.html").is_file() and (out / ".nojekyll").is_file()
