"""The portability check: do the lessons show the same numbers under every BLAS kernel this CPU can run?

Different CPUs make numpy's OpenBLAS pick different kernels, which sum a matrix product in different orders; a
result that depends on that order is one a learner on another machine sees differently. This script re-runs the
numeric tests and nbval (every committed notebook's outputs) once per kernel, selecting the kernel with
OPENBLAS_CORETYPE in that one command's environment (never in make test or CI), confirms with threadpoolctl which
kernel actually ran, and reports every test and notebook output that changes.

    .venv/bin/python scripts/portability.py           # the CPU's default, Haswell, Prescott, Haswell without AVX-512
    .venv/bin/python scripts/portability.py SkylakeX Zen Sandybridge    # named kernels only

Writes build/portability/report.md (and one pytest log per kernel) and exits 1 if any kernel fails a test.
Takes about 2 minutes per kernel on 2 cores. Not part of `make test`: run it before you stop (make portability).
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
OUT = ROOT / "build" / "portability"
# The CPU's own choice, the AVX2 kernel most laptops run, the plain SSE kernel, and an AVX2 laptop's numpy (its own
# loops without AVX-512 too). Others (SkylakeX, Zen, Sandybridge, ...) by name.
CANDIDATES = ["default", "Haswell", "Prescott", "Haswell+noavx512"]
NUMPY_FEATURES_OFF = "X86_V4 AVX512_ICL"  # numpy 2.4 dispatches its AVX-512 loops as these groups


def environment(kernel):
    """This process's environment with the kernel selected (default: the variables unset, so OpenBLAS picks by
    the CPU). 'Haswell+noavx512' also switches off numpy's own AVX-512 loops, as on a laptop without AVX-512."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_CORETYPE")}
    env.pop("OPENBLAS_L2_SIZE", None)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    name = kernel.split("+")[0]
    if name != "default":
        env["OPENBLAS_CORETYPE"] = name
        if "OPENBLAS_L2_SIZE" in os.environ:
            env["OPENBLAS_L2_SIZE"] = os.environ["OPENBLAS_L2_SIZE"]
    if kernel.endswith("+noavx512"):
        env["NPY_DISABLE_CPU_FEATURES"] = NUMPY_FEATURES_OFF
    return env


def kernel_in_use(env):
    """What threadpoolctl reports for numpy's OpenBLAS in that environment (None if it does not start)."""
    code = (
        "import numpy, threadpoolctl; "
        "print([i.get('architecture') for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'][0])"
    )
    proc = subprocess.run([str(PYTHON), "-c", code], env=env, capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def run_tests(kernel, env):
    """pytest with nbval on every numeric test and notebook (no browser, nothing marked slow):
    (exit code, {test id: first lines of the failure})."""
    xml = OUT / f"{kernel}.xml"
    cmd = [
        str(PYTHON),
        "-m",
        "pytest",
        "-n",
        "2",
        "--dist",
        "loadfile",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-m",
        "not browser and not slow",
        "-q",
        "-p",
        "no:randomly",
        f"--junitxml={xml}",
        # not numeric: a fresh learners' environment and the nbgrader round trip
        "--ignore",
        "tests/test_learner_env.py",
        "--ignore",
        "tests/test_assignments.py",
        "tests",
        "notebooks",
    ]
    log = OUT / f"{kernel}.log"
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    return proc.returncode, _failures(xml)


def _failures(xml):
    import xml.etree.ElementTree as ET

    if not xml.exists():
        return {"(pytest did not finish)": ""}
    out = {}
    for case in ET.parse(xml).iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            name = f"{case.get('classname')}::{case.get('name')}"
            text = re.sub(r"\x1b\[[0-9;]*m", "", bad.text or bad.get("message") or "")
            diff = [line for line in text.splitlines() if line.lstrip().startswith(("+ ", "- ", "E "))]
            out[name] = "\n".join(diff[:12])
    return out


def main(argv):
    kernels = argv or CANDIDATES
    OUT.mkdir(parents=True, exist_ok=True)
    rows, details, ok = [], [], True
    for kernel in kernels:
        env = environment(kernel)
        arch = kernel_in_use(env)
        if arch is None:
            rows.append(f"| {kernel} | does not run on this CPU | – | – |")
            continue
        start = time.time()
        code, failures = run_tests(kernel, env)
        minutes = (time.time() - start) / 60
        ok &= code == 0 and not failures
        rows.append(
            f"| {kernel} | {arch} | {'passed' if code == 0 else f'{len(failures)} failed'} | {minutes:.1f} min |"
        )
        for name, diff in failures.items():
            details.append(f"### {kernel}: {name}\n```\n{diff}\n```")
        print(rows[-1], flush=True)
    report = [
        "# Portability check",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, `{' '.join(sys.argv)}`",
        "",
        "| kernel asked for | kernel that ran (threadpoolctl) | numeric tests + nbval | time |",
        "|---|---|---|---|",
        *rows,
        "",
        *(details or ["Every output is identical under every kernel."]),
    ]
    (OUT / "report.md").write_text("\n".join(report) + "\n")
    (OUT / "report.json").write_text(json.dumps({"rows": rows, "ok": ok}, indent=1))
    print("\n".join(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
