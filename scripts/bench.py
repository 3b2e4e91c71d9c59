"""How fast the course is, measured in one run on this machine (`make bench`; not part of the test suite).

1. Training (forward + backward + SGD step) on the course's problem sizes, three ways from the same initial
   weights and the same mini-batches: the library's `fit`, a minimal hand-written NumPy loop (the practical
   limit for NumPy code) and PyTorch's CPU eager mode (optional: skipped when torch is not installed).
   The three final losses are compared first, so the timings are of the same computation. Each timing is the
   median of several repeats, interleaved so that a slow moment of the machine hits all three alike.
2. Every `*_panel()` factory in `nncourse.lessons.*`: one slider update (retrain + redraw + PNG) at the
   default settings with the cache cleared, median and worst, plus one move of each control.
3. Each lesson notebook executed headless (nbclient, kernel start included), and the whole course.

    .venv/bin/python scripts/bench.py                 # everything
    .venv/bin/python scripts/bench.py training        # one or more of: training sliders notebooks
    .venv/bin/python scripts/bench.py --quick         # fewer repeats, for a quick look

Targets (docs/benchmarks.md): library / hand loop <= 1.25 at every size; slider update median < 150 ms;
whole course < 60 s headless. Prints Markdown tables.
"""

import argparse
import importlib
import inspect
import os
import pathlib
import pkgutil
import platform
import statistics
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


# --- the machine -------------------------------------------------------------------------------------------


def machine_report():
    lines = [f"- Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} cores ({_cpu_model()})"]
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                lines.append(
                    f"- BLAS: {info.get('internal_api')} {info.get('version')}, kernel "
                    f"{info.get('architecture')}, {info.get('num_threads')} threads"
                )
    except ImportError:
        lines.append("- BLAS: unknown (threadpoolctl not installed)")
    if hasattr(os, "getloadavg"):
        lines.append(
            "- load average when the run started (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"- {var}={os.environ[var]}")
    torch = _torch()
    lines.append(
        f"- PyTorch {torch.__version__}, {torch.get_num_threads()} threads"
        if torch
        else "- PyTorch: not installed (its column is skipped; `make bench` installs it)"
    )
    return "\n".join(lines)


def _cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _torch():
    try:
        import torch

        return torch
    except ImportError:
        return None


def interleaved_medians(fns, repeats, pause=0.2):
    """{name: median seconds} calling each fn in turn, `repeats` rounds (after one warm-up round). The order
    rotates every round and each call follows a pause: PyTorch's worker threads keep spinning for a while after
    its calls, and would otherwise slow down whichever trainer always came next."""
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats + 1):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            time.sleep(pause)
            t = time.perf_counter()
            fns[name]()
            if r:
                times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


# --- 1. training -------------------------------------------------------------------------------------------


def training_problems():
    """The course's sizes: (label, X, Y, layer sizes, loss name, lr, batch size or None, epochs per timing)."""
    from nncourse.datasets.digits import load_digits, one_hot
    from nncourse.datasets.synthetic import make_classification

    X2, y2 = make_classification("moons", 300, np.random.default_rng(0))
    Xd, labels = load_digits()
    Yd = one_hot(labels, 10)
    return [
        ("2-16-16-1, 300 points, full batch", X2, y2, [2, 16, 16, 1], "bce", 0.5, None, 300),
        ("2-64-64-1, 300 points, full batch", X2, y2, [2, 64, 64, 1], "bce", 0.5, None, 150),
        ("64-128-10, digits (1797), batches of 64", Xd, Yd, [64, 128, 10], "softmax_ce", 0.1, 64, 3),
    ]


def batch_indices(n, batch_size, epochs, seed=1):
    """The row indices of every mini-batch, in order, as `fit` draws them (None: full batch, no shuffle)."""
    if batch_size is None or batch_size >= n:
        return [slice(None)] * epochs
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        out.extend(np.array_split(rng.permutation(n), int(np.ceil(n / batch_size))))
    return out


def library_trainer(X, Y, sizes, loss, lr, batch_size, epochs, weights):
    from nncourse.core.model import mlp
    from nncourse.core.optim import SGD
    from nncourse.core.train import fit
    from nncourse.datasets.digits import softmax_cross_entropy

    model = mlp(sizes, rng=np.random.default_rng(0))
    loss_fn = "bce_with_logits" if loss == "bce" else softmax_cross_entropy

    def train():
        model.set_weights(weights)
        hist = fit(
            model,
            X,
            Y,
            loss=loss_fn,
            optimizer=SGD(lr),
            epochs=epochs,
            batch_size=batch_size,
            rng=np.random.default_rng(1),
        )
        return hist.loss[-1]

    return train


def hand_trainer(X, Y, sizes, loss, lr, batch_size, epochs, weights):
    """The shortest honest NumPy loop for a ReLU MLP: no classes, no checks, no records."""
    batches = batch_indices(len(X), batch_size, epochs)
    last = len(sizes) - 2

    def train():
        Ws = [w["W"].copy() for w in weights if w]
        bs = [w["b"].copy() for w in weights if w]
        for idx in batches:
            x, t = X[idx], Y[idx]
            acts = [x]
            for i, (W, b) in enumerate(zip(Ws, bs)):
                z = acts[-1] @ W + b
                acts.append(z if i == last else np.maximum(z, 0.0))
            z = acts[-1]
            if loss == "bce":
                e = np.exp(-np.abs(z))
                value = float(np.mean(np.maximum(z, 0.0) - t * z + np.log1p(e)))
                d = (np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - t) / z.size
            else:
                s = z - z.max(axis=1, keepdims=True)
                log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
                value = -float(np.sum(t * log_p)) / len(z)
                d = (np.exp(log_p) - t) / len(z)
            for i in range(last, -1, -1):
                dW, db = acts[i].T @ d, d.sum(axis=0)
                if i:
                    d = (d @ Ws[i].T) * (acts[i] > 0)
                Ws[i] -= lr * dW
                bs[i] -= lr * db
        return value

    return train


def torch_trainer(X, Y, sizes, loss, lr, batch_size, epochs, weights):
    torch = _torch()
    layers = []
    weights = [w for w in weights if w]  # the Dense layers' {W, b}
    for i, w in enumerate(weights):
        lin = torch.nn.Linear(*w["W"].shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w["W"].T.copy()))
            lin.bias.copy_(torch.from_numpy(w["b"]))
        layers += [lin, torch.nn.ReLU()] if i < len(weights) - 1 else [lin]
    net = torch.nn.Sequential(*layers)
    start = [p.detach().clone() for p in net.parameters()]
    Xt = torch.from_numpy(np.ascontiguousarray(X))
    Yt = torch.from_numpy(Y) if loss == "bce" else torch.from_numpy(np.argmax(Y, axis=1))
    batches = [
        (Xt[torch.from_numpy(np.asarray(idx))], Yt[torch.from_numpy(np.asarray(idx))])
        if not isinstance(idx, slice)
        else (Xt, Yt)
        for idx in batch_indices(len(X), batch_size, epochs)
    ]
    loss_fn = torch.nn.BCEWithLogitsLoss() if loss == "bce" else torch.nn.CrossEntropyLoss()

    def train():
        with torch.no_grad():
            for p, p0 in zip(net.parameters(), start):
                p.copy_(p0)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        for xb, tb in batches:
            opt.zero_grad()
            value = loss_fn(net(xb), tb)
            value.backward()
            opt.step()
        return float(value.detach())

    return train


def bench_training(repeats):
    from nncourse.core.model import mlp

    rows = []
    for label, X, Y, sizes, loss, lr, batch_size, epochs in training_problems():
        weights = mlp(sizes, rng=np.random.default_rng(0)).get_weights()
        args = (X, Y, sizes, loss, lr, batch_size, epochs, weights)
        fns = {"library": library_trainer(*args), "hand": hand_trainer(*args)}
        if _torch():
            fns["torch"] = torch_trainer(*args)
        finals = {name: fn() for name, fn in fns.items()}
        for name, value in finals.items():  # the same computation, or the timings mean nothing
            if not np.isclose(value, finals["hand"], rtol=1e-6, atol=1e-12):
                raise SystemExit(f"{label}: {name} ends at loss {value!r}, the hand loop at {finals['hand']!r}")
        steps = len(batch_indices(len(X), batch_size, epochs))
        med = interleaved_medians(fns, repeats)
        per_step = {name: 1e6 * t / steps for name, t in med.items()}
        rows.append((label, steps, per_step, finals["hand"]))
    lines = [
        "| network and data | steps | hand loop µs/step | library µs/step | PyTorch µs/step "
        "| library / hand | PyTorch / hand |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, steps, per, _final in rows:
        torch_cols = (
            (f"{per['torch']:.0f} | ", f"{per['torch'] / per['hand']:.2f}") if "torch" in per else ("– | ", "–")
        )
        lines.append(
            f"| {label} | {steps} | {per['hand']:.0f} | {per['library']:.0f} | {torch_cols[0]}"
            f"{per['library'] / per['hand']:.2f} | {torch_cols[1]} |"
        )
    return "\n".join(lines)


# --- 2. slider panels ------------------------------------------------------------------------------------


def panel_factories():
    """[(module name, factory name, factory)] for every `*_panel` function defined in nncourse.lessons."""
    from nncourse import lessons

    out = []
    for info in sorted(pkgutil.iter_modules(lessons.__path__), key=lambda i: i.name):
        try:
            module = importlib.import_module(f"nncourse.lessons.{info.name}")
        except Exception as exc:  # a lesson being written: report it, measure the rest
            out.append((info.name, "(import)", exc))
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.endswith("_panel") and fn.__module__ == module.__name__ and _callable_bare(fn):
                out.append((info.name, name, fn))
    return out


def _callable_bare(fn):
    """A factory: not a run_/plot_ helper, and callable with no arguments."""
    if fn.__name__.startswith(("run_", "plot_")):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        for p in inspect.signature(fn).parameters.values()
    )


def _lesson_of(factory_name):
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if f"{factory_name}(" in path.read_text(encoding="utf-8"):
            return path.stem
    return "–"


def _neighbour(widget):
    """Another value for a control, one step away (as one arrow-key press or menu choice)."""
    import ipywidgets as w

    if isinstance(widget, w.FloatLogSlider):
        up = widget.value * widget.base**widget.step
        return up if up <= widget.base**widget.max * (1 + 1e-12) else widget.value / widget.base**widget.step
    if isinstance(widget, (w.FloatSlider, w.IntSlider)):
        up = widget.value + widget.step
        return up if up <= widget.max else widget.value - widget.step
    if isinstance(widget, w.Checkbox):
        return not widget.value
    options = [o[1] if isinstance(o, tuple) else o for o in getattr(widget, "options", ())]
    if len(options) > 1:
        return options[(options.index(widget.value) + 1) % len(options)]
    return None


def time_panel(factory, repeats):
    """(build s, [update s at defaults], {control: update s after one move}, median run s, median redraw s,
    median CPU s of an update: this process's CPU time, which a busy machine inflates less than wall time)."""
    from nncourse.panels import SliderPanel

    t = time.perf_counter()
    panel = factory()
    build = time.perf_counter() - t
    if not isinstance(panel, SliderPanel):
        raise TypeError(f"returned {type(panel).__name__}, not a SliderPanel")
    cache = getattr(panel, "_cache", None)
    at_default, cpu, runs, redraws = [], [], [], []
    for _ in range(repeats):
        if cache is not None:
            cache.clear()
        t, c = time.perf_counter(), time.process_time()
        panel.update()
        at_default.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if cache is not None:  # the same update in its two parts: run (retrain) and redraw (plot + PNG)
            cache.clear()
        t = time.perf_counter()
        panel.result = panel.compute()
        t2 = time.perf_counter()
        panel.redraw()
        runs.append(t2 - t)
        redraws.append(time.perf_counter() - t2)
    moves = {}
    for name, widget in panel.controls.items():
        value = _neighbour(widget)
        if value is None:
            continue
        old = widget.value
        if cache is not None:
            cache.clear()
        t = time.perf_counter()
        widget.value = value  # the panel observes it: rerun + redraw, as in the browser
        moves[name] = time.perf_counter() - t
        widget.value = old
    return build, at_default, moves, statistics.median(runs), statistics.median(redraws), statistics.median(cpu)


def bench_sliders(repeats):
    lines = [
        "| lesson | panel | update at defaults: median ms | CPU ms | of which run / redraw ms | worst ms "
        "(defaults, and one move of each control) | slowest move | build ms |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    medians = []
    for module, name, fn in panel_factories():
        if isinstance(fn, Exception):
            lines.append(f"| – | {module} | import failed: {type(fn).__name__}: {fn} | | | | | |")
            continue
        try:
            build, at_default, moves, run, redraw, cpu = time_panel(fn, repeats)
        except Exception as exc:
            lines.append(f"| {_lesson_of(name)} | {module}.{name} | failed: {type(exc).__name__}: {exc} | | | | | |")
            continue
        med = statistics.median(at_default)
        medians.append(med)
        worst = max(at_default + list(moves.values()))
        slowest = f"{max(moves, key=moves.get)} ({1e3 * max(moves.values()):.0f} ms)" if moves else "–"
        lines.append(
            f"| {_lesson_of(name)} | {module}.{name} | {1e3 * med:.0f} | {1e3 * cpu:.0f} | {1e3 * run:.0f} / "
            f"{1e3 * redraw:.0f} | {1e3 * worst:.0f} | {slowest} | {1e3 * build:.0f} |"
        )
    if medians:
        lines.append(
            f"\n{len(medians)} panels; {sum(m < 0.150 for m in medians)} of {len(medians)} have a median "
            f"update under 150 ms; slowest median {1e3 * max(medians):.0f} ms."
        )
    return "\n".join(lines)


# --- 3. notebooks headless ---------------------------------------------------------------------------------


def bench_notebooks():
    import nbformat
    from nbclient import NotebookClient

    lines = ["| notebook | headless execution s |", "|---|---:|"]
    total = 0.0
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        t = time.perf_counter()
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up notice, not the lesson's output
        except Exception as exc:
            lines.append(f"| {path.stem} | failed: {type(exc).__name__} |")
            continue
        seconds = time.perf_counter() - t
        total += seconds
        lines.append(f"| {path.stem} | {seconds:.1f} |")
    lines.append(f"| **whole course, one after another** | **{total:.1f}** |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", choices=["training", "sliders", "notebooks", []], default=[])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    parts = args.parts or ["training", "sliders", "notebooks"]
    print(f"## Benchmarks ({time.strftime('%Y-%m-%d')})\n\n{machine_report()}\n")
    if "training" in parts:
        print("### Training: time per step (median of the repeats), ratios to the hand-written NumPy loop\n")
        print(bench_training(3 if args.quick else 9) + "\n", flush=True)
    if "sliders" in parts:
        print("### Slider panels: one update (retrain + redraw + PNG), cache cleared\n")
        print(bench_sliders(3 if args.quick else 10) + "\n", flush=True)
    if "notebooks" in parts:
        print("### Lessons executed headless (nbclient, kernel start included)\n")
        print(bench_notebooks() + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
