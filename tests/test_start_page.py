"""The start page (notebooks/00_start_here.ipynb): markdown only, links every lesson in reading order, every link
resolves, and its time arithmetic adds up."""

import json
import re

from conftest import NOTEBOOKS, ROOT

START = NOTEBOOKS / "00_start_here.ipynb"


def _cells():
    return json.loads(START.read_text(encoding="utf-8"))["cells"]


def _markdown():
    return "\n".join("".join(c["source"]) for c in _cells())


def _lesson_rows():
    """[(number, file, minutes)] from the lesson table."""
    rows = re.findall(r"^\| (\d+) \| \[[^]]+\]\((\d\d_\w+\.ipynb)\) \|.*\| about (\d+) min \|$", _markdown(), re.M)
    return [(int(n), f, int(m)) for n, f, m in rows]


def test_start_page_is_markdown_only():
    cells = _cells()
    assert cells and all(c["cell_type"] == "markdown" for c in cells)


def test_every_lesson_is_listed_in_order():
    lessons = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p != START)
    rows = _lesson_rows()
    assert [f for _, f, _ in rows] == sorted(f for _, f, _ in rows), "the table follows the reading order"
    assert [n for n, _, _ in rows] == list(range(1, len(rows) + 1))
    assert set(lessons) <= {f for _, f, _ in rows}, "a lesson is missing from the start page"


def test_every_relative_link_resolves():
    links = re.findall(r"\]\(([^)\s]+)\)", _markdown())
    assert links
    for link in links:
        if "://" not in link:
            assert (NOTEBOOKS / link.split("#")[0]).exists(), link
    for path in re.findall(r"`((?:docs|lib/nncourse)/[\w./]+)`", _markdown()):
        assert (ROOT / path).exists(), path


def test_stated_times_add_up():
    text = _markdown()
    minutes = {n: m for n, _, m in _lesson_rows()}
    total = sum(minutes.values())
    assert f"about {total // 60} hours {total % 60} minutes" in text
    assert minutes[1] + minutes[2] + minutes[3] == 90 and "One sitting (about 1 ½ hours)" in text
    assert minutes[4] + minutes[5] + minutes[6] == 75 and "about 1 ¼ hours" in text
