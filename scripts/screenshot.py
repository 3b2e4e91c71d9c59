"""Take the README's screenshot of a lesson in JupyterLab, in Debian's headless Chromium: a private Lab server
on 127.0.0.1 serving a copy of the course, the lesson run in full, its first slider panel in view after one
slider move. Writes images/screenshot_lesson.png (or the path given).

    .venv/bin/python scripts/screenshot.py
    .venv/bin/python scripts/screenshot.py --lesson 06_trainability.ipynb --presses 2 --out /tmp/shot.png
"""

import argparse
import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import browser_lab as bl  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lesson", default="03_learning_rate_and_optimizers.ipynb")
    parser.add_argument("--presses", type=int, default=1, help="arrow-key presses on the panel's first slider")
    parser.add_argument("--out", default=str(ROOT / "images" / "screenshot_lesson.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    if bl.chromium_path() is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="nncourse-shot-"))
    try:
        root = bl.copy_course(ROOT, tmp)
        with bl.LabServer(root) as lab, sync_playwright() as p:
            browser = bl.launch_browser(p)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            bl.open_notebook(page, lab.url, f"notebooks/{args.lesson}")
            page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
            bl.run_all(page)
            panel = page.locator(bl.PANEL_SELECTOR).first
            img = panel.locator("img").first
            for _ in range(args.presses):
                before = bl.image_digest(img)
                bl.move_control(panel)
                bl.wait_for_new_image(img, before)
            errors = bl.python_errors(page) + bl.kernel_errors(page)
            if errors:
                raise SystemExit("the lesson shows Python errors:\n" + "\n".join(errors))
            # the panel's code cell at the top of the view, its sliders and figure below it
            panel.evaluate("el => el.closest('.jp-Cell').scrollIntoView({block: 'start'})")
            page.mouse.click(5, args.height - 5)  # move focus off the slider so its handle is not outlined
            page.wait_for_timeout(500)
            page.screenshot(path=args.out)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(args.out)


if __name__ == "__main__":
    main()
