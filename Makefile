# Two commands do everything on a fresh machine that has python3 and make:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (library, notebooks under nbval and papermill, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# The course's matrices are small: one BLAS thread is as fast, and with two test workers (and their kernels)
# on two cores, threaded BLAS oversubscribes the CPU and slows large products many times over. The committed
# notebooks are executed with this setting too (make notebooks), so nbval compares like with like.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
JOBS   ?= 2

.PHONY: install lab lint test test-fast run notebooks bench images portability sweep clean

# .venv gets requirements-dev.txt: the learners' requirements.txt, the test and instructors' tools, and nncourse
# editable (the learners' environment alone, as a hub or Binder installs it: tests/test_learner_env.py).
install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml scripts/lab_overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/lab_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

lab: install
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) \
	    --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

# Ruff's lint and format checks (configured in pyproject.toml) over the library, tests, scripts, solutions and the
# lessons' code cells, and the import contract (import-linter, [tool.importlinter] in pyproject.toml: the package's
# layers import only downward); `make test` (so CI) runs them first. To fix what they find, then review the diff:
#   .venv/bin/ruff check --fix lib tests scripts solutions notebooks
#   .venv/bin/ruff format lib tests scripts solutions notebooks
LINTED := lib tests scripts solutions notebooks

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports --no-cache

# Everything: lint, unit tests, every notebook under nbval, papermill runs, browser tests (installs Debian's
# chromium when it is missing and we may use apt-get).
test: install lint
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

# The library and notebook tests without a browser.
test-fast: install
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg -m "not browser" tests notebooks

# Execute every lesson headless into build/ (the course without a browser). Override parameters with
# papermill directly, e.g.: .venv/bin/papermill notebooks/02_backpropagation.ipynb out.ipynb -p seed 3
run: install
	mkdir -p build
	for nb in notebooks/[0-9]*.ipynb; do \
	    echo "== $$nb"; \
	    $(BIN)/papermill --cwd notebooks --kernel python3 --no-progress-bar "$$nb" "build/$$(basename $$nb)" || exit 1; \
	done

# Re-execute every committed notebook in place, in order, in a fresh kernel each (after changing the library).
notebooks: install
	for nb in notebooks/[0-9]*.ipynb; do \
	    echo "== $$nb"; \
	    $(BIN)/python scripts/strip_widget_state.py "$$nb"; \
	    $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 \
	    --ExecutePreprocessor.store_widget_state=False "$$nb" || exit 1; \
	done

bench: install
	$(BIN)/python -m pip install --quiet "torch==2.13.0" || echo "PyTorch not installable here: its column is skipped"
	$(BIN)/python scripts/bench.py
	bash scripts/ensure_chromium.sh
	$(BIN)/python scripts/bench_browser.py

images: install
	$(BIN)/python scripts/make_images.py

# Before you stop, after touching a lesson or the library's numerics (not part of test or CI): the numeric tests
# and nbval once per OpenBLAS kernel this CPU runs (default, Haswell, Prescott, Haswell without AVX-512),
# the kernel set with OPENBLAS_CORETYPE in that command only. Report: build/portability/report.md
portability: install
	$(BIN)/python scripts/portability.py $(KERNELS)

# A lesson over a grid of parameter values, in parallel on every core: one table of each run's parameters and
# key outcomes (build/sweeps/<lesson>-<names>/results.csv), a plot, and the executed notebooks. For example:
#   make sweep LESSON=03 PARAMS="lr=0.001,0.01,0.1,1 seed=0,1,2"
sweep: install
	$(BIN)/python scripts/sweep.py --lesson "$(LESSON)" --params "$(PARAMS)" $(if $(JOBS_SWEEP),--jobs $(JOBS_SWEEP))

clean:
	rm -rf build .pytest_cache

# The course as a static website in build/site/ (docs/instructors.md, "The course as a website"): the committed
# notebooks as they are, nothing re-executed, each slider panel shown as its default figure, MathJax served from
# the site itself. Its tools (requirements-site.txt) go into .venv only, not into the learners' environment.
SITE_STAMP := $(VENV)/.site-installed

.PHONY: site site-install html

site-install: $(SITE_STAMP)

$(SITE_STAMP): requirements-site.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-site.txt
	touch $(SITE_STAMP)

site: site-install
	$(BIN)/python scripts/build_site.py --out build/site

# Each lesson as a stand-alone HTML page that reads offline (nbconvert's HTML with MathJax from a copy beside the
# pages, not a CDN): build/html/notebooks/NN_topic.html. Uses the site's MathJax (requirements-site.txt).
html: site-install
	$(BIN)/python scripts/export_html.py --out build/html

# make test runs tests/test_site.py too, which builds the site: it needs the site's tools.
test: site-install

# Graded assignments for a class with nbgrader (docs/instructors.md, "Graded assignments with nbgrader"): an nbgrader
# course in build/assignments/, one assignment per lesson with exercises, source/ (the solutions, from solutions/)
# and release/ (the learners' stubs). nbgrader (requirements-grading.txt) goes into .venv only, not into the
# learners' environment; its JupyterLab and server extensions (and notebook's, which it pulls in) are switched off
# in .venv, so `make lab` and the browser tests see JupyterLab as the learners do.
GRADING_STAMP := $(VENV)/.grading-installed

.PHONY: assignments grading-install

grading-install: $(GRADING_STAMP)

$(GRADING_STAMP): requirements-grading.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-grading.txt
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader @jupyter-notebook/lab-extension >/dev/null 2>&1
	for ext in formgrader validate_assignment assignment_list course_list; do \
	    $(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1 || exit 1; \
	done
	touch $(GRADING_STAMP)

assignments: grading-install
	$(BIN)/python scripts/build_assignments.py --out build/assignments

# make test runs tests/test_assignments.py too, which builds and autogrades lesson 01's assignment: it needs nbgrader.
test: grading-install
