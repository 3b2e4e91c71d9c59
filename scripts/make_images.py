"""Draw every picture registered in nncourse.diagrams into images/ (or the folder given as argument)."""

import pathlib
import sys

import matplotlib
import matplotlib.style

matplotlib.use("Agg")

from nncourse import diagrams  # noqa: E402

out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1] / "images"
out.mkdir(parents=True, exist_ok=True)
for name in diagrams.all_images():
    fig = diagrams.render(name)
    with matplotlib.style.context("nncourse.plotting.course"):  # "C0".."C7" are looked up when the picture is drawn
        fig.savefig(out / name, metadata={"Software": None})
    print(f"images/{name}")
