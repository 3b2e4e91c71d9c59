"""Every lesson as a stand-alone HTML page that works offline (`make html`): nbconvert's HTML with MathJax served
from a copy beside the pages instead of a CDN.

    .venv/bin/python scripts/export_html.py                  # into build/html/
    .venv/bin/python scripts/export_html.py --out /tmp/html

`jupyter nbconvert --to html` alone loads MathJax and require.js from cdnjs.cloudflare.com, so a page opened
without internet shows raw `$...$`. Here each page loads MathJax 3 from `mathjax/` (the copy that
sphinx-mathjax-offline ships, in requirements-site.txt, as `make site` uses), configured for the notebooks' `$...$`
and `$$...$$`; require.js, which only widget code needs, is dropped (the notebooks store no widget state: each panel
shows its default figure, as on GitHub). Links between lessons point at their pages, and the pictures are copied
beside them (pages in notebooks/, pictures in images/, as in the repository).
"""

import argparse
import importlib.util
import pathlib
import re
import shutil
import sys

import nbformat
from nbconvert import HTMLExporter

ROOT = pathlib.Path(__file__).resolve().parents[1]
MATHJAX_PACKAGE = "sphinx-mathjax-offline"  # its folder is named with hyphens, as its distribution is

# MathJax 3, told the delimiters the notebooks use (JupyterLab's own), before it loads.
MATHJAX = """<script>
window.MathJax = {tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
                        processEscapes: true, tags: "ams"},
                  options: {skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"]}};
</script>
<script defer src="../mathjax/tex-chtml.js"></script>"""

_CDN_MATHJAX = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">\s*</script>')
_CDN_REQUIRE = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"]*">\s*</script>')
_MATHJAX2_CONFIG = re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.S)
_LESSON_LINK = re.compile(r'href="(\d\d_[A-Za-z0-9_]+)\.ipynb(#[^"]*)?"')


def mathjax_folder():
    """The MathJax 3 distribution inside sphinx-mathjax-offline, or None when it is not installed."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = pathlib.Path(spec.origin).parent / "static" / "mathjax"
    return folder if (folder / "tex-chtml.js").is_file() else None


def offline(html):
    """nbconvert's page with the CDN scripts replaced by the local MathJax and lesson links made page links."""
    html, found = _CDN_MATHJAX.subn(lambda _: MATHJAX, html)  # a function: the backslashes stay as written
    if found != 1:
        raise RuntimeError("nbconvert's page has no MathJax script to replace: its template changed")
    html = _MATHJAX2_CONFIG.sub("", html)
    html = _CDN_REQUIRE.sub("", html)
    return _LESSON_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)


def export(out):
    """Write notebooks/<lesson>.html for every notebook, images/ and mathjax/ into `out`; return the pages."""
    mathjax = mathjax_folder()
    if mathjax is None:
        raise SystemExit(f"{MATHJAX_PACKAGE} is not installed: .venv/bin/pip install -r requirements-site.txt")
    out = pathlib.Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    shutil.copytree(mathjax, out / "mathjax")
    shutil.copytree(ROOT / "images", out / "images")
    exporter = HTMLExporter(template_name="lab")
    pages = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        html, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
        page = out / "notebooks" / f"{path.stem}.html"
        page.write_text(offline(html), encoding="utf-8")
        pages.append(page)
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "html"), help="the folder to write (replaced)")
    args = parser.parse_args(argv)
    pages = export(args.out)
    print(f"{len(pages)} pages in {args.out}/notebooks/ (open {pages[0].name} there; works offline)")


if __name__ == "__main__":
    sys.exit(main())
