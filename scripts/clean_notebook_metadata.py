"""Make the notebooks' metadata what JupyterLab writes when their kernel connects, so that opening a lesson
does not mark it modified (and autosave does not rewrite it).

On connect, JupyterLab replaces
  metadata.kernelspec     with {name, display_name, language} of the installed kernelspec, and
  metadata.language_info  with the kernel's kernel_info language_info, whole (the Python `version` included),
and any difference marks the notebook dirty. This script asks the environment it runs in -- run it in the one
that serves the course -- for both (jupyter_client's KernelSpecManager, and one real kernel's kernel_info
reply) and writes them into every notebook, in place, with nbformat. A notebook older than nbformat 4.5 is
upgraded to 4.5 (nbformat adds the cell ids), as JupyterLab's first save would. Nothing else changes: the
script checks that, and leaves a notebook that already matches untouched (same bytes).

    .venv/bin/python scripts/clean_notebook_metadata.py            # notebooks/*.ipynb
    .venv/bin/python scripts/clean_notebook_metadata.py --check    # report only; exit 1 if a file would change
    .venv/bin/python scripts/clean_notebook_metadata.py some/dir/*.ipynb
"""

import argparse
import copy
import pathlib
import sys

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

ROOT = pathlib.Path(__file__).resolve().parents[1]
KERNEL_NAME = "python3"


def kernel_metadata(kernel_name=KERNEL_NAME):
    """(kernelspec, language_info) as JupyterLab writes them for `kernel_name` in this environment."""
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    kernelspec = {"name": kernel_name, "display_name": spec.display_name, "language": spec.language}
    km, kc = start_new_kernel(kernel_name=kernel_name)
    try:
        language_info = kc.kernel_info(reply=True, timeout=30)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return kernelspec, language_info


def _changes(old, new, prefix):
    """'field: old -> new' for every differing key of two dicts (one level deep)."""
    old, new = old or {}, new or {}
    return [
        f"{prefix}.{k}: {old.get(k, '<missing>')!r} -> {new.get(k, '<missing>')!r}"
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def normalize(nb, kernelspec, language_info):
    """Normalize `nb` (a NotebookNode) in place; return the list of changes made."""
    changes = []
    if nb.metadata.get("kernelspec") != kernelspec:
        changes += _changes(nb.metadata.get("kernelspec"), kernelspec, "kernelspec")
        nb.metadata["kernelspec"] = nbformat.from_dict(kernelspec)
    if nb.metadata.get("language_info") != language_info:
        changes += _changes(nb.metadata.get("language_info"), language_info, "language_info")
        nb.metadata["language_info"] = nbformat.from_dict(language_info)
    target = (nbformat.v4.nbformat, nbformat.v4.nbformat_minor)
    if (nb.nbformat, nb.nbformat_minor) < target:
        changes.append(f"nbformat: {nb.nbformat}.{nb.nbformat_minor} -> {target[0]}.{target[1]} (cell ids added)")
        upgraded = nbformat.v4.upgrade(nb, from_version=nb.nbformat, from_minor=nb.nbformat_minor)
        nb.clear()
        nb.update(upgraded)
    return changes


def _only_metadata_changed(before, after):
    """True if `after` differs from `before` in nothing but kernelspec, language_info, nbformat_minor and the
    cell ids that the 4.5 upgrade adds."""
    a, b = copy.deepcopy(before), copy.deepcopy(after)
    for nb in (a, b):
        nb.metadata.pop("kernelspec", None)
        nb.metadata.pop("language_info", None)
        nb.pop("nbformat_minor", None)
        for cell in nb.cells:
            cell.pop("id", None)
    return a == b


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    kernelspec, language_info = kernel_metadata()
    print(f"installed kernel: kernelspec {kernelspec}, language_info.version {language_info.get('version')!r}")
    would_change = 0
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        before = copy.deepcopy(nb)
        changes = normalize(nb, kernelspec, language_info)
        if not changes:
            print(f"{path}: clean")
            continue
        would_change += 1
        if not _only_metadata_changed(before, nb):
            raise SystemExit(f"{path}: normalizing would change more than the metadata; nothing written")
        print(f"{path}:" + "".join(f"\n    {c}" for c in changes))
        if not args.check:
            nbformat.validate(nb)
            nbformat.write(nb, path, version=nbformat.NO_CONVERT)
    verb = "would change" if args.check else "changed"
    print(f"{verb} {would_change} of {len(paths)} notebooks")
    return 1 if (args.check and would_change) else 0


if __name__ == "__main__":
    sys.exit(main())
