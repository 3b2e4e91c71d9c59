"""The course's pictures: every drawing registered in nncourse.diagrams renders, is committed in images/ at the
size the script makes, every picture a lesson shows exists, and scripts/make_images.py (`make images`) runs."""

import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import figure_audit
from conftest import NOTEBOOKS, ROOT
from nncourse import diagrams

IMAGES = ROOT / "images"
REGISTERED = sorted(diagrams.all_images())
# Pictures in images/ that no drawing function makes: the README's screenshot of a lesson in JupyterLab is
# taken in a real browser by scripts/screenshot.py.
NOT_DRAWN = {"screenshot_lesson.png"}


def test_some_pictures_are_registered():
    assert REGISTERED, "no drawing registered in nncourse.diagrams"


@pytest.mark.parametrize("name", REGISTERED)
def test_picture_renders_and_is_committed(name):
    fig = diagrams.render(name, dpi=50)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    pixels = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"), dtype=float)
    assert pixels.std() > 1.0, "the drawing is blank"
    assert (IMAGES / name).is_file(), f"images/{name} is missing: run `make images`"


@pytest.mark.parametrize("name", REGISTERED)
def test_picture_is_legible_and_colour_blind_safe(name):
    """tests/figure_audit.py's rules, on the picture as make_images.py draws it."""
    fig = diagrams.render(name)
    fig.savefig(io.BytesIO(), format="png")
    found = figure_audit.problems(fig)
    assert not found, "\n".join(found)


def test_every_file_in_images_is_made_by_a_script():
    files = {p.name for p in IMAGES.glob("*.png")}
    assert files - NOT_DRAWN <= set(REGISTERED), (
        f"not made by make_images.py: {sorted(files - NOT_DRAWN - set(REGISTERED))}"
    )


def test_every_picture_a_notebook_shows_exists():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        for target in re.findall(r"!\[[^]]*\]\(([^)\s]+\.png)\)", text):
            assert (NOTEBOOKS / target).resolve().is_file(), f"{path.name} shows {target}, which does not exist"


def test_make_images_script_writes_every_registered_picture(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_images.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert not out.stderr.strip(), out.stderr
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == REGISTERED
    for name in written:  # a committed picture drawn at another size than the script's is stale
        with Image.open(tmp_path / name) as fresh, Image.open(IMAGES / name) as committed:
            assert fresh.size == committed.size, f"images/{name} is out of date: run `make images`"
