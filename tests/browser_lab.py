"""Drive JupyterLab in Debian's headless Chromium: start a private Lab server on 127.0.0.1, open a notebook,
run all its cells, find its slider panels, move a slider and read back the panel's figure.

Used by tests/test_browser.py and scripts/screenshot.py. Playwright drives the system's `chromium` (a browser
download of Playwright's own is not needed). See shared TOOLCHAIN.md, "JupyterLab in headless Chromium".
"""

import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Lab settings for the test server: no news or update pop-up over the notebook (the course's own environment
# gets the same from scripts/lab_overrides.json), and no autosave while the test runs a copy.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# What the server's log shows when a kernel or the server itself fails.
SERVER_FAILURE_MARKERS = (
    "Traceback (most recent call last)",
    "Exception in comm_msg",
    "Kernel died",
    "KernelRestarter: restarting kernel",
)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path():
    """The system chromium, or None (then the browser tests skip and say why)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class LabServer:
    """A JupyterLab server on a free 127.0.0.1 port serving `root` (a copy of the repo), with its own fresh
    settings and workspace folders and its log in a file. Use as a context manager."""

    def __init__(self, root, startup_timeout=90):
        self.root = pathlib.Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._tmp = pathlib.Path(tempfile.mkdtemp(prefix="nncourse-lab-"))
        self.log_path = self._tmp / "server.log"
        self._log_offset = 0
        self.process = None

    def _write_settings(self):
        settings = self._tmp / "settings"
        for rel, values in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        return settings

    def start(self):
        settings = self._write_settings()
        workspaces = self._tmp / "workspaces"
        workspaces.mkdir()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.workspaces_dir={workspaces}",
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        env.pop("MPLBACKEND", None)  # kernels must keep their inline backend
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=self.root, start_new_session=True
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {self.startup_timeout} s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def new_log(self):
        """The server (and kernel) log written since the last call."""
        text = self.log()
        new, self._log_offset = text[self._log_offset :], len(text)
        return new

    def api(self, method, path):
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop every kernel (between two notebooks, so that only one runs at a time)."""
        for session in self.api("GET", "/api/sessions"):
            with contextlib.suppress(OSError):
                self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            with contextlib.suppress(OSError):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # the server stops its kernels on the way out
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def copy_course(root, dest):
    """Copy what the lessons read (notebooks/, images/) into `dest`, so that the browser run never touches the
    committed notebooks. The library is installed editable and imported from the repo."""
    dest = pathlib.Path(dest)
    for name in ("notebooks", "images"):
        src = pathlib.Path(root) / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


# --- in the page -------------------------------------------------------------------------------------------

_JS_KERNEL_IDLE = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const ctx = w && w.sessionContext;
    const kernel = ctx && ctx.session && ctx.session.kernel;
    return !!(w && w.content && w.content.widgets && kernel && kernel.connectionStatus === 'connected'
              && kernel.status === 'idle');
}"""

_JS_RUN_ALL = """() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"""

# True once every code cell with source has an execution count and the kernel is idle again.
_JS_ALL_EXECUTED = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
    if (!kernel || kernel.status !== 'idle') return false;
    const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
    return cells.length > 0 && cells.every(c => c.model.executionCount !== null && c.promptNode
                                                && !c.promptNode.textContent.includes('*'));
}"""

# A digest of the PNG bytes an <img> shows (its src is a blob: URL that changes on every update, even when the
# picture does not, so the bytes are compared, not the URL).
_JS_IMAGE_DIGEST = """async (img) => {
    if (!img.src) return null;
    const buf = await (await fetch(img.src)).arrayBuffer();
    const bytes = new Uint8Array(buf);
    let h1 = 0x811c9dc5, h2 = 0;
    for (let i = 0; i < bytes.length; i++) { h1 = Math.imul(h1 ^ bytes[i], 16777619) >>> 0;
                                             h2 = (h2 * 31 + bytes[i]) >>> 0; }
    return bytes.length + ':' + h1.toString(16) + ':' + h2.toString(16);
}"""

PYTHON_ERROR_SELECTOR = (
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
)
PANEL_SELECTOR = ".nncourse-panel"


# Every error and stderr message the kernel sends, whatever it answers: a cell, or a widget's comm message
# (an exception in a slider's callback is shown in no cell; Lab sends it to its log console).
_JS_WATCH_KERNEL = """() => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    window.__nncoursePythonErrors = [];
    window.__nncourseKernelComms = [];
    kernel.iopubMessage.connect((_, msg) => {
        const c = msg.content, type = msg.header.msg_type;
        if (type === 'comm_open') window.__nncourseKernelComms.push(c.comm_id);
        if (type === 'error') window.__nncoursePythonErrors.push(c.ename + ': ' + c.evalue);
        if (type === 'stream' && c.name === 'stderr') window.__nncoursePythonErrors.push('stderr: ' + c.text);
    });
    return true;
}"""


def write_scratch(lab, name, *sources):
    """A notebook of one code cell per source, written into the server's copy of the course (never the repo's);
    its path relative to the copy, for open_notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src.strip()) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (lab.root / "scratch").mkdir(exist_ok=True)
    nbformat.write(nb, lab.root / "scratch" / name)
    return f"scratch/{name}"


def open_notebook(page, url, relpath, timeout_ms=120_000):
    """Open notebooks/... in Lab, wait until its kernel is connected and idle, and start recording the
    kernel's error messages (see kernel_errors)."""
    # a workspace of its own: Lab would otherwise reopen (and start kernels for) the tabs of earlier pages
    workspace = f"nncourse-{time.monotonic_ns()}"
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{relpath}", wait_until="domcontentloaded")
    page.wait_for_function(_JS_KERNEL_IDLE, timeout=timeout_ms, polling=250)
    page.evaluate(_JS_WATCH_KERNEL)


# What the kernel writes when JupyterLab's widget manager probes it at kernel start: it opens a
# 'jupyter.widget.control' comm to ask for the widget state and sends a request on it at once; before the lesson
# has imported ipywidgets the kernel knows no such target, refuses the open, then refuses the request on the comm
# it never opened. The two lines can fall either side of the moment open_notebook starts recording (the kernel is
# idle for an instant between them: seen in CI under load, the second line alone), so each is told apart by what
# it names, not by whether the other was seen: the control target by name, and a refused comm by its id, which
# is not one the kernel opened. Every widget of the course is opened by the kernel after recording starts, so a
# message to one of them that the kernel refuses (a widget closed while the page still talks to it) is kept.
_CONTROL_PROBE_NOISE = re.compile(r"^stderr: No such comm target registered: jupyter\.widget\.control\s*$")
_UNKNOWN_COMM = re.compile(r"^stderr: No such comm: ([0-9a-f-]+)\s*$")


def kernel_errors(page):
    """Every Python error or stderr text the kernel sent since open_notebook (but the widget manager's probe)."""
    errors = page.evaluate("() => window.__nncoursePythonErrors || []")
    kernel_comms = set(page.evaluate("() => window.__nncourseKernelComms || []"))

    def probe_noise(e):
        unknown = _UNKNOWN_COMM.match(e)
        return bool(_CONTROL_PROBE_NOISE.match(e)) or (unknown is not None and unknown[1] not in kernel_comms)

    return [e for e in errors if not probe_noise(e)]


_JS_CLEAR_ALL = """async () => {
    await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
    const w = window.jupyterapp.shell.currentWidget;
    return w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount === null);
}"""


def run_all(page, timeout_ms=240_000):
    """Clear the stored outputs and execution counts, start 'Run All Cells' without awaiting its promise (it
    resolves only when every cell is done, and an evaluate that waits that long is fragile), then wait until
    every code cell has a new execution count and the kernel is idle."""
    if not page.evaluate(_JS_CLEAR_ALL):
        raise RuntimeError("could not clear the notebook's stored execution counts")
    page.evaluate(_JS_RUN_ALL)
    page.wait_for_function(_JS_ALL_EXECUTED, timeout=timeout_ms, polling=250)


def image_digest(img_locator):
    return img_locator.evaluate(_JS_IMAGE_DIGEST)


def python_errors(page):
    """Text of every stderr or error output shown in the notebook."""
    return [t.strip() for t in page.locator(PYTHON_ERROR_SELECTOR).all_inner_texts() if t.strip()]


def move_control(panel, forward=True):
    """Move the panel's first slider one step with the keyboard (as a learner using the arrow keys would; the
    sliders update on release, which a key press is). Falls back to the next choice of a dropdown when the
    panel has no slider. Returns a description of what was moved."""
    handles = panel.locator(".widget-slider .noUi-target:not([disabled]) .noUi-handle")  # an enabled slider
    if handles.count():
        handle = handles.first
        before = handle.get_attribute("aria-valuenow")
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
        handle.press("ArrowLeft" if (at_max or not forward) else "ArrowRight")
        label = handle.evaluate(
            "h => { const c = h.closest('.nncourse-control'); const l = c && "
            "c.querySelector('.nncourse-label'); return l ? l.textContent : ''; }"
        )
        return f"slider {label!r} from {before} to {handle.get_attribute('aria-valuenow')}"
    selects = panel.locator(".widget-dropdown select")
    if selects.count():
        select = selects.first
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        choice = options[(current + 1) % len(options)]
        select.select_option(label=choice)
        return f"dropdown to {choice!r}"
    raise AssertionError("panel has neither a slider nor a dropdown to move")


def wait_for_new_image(img_locator, old_digest, timeout_s=60.0):
    """Poll until the image shows different bytes; return the new digest (or the old one on time-out)."""
    deadline = time.monotonic() + timeout_s
    digest = old_digest
    while time.monotonic() < deadline:
        digest = image_digest(img_locator)
        if digest and digest != old_digest:
            return digest
        time.sleep(0.1)
    return digest


# --- fixtures the browser test modules share: `from browser_lab import lab, browser` ------------------------------

import pytest  # noqa: E402  (only the test modules import this file)


def browser_marks():
    """The marks of a browser test module (a new list: a module may add its own)."""
    return [
        pytest.mark.browser,
        pytest.mark.skipif(
            chromium_path() is None, reason="chromium is not installed (apt-get install chromium, or make test does it)"
        ),
    ]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 over a temporary copy of the course, stopped after the module."""
    from conftest import ROOT

    root = copy_course(ROOT, tmp_path_factory.mktemp("course"))
    with LabServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium driven by Playwright, closed after the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()
