"""Run a lesson over a grid of parameter values and collect its key outcomes in one table.

    make sweep LESSON=03 PARAMS="lr=0.001,0.01,0.1,1 seed=0,1,2"
    .venv/bin/python scripts/sweep.py --lesson 03 --params "lr=0.001,0.01,0.1,1 seed=0,1,2" [--jobs 2]
        [--x lr] [--y surface_final_loss] [--out build/sweeps/03-lr-seed]

Every combination of the values (the grid) is executed with papermill, in parallel on every core, into the
output folder, which then holds: the executed notebooks (run-001.ipynb, ...), results.csv (one row per run: its
parameters, "ok" or the lesson's one-line error, and the outcomes the lesson recorded with
nncourse.notebook.record) and a plot of one outcome against one swept parameter (results.png). A run whose
parameters the lesson rejects appears in the table with its error; the other runs go on.

Values are comma-separated; each is read as a Python literal (3, 0.1, True, None, 'adam' or adam) and a value
holding commas goes in brackets: widths=[1,2,3],[4,8]. Parameter names are checked against the lesson's
parameters cell before anything runs.
"""

import argparse
import ast
import concurrent.futures as cf
import csv
import difflib
import itertools
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


class SweepError(ValueError):
    """A bad command line: said in one line."""


def find_lesson(number):
    """notebooks/NN_*.ipynb for a lesson number such as 3 or '03'."""
    text = str(number).strip()
    if not text.isdigit():
        raise SweepError(f"LESSON must be a lesson number such as 03, got {text!r}")
    hits = sorted(NOTEBOOKS.glob(f"{int(text):02d}_*.ipynb")) if int(text) > 0 else []
    if not hits:
        have = ", ".join(p.name[:2] for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.name[:2] != "00")
        raise SweepError(f"no lesson {int(text):02d}; the lessons are {have} (00 is the start page)")
    return hits[0]


def split_values(text):
    """'0.1,[1,2],adam' -> ['0.1', '[1,2]', 'adam']: commas inside brackets or quotes do not split."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_value(text):
    """A Python literal if it is one (3, 0.1, True, None, [1, 2], 'adam'), else the text itself (adam)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return tuple(value) if isinstance(value, list) else value


def parse_grid(spec, known):
    """'lr=0.1,1 seed=0,1' -> {'lr': [0.1, 1], 'seed': [0, 1]}, names checked against `known`."""
    grid = {}
    for item in spec.split():
        name, sep, values = item.partition("=")
        if not sep or not name or not values:
            raise SweepError(f"PARAMS items look like name=v1,v2,...; got {item!r}")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SweepError(f"the lesson has no parameter {name!r}; its parameters are: {', '.join(known)}{hint}")
        if name in grid:
            raise SweepError(f"parameter {name!r} is given twice")
        grid[name] = [parse_value(v) for v in split_values(values)]
        if any(v == "" for v in grid[name]):
            raise SweepError(f"{name} has an empty value in {values!r}")
    if not grid:
        raise SweepError('PARAMS names at least one parameter, e.g. PARAMS="lr=0.01,0.1 seed=0,1"')
    return grid


def combinations(grid):
    """Every combination of the grid's values, as parameter dicts, in a fixed order."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def run_one(lesson, params, out_path):
    """Execute the lesson with `params` into out_path: ('ok', outcomes) or ('error', one-line message)."""
    import nbformat
    import papermill

    from nncourse import notebook as outcomes

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        papermill.execute_notebook(
            str(lesson),
            str(out_path),
            parameters=params,
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    except papermill.PapermillExecutionError as err:
        return "error", f"{err.ename}: {err.evalue}".splitlines()[0], {}
    except Exception as err:  # the kernel died, a timeout, ...: still one row in the table
        return "error", f"{type(err).__name__}: {err}".splitlines()[0], {}
    return "ok", "", outcomes.read(nbformat.read(out_path, as_version=4))


def plot(rows, names, x, y, path):
    """y (an outcome) against x (a swept parameter), one line per combination of the other parameters."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [n for n in names if n != x]
    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=120)
    groups = {}
    for row in rows:
        if row["status"] == "ok" and isinstance(row.get(y), (int, float)) and not isinstance(row.get(y), bool):
            groups.setdefault(tuple(row[n] for n in others), []).append((row[x], row[y]))
    for key, points in groups.items():
        numeric = all(isinstance(p[0], (int, float)) and not isinstance(p[0], bool) for p in points)
        points.sort(key=(lambda p: p[0]) if numeric else (lambda p: str(p[0])))
        xs = [p[0] for p in points]
        label = ", ".join(f"{n}={v}" for n, v in zip(others, key)) or y
        ax.plot(xs if numeric else [str(v) for v in xs], [p[1] for p in points], "o-", label=label)
    xs = [r[x] for r in rows if isinstance(r[x], (int, float)) and not isinstance(r[x], bool)]
    if xs and min(xs) > 0 and max(xs) / min(xs) >= 100:
        ax.set_xscale("log")
    ys = [v for pts in groups.values() for _, v in pts]
    if ys and min(ys) > 0 and max(ys) / min(ys) >= 100:
        ax.set_yscale("log")
    ax.set(xlabel=x, ylabel=y, title=f"{y} against {x}")
    if len(groups) > 1:
        ax.legend(fontsize=8)
    failed = sum(r["status"] != "ok" for r in rows)
    if failed:
        ax.text(
            0.01,
            0.01,
            f"{failed} run(s) rejected or failed: see results.csv",
            transform=ax.transAxes,
            fontsize=8,
            color="#b00020",
        )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lesson", required=True, help="lesson number, e.g. 03")
    ap.add_argument("--params", required=True, help='e.g. "lr=0.001,0.01,0.1,1 seed=0,1,2"')
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: every core)")
    ap.add_argument("--out", help="output folder (default build/sweeps/<lesson>-<parameters>)")
    ap.add_argument("--x", help="swept parameter on the plot's x axis (default: the first)")
    ap.add_argument("--y", help="outcome on the plot's y axis (default: the first numeric outcome that varies)")
    args = ap.parse_args(argv)
    try:
        import papermill

        lesson = find_lesson(args.lesson)
        known = list(papermill.inspect_notebook(str(lesson)))
        grid = parse_grid(args.params, known)
        if args.jobs < 1:
            raise SweepError(f"--jobs must be at least 1, got {args.jobs}")
        if args.x is not None and args.x not in grid:
            raise SweepError(f"--x must be a swept parameter ({', '.join(grid)}), got {args.x!r}")
    except SweepError as err:
        print(f"sweep: {err}", file=sys.stderr)
        return 2
    runs = combinations(grid)
    out = pathlib.Path(args.out or ROOT / "build" / "sweeps" / f"{lesson.stem[:2]}-{'-'.join(grid)}")
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"{lesson.name}: {len(runs)} runs of {' x '.join(f'{len(v)} {n}' for n, v in grid.items())}, "
        f"{args.jobs} at a time, into {out}",
        flush=True,
    )
    start = time.time()
    rows = [None] * len(runs)
    with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_one, lesson, params, out / f"run-{i + 1:03d}.ipynb"): i for i, params in enumerate(runs)
        }
        for done in cf.as_completed(futures):
            i = futures[done]
            status, error, found = done.result()
            rows[i] = {**runs[i], "status": status, "error": error, **found, "notebook": f"run-{i + 1:03d}.ipynb"}
            print(f"  run {i + 1:3d}/{len(runs)} {runs[i]}: {status if status == 'ok' else error}", flush=True)
    outcome_names = [k for row in rows for k in row if k not in grid and k not in ("status", "error", "notebook")]
    outcome_names = list(dict.fromkeys(outcome_names))
    columns = [*grid, "status", "error", *outcome_names, "notebook"]
    with (out / "results.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in columns})
    numeric = [
        k
        for k in outcome_names
        if any(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) for r in rows)
    ]
    varying = [k for k in numeric if len({r.get(k) for r in rows if r["status"] == "ok"}) > 1]
    y = args.y or (varying or numeric or [None])[0]  # by default an outcome the sweep changes
    if y is not None:
        if y not in outcome_names:
            print(
                f"sweep: --y must be an outcome the lesson recorded ({', '.join(outcome_names)}), got {y!r}",
                file=sys.stderr,
            )
            return 2
        plot(rows, list(grid), args.x or next(iter(grid)), y, out / "results.png")
    ok = sum(r["status"] == "ok" for r in rows)
    print(
        f"{ok} of {len(rows)} runs ok in {time.time() - start:.0f} s; table {out / 'results.csv'}"
        + (f", plot {out / 'results.png'}" if y else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
