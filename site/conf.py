"""Sphinx configuration of the course's static website (built by scripts/build_site.py, `make site`).

The source folder is a temporary copy that scripts/build_site.py prepares: the committed notebooks with their
slider panels replaced by each panel's default figure, the start page as index.ipynb, images/, and the
credits and instructors pages. Nothing is executed and nothing is loaded from another host: MathJax is served
from the copy that the PyPI package sphinx-mathjax-offline ships.
"""
import importlib.util
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent

project = "How neural networks are trained"
author = "the course's authors"
copyright = "the course's authors"

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The committed notebooks are already executed: show their stored outputs, run nothing.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# A lesson may skip a heading level (H1 to H3); that is the lesson's prose, not a broken page.
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]


def _mathjax_dir():
    """The folder `static/mathjax/` of sphinx-mathjax-offline: MathJax 3.2.2 with its fonts and extensions."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("sphinx-mathjax-offline is not installed: pip install -r requirements-site.txt")
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"


MATHJAX_DIR = _mathjax_dir()
mathjax_path = "mathjax/tex-chtml.js"  # relative: served from _static/, no CDN
html_static_path = [str(HERE / "_static")]
html_css_files = ["course.css"]

html_theme = "sphinx_book_theme"
html_title = project
html_copy_source = False
html_show_sourcelink = False
html_show_sphinx = False
html_last_updated_fmt = None
# Light by default: the lessons' figures are drawn for a white page (an empty default makes the theme log an
# "invalid theme mode" console error); the reader can still switch.
html_context = {"default_mode": "light"}
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}


def _copy_mathjax(app, exception):
    """Copy MathJax into _static/mathjax: the one combined file the pages load (tex-chtml.js) and what it loads
    on demand (fonts, TeX extensions, the menu, accessibility); not the other combined files (14 MB)."""
    if exception is not None or app.builder.format != "html":
        return
    bundles = {p.name for p in MATHJAX_DIR.glob("*.js")} - {"tex-chtml.js"}
    shutil.copytree(MATHJAX_DIR, pathlib.Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if n in bundles and folder == str(MATHJAX_DIR)]
                    + (["svg", "svg.js"] if folder.endswith("output") else []))


def setup(app):
    app.connect("build-finished", _copy_mathjax)
