"""Opening a lesson in JupyterLab leaves the file as committed: not dirty, not rewritten by autosave.

One Lab server (on a free 127.0.0.1 port, serving a temporary copy of notebooks/ and images/) and one page.
Unlike tests/test_browser.py this server keeps autosave ON, every second, as a learner's Lab has it (every
120 s by default): a notebook that turned dirty on open would be saved within a second, which resets the dirty
flag, so three things are checked for each lesson (notebooks/0*.ipynb), a few seconds after its kernel is
connected and idle:
  * `shell.currentWidget.context.model.dirty` is false,
  * the page sent no save (PUT /api/contents/<lesson>; the checkpoint Lab creates on first open, a copy in
    the git-ignored .ipynb_checkpoints/, is not a save),
  * the file in the copy is byte-identical to what was copied.
Then 01_neurons is saved untouched (its JSON must stay equal; the bytes differ where widget state holds
integral floats, which the browser writes as 4 instead of 4.0), run whole in Lab and saved again: the test
reports what the save changes besides outputs and execution counts, and asserts that notebook and cell
metadata other than cell timing (`execution`, which Lab drops when it runs a cell) and widget state stay.
Run with -rP to see the report.

NNCOURSE_NOTEBOOKS_DIR=<dir> serves the notebooks of another folder instead (e.g. a copy being cleaned).

Needs Debian's `chromium`; skips otherwise. About a minute on two cores.
"""

import json
import os
import pathlib
import platform
import shutil
import time
import urllib.parse

import pytest

import browser_lab as bl
from conftest import NOTEBOOKS, ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is needed")

pytestmark = bl.browser_marks()

NOTEBOOK_DIR = pathlib.Path(os.environ.get("NNCOURSE_NOTEBOOKS_DIR") or NOTEBOOKS).resolve()
LESSONS = sorted(NOTEBOOK_DIR.glob("0*.ipynb"))
_COMMITTED_PYTHON = json.loads(LESSONS[0].read_text(encoding="utf-8"))["metadata"]["language_info"]["version"]
if _COMMITTED_PYTHON != platform.python_version():
    # JupyterLab writes the kernel's Python version into language_info: with another patch release every lesson
    # opens modified here, which tests/test_notebook_metadata.py reports (with the fix); nothing to learn here
    pytestmark.append(
        pytest.mark.skip(
            reason=f"notebooks executed with Python {_COMMITTED_PYTHON}, this is {platform.python_version()}"
        )
    )
RUN_LESSON = "01_neurons.ipynb"
SETTLE_MS = 3000  # after the kernel is idle; autosave runs every AUTOSAVE_S
AUTOSAVE_S = 1
FIX = "see tests/test_notebook_metadata.py, or run `.venv/bin/python scripts/clean_notebook_metadata.py`"


class AutosavingLab(bl.LabServer):
    """bl.LabServer with autosave on (every AUTOSAVE_S), so that a notebook dirty on open gets written."""

    def _write_settings(self):
        settings = super()._write_settings()
        (settings / "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings").write_text(
            json.dumps({"autosave": True, "autosaveInterval": AUTOSAVE_S}), encoding="utf-8"
        )
        return settings


_JS_OPEN = """async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); return true; }"""

_JS_CURRENT_READY = """(path) => {
    const w = window.jupyterapp.shell.currentWidget;
    const kernel = w && w.context && w.context.path === path && w.sessionContext.session
                   && w.sessionContext.session.kernel;
    return !!(kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
}"""

_JS_STATE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    return {path: w.context.path, dirty: w.context.model.dirty,
            kernel: w.sessionContext.session.kernel.name, kernelDisplay: w.sessionContext.kernelDisplayName};
}"""

_JS_CLOSE = """() => { window.jupyterapp.shell.currentWidget.dispose(); return true; }"""

_JS_SAVE = """async () => { await window.jupyterapp.shell.currentWidget.context.save(); return true; }"""


class Saves:
    """Every request of the page that writes through the contents API: (method, path after /api/contents/).
    A save is PUT <path>; POST <path>/checkpoints is the checkpoint copy Lab makes on first open."""

    def __init__(self, page):
        self.requests = []
        page.on("request", self._record)

    def _record(self, request):
        url = urllib.parse.urlsplit(request.url).path
        if request.method in ("PUT", "PATCH", "POST", "DELETE") and "/api/contents/" in url:
            self.requests.append((request.method, urllib.parse.unquote(url.split("/api/contents/", 1)[1])))

    def of(self, relpath):
        """Requests that write or rename the file itself."""
        return [f"{m} {p}" for m, p in self.requests if p == relpath]


def _open(page, lab, relpath, first):
    if first:
        bl.open_notebook(page, lab.url, relpath)  # loads Lab itself, in a fresh workspace
    else:
        page.evaluate(_JS_OPEN, relpath)
        page.wait_for_function(_JS_CURRENT_READY, arg=relpath, timeout=120_000, polling=250)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """(lab server, page, save recorder, the bytes of every copied notebook as copied)."""
    root = bl.copy_course(ROOT, tmp_path_factory.mktemp("course"))
    if NOTEBOOK_DIR != NOTEBOOKS.resolve():
        for path in NOTEBOOK_DIR.glob("*.ipynb"):
            shutil.copyfile(path, root / "notebooks" / path.name)
    # the copy's own bytes are the reference: the repo's notebooks may be re-executed while this runs
    copied = {p.name: p.read_bytes() for p in (root / "notebooks").glob("*.ipynb")}
    with AutosavingLab(root) as lab, playwright_api.sync_playwright() as p:
        browser = bl.launch_browser(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield lab, page, Saves(page), copied
        page.close()
        browser.close()


@pytest.fixture(scope="module")
def opened(session):
    """Open every lesson in turn in the one page; what each looked like SETTLE_MS after its kernel was idle."""
    lab, page, saves, copied = session
    seen = {}
    for i, path in enumerate(LESSONS):
        relpath = f"notebooks/{path.name}"
        t0 = time.monotonic()
        _open(page, lab, relpath, first=(i == 0))
        page.wait_for_timeout(SETTLE_MS)
        state = page.evaluate(_JS_STATE)
        assert state["path"] == relpath, f"the current tab is {state['path']}, not {relpath}"
        seen[path.name] = dict(
            state,
            saves=saves.of(relpath),
            seconds=round(time.monotonic() - t0, 1),
            identical=(lab.root / relpath).read_bytes() == copied[path.name],
        )
        page.evaluate(_JS_CLOSE)
        lab.shutdown_kernels()
    return seen


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_opening_a_lesson_leaves_it_clean(path, opened):
    seen = opened[path.name]
    print(seen)
    assert seen["kernel"] == "python3", f"{path.name} connected to kernel {seen['kernel']!r}"
    assert not seen["dirty"], f"{path.name} is marked modified after its kernel connected ({FIX})"
    assert not seen["saves"], f"{path.name} was saved although nobody edited it: {seen['saves']} ({FIX})"
    assert seen["identical"], f"{path.name} changed on disk after being opened ({FIX})"


def _diff(a, b):
    """Keys whose values differ between two dicts: {key: 'added' | 'removed' | 'changed'}."""
    return {
        k: ("added" if k not in a else "removed" if k not in b else "changed")
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    }


def test_run_all_then_save_changes_only_outputs(session, opened):
    lab, page, saves, copied = session
    relpath = f"notebooks/{RUN_LESSON}"
    disk = lab.root / relpath
    _open(page, lab, relpath, first=False)
    before = page.evaluate(_JS_STATE)
    page.evaluate(_JS_SAVE)
    untouched_save_identical = disk.read_bytes() == copied[RUN_LESSON]
    untouched_save_equal = json.loads(disk.read_bytes()) == json.loads(copied[RUN_LESSON])

    t0 = time.monotonic()
    bl.run_all(page)
    run_s = time.monotonic() - t0
    page.wait_for_timeout(1000)
    errors = bl.python_errors(page) + bl.kernel_errors(page)
    page.evaluate(_JS_SAVE)
    old, new = json.loads(copied[RUN_LESSON]), json.loads(disk.read_text(encoding="utf-8"))
    page.evaluate(_JS_CLOSE)
    lab.shutdown_kernels()

    top = _diff(old["metadata"], new["metadata"])
    versions = ((old["nbformat"], old["nbformat_minor"]), (new["nbformat"], new["nbformat_minor"]))
    structure_same = [(c["id"], c["cell_type"], c["source"]) for c in old["cells"]] == [
        (c["id"], c["cell_type"], c["source"]) for c in new["cells"]
    ]
    cell_meta = {}
    for o, n in zip(old["cells"], new["cells"]):
        for key, change in _diff(o.get("metadata", {}), n.get("metadata", {})).items():
            cell_meta.setdefault(f"{key}: {change}", []).append(o["id"])
    outputs_changed = sum(o.get("outputs") != n.get("outputs") for o, n in zip(old["cells"], new["cells"]))
    changed_kinds = sorted(
        {
            k
            for o, n in zip(old["cells"], new["cells"])
            if o.get("outputs") != n.get("outputs")
            for out in n.get("outputs", [])
            for k in out.get("data", {out.get("output_type"): 0})
        }
    )
    widgets = old["metadata"].get("widgets"), new["metadata"].get("widgets")
    state = (widgets[1] or {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    views = [
        d["application/vnd.jupyter.widget-view+json"]["model_id"]
        for c in new["cells"]
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        for d in [o["data"]]
    ]
    print(
        f"\n{RUN_LESSON}: dirty after open {before['dirty']}; a save of the untouched lesson: JSON equal "
        f"{untouched_save_equal}, byte-identical {untouched_save_identical}; run all {run_s:.1f} s, kernel errors {errors}\n"
        f"  after run all + save: nbformat {versions[0]} -> {versions[1]}; notebook metadata changed: "
        f"{top or 'nothing'}; ids/types/sources unchanged: {structure_same}\n"
        f"  cell metadata changed: { {k: len(v) for k, v in cell_meta.items()} or 'nothing' }; "
        f"cells whose outputs changed: {outputs_changed} of {len(old['cells'])} ({', '.join(changed_kinds)}); "
        f"widget state kept as committed: {widgets[0] == widgets[1]}; widget views in the outputs whose "
        f"model is in the saved state: {sum(v in state for v in views)} of {len(views)}"
    )

    assert not before["dirty"], f"{RUN_LESSON} is marked modified after its kernel connected ({FIX})"
    assert untouched_save_equal, f"saving the untouched {RUN_LESSON} changed its content ({FIX})"
    assert not errors, f"errors while running {RUN_LESSON}: {errors}"
    assert versions[0] == versions[1], f"saving changed nbformat {versions[0]} -> {versions[1]}"
    assert structure_same, "saving changed cell ids, types or sources"
    assert set(top) <= {"widgets"}, f"saving changed the notebook metadata besides widget state: {top}"
    assert set(cell_meta) <= {"execution: removed"}, (
        f"saving changed cell metadata besides the timing that Lab drops when it runs a cell: {cell_meta}"
    )
