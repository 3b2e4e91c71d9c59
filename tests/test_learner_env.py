"""The learners' environment alone: what a hub (TLJH) or Binder installs, without the test tools.

Once per test session: a fresh virtual environment in a temporary folder, into which pip installs only
`requirements.txt` and the course library as a normal (non-editable) package, from a clean copy of the sources,
exactly as docs/instructors.md tells an admin to (`pip install -r requirements.txt .`), with pip's usual cache and
indexes (after the first run pip's HTTP cache serves PyPI's wheels again). Then: no test tool is importable there,
nncourse is imported from the environment's site-packages (not from this repository's lib/), and every lesson
executes headless with that environment's jupyter, in a kernel that runs that environment's python, in a copy of
the course's folders (as nbgitpuller lays them out in a learner's home). The environment's size on disk is
printed (`pytest -s`).

The environment is made without pip (the development environment's pip installs into it with `--python`): that
saves a pip bootstrap per run; a hub's environment has pip as well (about 10 MB more).
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow

TEST_TOOLS = ("pytest", "xdist", "playwright", "nbval", "autograd", "papermill")
LESSONS = sorted(NOTEBOOKS.glob("0*.ipynb"))


def _run(cmd, env=None, cwd=None, timeout=1200):
    out = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return out.stdout


class LearnerEnv:
    def __init__(self, base):
        self.base = base
        self.venv = base / "venv"
        self.python = self.venv / "bin" / "python"
        self.jupyter = self.venv / "bin" / "jupyter"
        self.course = base / "course"  # notebooks/ and images/ side by side, as in a learner's home
        self.out = base / "executed"
        # Nothing from this repository's .venv, the user's Jupyter folders or the shell's Python settings.
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "PYTHONPATH",
                "PYTHONHOME",
                "VIRTUAL_ENV",
                "MPLBACKEND",
                "JUPYTER_CONFIG_DIR",
                "JUPYTER_DATA_DIR",
                "JUPYTER_PATH",
                "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR",
            )
        }
        dev_bin = str(ROOT / ".venv" / "bin")
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and os.path.abspath(p) != dev_bin]
        env.update(
            PATH=os.pathsep.join([str(self.venv / "bin")] + path),
            JUPYTER_PATH=str(self.venv / "share" / "jupyter"),  # the kernelspec installed below, first
            JUPYTER_DATA_DIR=str(base / "jupyter-data"),  # empty: no user-level kernelspec in the way
            JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
            JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
            IPYTHONDIR=str(base / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        self.env = env

    def build(self):
        src = self.base / "src"  # a clean copy: pip builds in it, so the work tree stays untouched
        src.mkdir()
        for name in ("pyproject.toml", "requirements.txt"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "lib", src / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)], check=True)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                self.python,
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-warn-script-location",
                "-r",
                "requirements.txt",
                ".",
            ],
            cwd=src,
        )
        # The venv's own kernelspec, its absolute python in argv, in the venv's prefix (first on JUPYTER_PATH).
        _run([self.python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], env=self.env)
        self.course.mkdir()
        shutil.copytree(ROOT / "images", self.course / "images")
        (self.course / "notebooks").mkdir()
        for nb in LESSONS:
            shutil.copy2(nb, self.course / "notebooks" / nb.name)
        self.out.mkdir()
        shutil.rmtree(src)
        return self

    def size_mb(self):
        return int(_run(["du", "-sk", self.venv]).split()[0]) / 1024

    def execute(self, notebook, timeout=600):
        """jupyter nbconvert --execute with the venv's jupyter and kernel; returns the executed notebook."""
        _run(
            [
                self.jupyter,
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                f"--ExecutePreprocessor.timeout={timeout}",
                "--ExecutePreprocessor.kernel_name=python3",
                "--output-dir",
                self.out,
                notebook,
            ],
            env=self.env,
            cwd=self.course,
            timeout=timeout + 120,
        )
        return json.loads((self.out / pathlib.Path(notebook).name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def learner_env(tmp_path_factory):
    env = LearnerEnv(tmp_path_factory.mktemp("learner_env")).build()
    yield env
    shutil.rmtree(env.venv, ignore_errors=True)  # about 600 MB; the executed notebooks stay for inspection


def test_no_test_tool_is_importable(learner_env):
    code = (
        "import importlib.util, json, sys; "
        "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None]))"
    )
    found = json.loads(_run([learner_env.python, "-c", code, *TEST_TOOLS], env=learner_env.env, cwd=learner_env.base))
    assert found == [], f"the learners' environment should not contain the test tools {found}"


def test_nncourse_is_a_normal_install_in_site_packages(learner_env):
    code = (
        "import json, sysconfig, importlib.metadata as md, nncourse; "
        "print(json.dumps([nncourse.__file__, sysconfig.get_paths()['purelib'], "
        "md.distribution('nncourse').read_text('direct_url.json')]))"
    )
    file, purelib, direct_url = json.loads(
        _run([learner_env.python, "-c", code], env=learner_env.env, cwd=learner_env.base)
    )
    file, purelib = pathlib.Path(file).resolve(), pathlib.Path(purelib).resolve()
    assert purelib in file.parents, f"nncourse imported from {file}, not from the venv's {purelib}"
    assert (ROOT / "lib") not in file.parents
    assert not json.loads(direct_url or "{}").get("dir_info", {}).get("editable", False), "an editable install"


def test_the_kernel_is_the_venvs_python(learner_env):
    import nbformat  # writing the probe notebook only: it runs in the learners' environment

    probe = nbformat.v4.new_notebook()
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    probe.cells = [
        nbformat.v4.new_code_cell(
            "import json, sys, nncourse\nprint(json.dumps([sys.prefix, sys.executable, nncourse.__file__]))"
        )
    ]
    path = learner_env.course / "notebooks" / "kernel_probe.ipynb"
    nbformat.write(probe, path)
    try:
        nb = learner_env.execute(path, timeout=120)
    finally:
        path.unlink()
    prefix, executable, file = json.loads("".join(nb["cells"][0]["outputs"][0]["text"]))
    assert pathlib.Path(prefix).resolve() == learner_env.venv.resolve()
    assert learner_env.venv.resolve() in pathlib.Path(file).resolve().parents
    print(f"\nkernel: {executable}")


def test_learner_env_size(learner_env):
    print(f"\nlearners' environment (requirements.txt + nncourse, no pip): {learner_env.size_mb():.0f} MB on disk")


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_the_learners_environment(learner_env, lesson):
    nb = learner_env.execute(learner_env.course / "notebooks" / lesson.name)
    errors = [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == [], f"{lesson.name}: cells with errors {errors}"
