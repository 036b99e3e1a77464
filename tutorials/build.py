"""Builds the tutorials: tutorials/src/0N_name.py (jupytext percent format) -> 0N_name.ipynb.

    python tutorials/build.py                        # convert all five (keeps saved outputs
                                                     # where the code cells are unchanged)
    python tutorials/build.py --execute              # ... run them and save their outputs
    python tutorials/build.py --execute --fast 03    # run one, in fast mode

`--execute` runs each notebook top to bottom with nbclient in a fresh kernel of this Python, in
a temporary working folder, with DAS_KERAS_FAST=1 under --fast, and DAS_KERAS_DATA /
DAS_KERAS_POCUS set to ../shared/data/{medmnist3d,pocus} beside the checkout where they exist.
The mode and the run time go into the notebook's metadata ("das_keras").
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
SHARED_DATA = HERE.parent.parent / "shared" / "data"
# "owner/name" of the public GitHub repository; empty while it has none. When set, each
# notebook's title cell gets an Open-in-Colab badge for its own file on the main branch.
GITHUB_REPO = ""
BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
COLAB_URL = "https://colab.research.google.com/github/{repo}/blob/main/tutorials/{file}"
KERNEL_NAME = "das-keras-tutorials"


def sources():
    """The tutorial sources, in order."""
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def build(source):
    """The notebook (no outputs) converted by jupytext from a source file."""
    nb = jupytext.read(source, fmt="py:percent")
    file = source.with_suffix(".ipynb").name
    if GITHUB_REPO:
        title, _, rest = nb.cells[0].source.partition("\n")
        url = COLAB_URL.format(repo=GITHUB_REPO, file=file)
        nb.cells[0].source = f"{title}\n\n{BADGE}({url}){_}{rest}"
    for i, cell in enumerate(nb.cells):
        cell.id = f"{file[:2]}-{i:02d}"  # stable ids keep the diffs of rebuilt files small
        cell.metadata = {}
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "colab": {"provenance": [], "toc_visible": True},
    }
    return nb


def _code(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def write(nb, path, keep_outputs=True):
    """Writes `nb`, keeping the outputs on disk when its code cells are unchanged."""
    if keep_outputs and path.exists():
        old = nbformat.read(path, as_version=4)
        if [c.source for c in _code(old)] == [c.source for c in _code(nb)]:
            for new, previous in zip(_code(nb), _code(old), strict=True):
                new.outputs, new.execution_count = previous.outputs, previous.execution_count
            if "das_keras" in old.metadata:
                nb.metadata["das_keras"] = old.metadata["das_keras"]
        elif any(c.get("outputs") for c in _code(old)):
            print(f"{path.name}: code changed, saved outputs dropped (run with --execute)")
    nbformat.validate(nb)
    nbformat.write(nb, path)


def kernel_env(fast, extra=None):
    """The kernel's environment: this process's, the data folders, and DAS_KERAS_FAST."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"))
    for name, folder in (("DAS_KERAS_DATA", "medmnist3d"), ("DAS_KERAS_POCUS", "pocus")):
        if not env.get(name) and (SHARED_DATA / folder).is_dir():
            env[name] = str(SHARED_DATA / folder)
    env.pop("DAS_KERAS_FAST", None)
    if fast:
        env["DAS_KERAS_FAST"] = "1"
    env.update(extra or {})
    return env


def execute(nb, workdir, fast, env_extra=None, timeout=3600, python=sys.executable):
    """Runs `nb` in place, top to bottom, in a fresh kernel of `python` working in `workdir`.

    The kernel spec is written under `workdir` (nothing is registered globally).

    Returns:
        (nb, seconds). A failing cell raises `nbclient.exceptions.CellExecutionError`.
    """
    from nbclient import NotebookClient

    spec_dir = Path(workdir) / ".kernel" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": KERNEL_NAME, "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(spec_dir.parents[1])  # looked at before the system paths
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            record_timing=False,
            resources={"metadata": {"path": str(workdir)}},
        )
        start = time.perf_counter()
        client.execute(env=kernel_env(fast, env_extra))
        return nb, time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="notebooks to build (prefixes: 01 03 ...)")
    parser.add_argument("--execute", action="store_true", help="run them and save outputs")
    parser.add_argument("--fast", action="store_true", help="with --execute: DAS_KERAS_FAST=1")
    args = parser.parse_args(argv)
    for source in sources():
        if args.only and not source.name.startswith(tuple(args.only)):
            continue
        nb, path = build(source), HERE / source.with_suffix(".ipynb").name
        if not args.execute:
            write(nb, path)
            print(f"{path.name}: converted")
            continue
        with tempfile.TemporaryDirectory(prefix="das_keras_tutorial_") as workdir:
            nb, seconds = execute(nb, workdir, args.fast)
        mode = "fast mode (DAS_KERAS_FAST=1)" if args.fast else "normal mode"
        nb.metadata["das_keras"] = {"outputs_from": mode, "run_seconds": round(seconds, 1)}
        write(nb, path, keep_outputs=False)
        print(f"{path.name}: executed in {seconds:.0f} s ({mode})")


if __name__ == "__main__":
    main()
