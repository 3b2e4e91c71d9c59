"""Build the course's static website from the committed, executed notebooks (nothing is re-executed).

    .venv/bin/python scripts/build_site.py                  # into build/site/ (what `make site` runs)
    .venv/bin/python scripts/build_site.py --out /tmp/site --keep-source /tmp/site-src

Steps: copy the notebooks into a temporary Sphinx source folder, the start page as index.ipynb; replace every
slider panel (an ipywidgets output) by the PNG of its default figure that its output holds, with its settings,
its status line and how to run it live, so the pages need no widget JavaScript; turn mentions of lessons (`02_backpropagation.ipynb`) into links; point `../images/` at the copied
images/; add a page of sources and credits (README.md's "Sources" and each lesson's **Credits** paragraph)
and docs/instructors.md; then run Sphinx with site/conf.py (myst-nb, MathJax from a local copy).
"""

import argparse
import pathlib
import re
import shutil
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
START_PAGE = "00_start_here.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_LINE = "Interactive in JupyterLab: <code>make lab</code>, then run this lesson and move the sliders."
SITE_NOTE = """```{note}
You are reading the course's website: every lesson as it was executed, each slider panel shown as its figure at
the default settings. To run the lessons and move the sliders, open the course in JupyterLab (`make lab` in the
course folder, or the link your instructor gave you).
```"""


def page_name(notebook_name):
    """The site's source name of a notebook: the start page becomes the home page."""
    return "index.ipynb" if notebook_name == START_PAGE else notebook_name


# --- slider panels -> static figures ---------------------------------------------------------------------


def panel_outputs(output):
    """The outputs that stand for one widget output on the website (possibly none). A slider panel's output
    holds, besides the widget view, a PNG of its default figure with the settings under it and its settings and
    status as text (nncourse.panels.SliderPanel); another widget (a progress bar) has no static form."""
    data = output.get("data", {})
    if "image/png" not in data:
        return []
    # the PNG shows the settings and the status under the figure: the page adds only how to run it live
    return [
        nbformat.v4.new_output("display_data", data={"image/png": data["image/png"]}),
        _html_output(f'<p class="nncourse-panel-live">{LIVE_LINE}</p>'),
    ]


def _html_output(body):
    return nbformat.v4.new_output("display_data", data={"text/html": body})


def replace_widgets(nb):
    """Replace every widget view by its static outputs; drop any widget state. Returns the panels replaced."""
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if WIDGET_VIEW not in output.get("data", {}):
                outputs.append(output)
                continue
            static = panel_outputs(output)
            replaced += any("image/png" in o.get("data", {}) for o in static)
            outputs.extend(static)
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return replaced


# --- links ------------------------------------------------------------------------------------------------


def rewrite_markdown(text, lessons):
    """Lesson mentions and links -> links to the lesson pages; ../images/ -> images/."""

    def target(name):
        return page_name(name)

    # A bare mention in code spans, not already the text of a link: `02_backpropagation.ipynb`
    def mention(match):
        name = match.group(1)
        return f"[`{name}`]({target(name)})" if name in lessons else match.group(0)

    text = re.sub(r"(?<!\[)`(\d\d_[A-Za-z0-9_]+\.ipynb)`(?!\]\()", mention, text)
    text = re.sub(
        r"\]\((\d\d_[A-Za-z0-9_]+\.ipynb)((?:#[^)]*)?)\)", lambda m: f"]({target(m.group(1))}{m.group(2)})", text
    )
    text = re.sub(r"(?<!\[)`docs/instructors\.md`", "[`docs/instructors.md`](instructors.md)", text)
    text = text.replace("](../images/", "](images/").replace('src="../images/', 'src="images/')
    return text


def unlink_outside(text, pages):
    """Links from README.md or docs/ to repository files that are not on the site (`../requirements.txt`)
    keep their text and lose the link; web links, anchors and the site's own pages stay."""

    def keep(match):
        label, href = match.group(1), match.group(2)
        if re.match(r"[a-z]+:|#", href) or href.split("#")[0] in pages:
            return match.group(0)
        return label

    return re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)", keep, text)


NBVAL_MARKER = re.compile(r"^[ \t]*# NBVAL_[A-Z_]+[ \t]*\n?", re.MULTILINE)


def prepare_notebook(path, lessons):
    nb = nbformat.read(path, as_version=4)
    panels = replace_widgets(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_markdown(cell.source, lessons)
        elif cell.cell_type == "code":
            cell.source = NBVAL_MARKER.sub("", cell.source)  # test markers mean nothing to a reader
    return nb, panels


def lesson_title(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


# --- generated pages --------------------------------------------------------------------------------------


def readme_sources():
    """The body of README.md's '## Sources' section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Sources[ \t]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit("README.md has no '## Sources' section")
    return match.group(1).strip()


def lesson_credits(nb):
    """Each paragraph of a lesson that starts with **Credits.** or **Sources.**, without a trailing 'Next: ...'."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for paragraph in re.split(r"\n\s*\n", cell.source):
            if re.match(r"\s*\*\*(Credits|Sources)\.?\*\*", paragraph):
                paragraph = re.sub(r"\s*Next:.*\Z", "", paragraph.strip(), flags=re.DOTALL)
                found.append(re.sub(r"^\s*\*\*(Credits|Sources)\.?\*\*\s*", "", paragraph))
    return found


def credits_page(lessons_prepared):
    parts = ["# Sources and credits", "", readme_sources(), "", "## In the lessons", ""]
    for name, nb in lessons_prepared:
        paragraphs = lesson_credits(nb)
        if paragraphs:
            parts += [f"### {lesson_title(nb)}", ""]
            parts += [p + "\n" for p in paragraphs[:-1]]
            parts += [f"{paragraphs[-1]} ([the lesson]({page_name(name)}))", ""]
    parts += ["The lessons without a paragraph of their own credit the papers they redo where they use them.", ""]
    return "\n".join(parts)


def toctree(names):
    lines = ["```{toctree}", ":hidden:", ":maxdepth: 1", ""]
    lines += [pathlib.Path(n).stem for n in names]
    return "\n".join(lines + ["```"])


# --- build ------------------------------------------------------------------------------------------------


def prepare_source(src):
    """Write the Sphinx source folder; returns {page: panels replaced}."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    lessons = {p.name for p in notebooks}
    if START_PAGE not in lessons:
        raise SystemExit(f"notebooks/{START_PAGE} is missing")
    prepared, panels = [], {}
    for path in notebooks:
        nb, n = prepare_notebook(path, lessons)
        prepared.append((path.name, nb))
        panels[page_name(path.name)] = n
    shutil.copytree(ROOT / "images", src / "images")
    pages = {page_name(p.name) for p in notebooks} | {"credits.md", "instructors.md"}
    credits = unlink_outside(credits_page(prepared[1:]), pages)
    (src / "credits.md").write_text(credits, encoding="utf-8")
    instructors = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    (src / "instructors.md").write_text(unlink_outside(instructors, pages), encoding="utf-8")
    for picture in (ROOT / "docs").glob("*.png"):  # the guide's own pictures (screenshots of the site)
        shutil.copyfile(picture, src / picture.name)
    for name, nb in prepared:
        if name == START_PAGE:
            nb.cells.insert(1, nbformat.v4.new_markdown_cell(SITE_NOTE))
            toc = [n for n, _ in prepared if n != START_PAGE] + ["credits.md", "instructors.md"]
            nb.cells.append(nbformat.v4.new_markdown_cell(toctree(toc)))
        nbformat.write(nb, src / page_name(name))
    return panels


def build(out, keep_source=None, quiet=True):
    from sphinx.cmd.build import build_main

    out = pathlib.Path(out).resolve()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="nncourse-site-"))
    src = pathlib.Path(keep_source).resolve() if keep_source else tmp / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    try:
        panels = prepare_source(src)
        if out.exists():
            shutil.rmtree(out)
        args = [
            "-b",
            "html",
            "-c",
            str(ROOT / "site"),
            "-d",
            str(tmp / "doctrees"),
            "-j",
            "1",
            "--fail-on-warning",
            "--keep-going",
            str(src),
            str(out),
        ]
        if quiet:
            args.insert(0, "-q")
        if build_main(args) != 0:
            raise SystemExit("sphinx-build failed (warnings count as errors; see above)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (out / ".nojekyll").touch()  # GitHub Pages: serve _static/ and _images/ as they are
    return panels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "site"))
    parser.add_argument("--keep-source", help="also write the prepared Sphinx source folder here")
    parser.add_argument("--verbose", action="store_true", help="Sphinx's progress output")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    panels = build(args.out, args.keep_source, quiet=not args.verbose)
    print(
        f"site: {args.out}/index.html ({sum(panels.values())} slider panels as figures, "
        f"{time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
