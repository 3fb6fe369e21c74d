"""Execute the notebooks in notebooks/ in place and store their outputs (``make notebooks``).

    .venv/bin/python scripts/run_notebooks.py [--figdir DIR] [NOTEBOOK.ipynb ...]

Each notebook runs top to bottom in a fresh kernel of this interpreter, with notebooks/
as its working directory, and is written back with its outputs (text and figures), so
that the repository shows them. ``--figdir DIR`` also saves every figure as a PNG file
in DIR (the notebooks read it from ``POLYREGIONS_FIGDIR``; a second run). The notebooks
assert their own numbers: a failing cell stops the run with the cell's error, and that
notebook is not written.

The kernel is this interpreter whatever kernelspecs the machine has: a kernelspec that
runs ``sys.executable`` is written to a temporary directory put first on JUPYTER_PATH,
and IPYTHONDIR is temporary too, so no profile or startup file of the user runs.
tests/test_notebooks.py executes the notebooks the same way and checks that the stored
outputs are those of a fresh run.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KERNEL = "polyregions-venv"
TIMEOUT = 120   # seconds per cell
#: Notebooks that need an optional package which `make test` does not install.
NEEDS = {"04_from_pytorch.ipynb": ("torch", "make test-torch installs it")}


def missing_package(path: Path) -> str | None:
    """Why *path* cannot run here (a package it needs is not installed), or None."""
    import importlib.util

    need = NEEDS.get(path.name)
    if need is not None and importlib.util.find_spec(need[0]) is None:
        return f"needs {need[0]} ({need[1]})"
    return None


@contextmanager
def this_interpreter(figdir: str | Path | None = None) -> Iterator[str]:
    """The name of a kernelspec that runs this interpreter, first on JUPYTER_PATH meanwhile."""
    saved = {name: os.environ.get(name) for name in ("JUPYTER_PATH", "IPYTHONDIR", "POLYREGIONS_FIGDIR")}
    with tempfile.TemporaryDirectory(prefix="polyregions-jupyter-") as root:
        spec = Path(root) / "kernels" / KERNEL
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Python {sys.version_info[0]}.{sys.version_info[1]} (polyregions)",
            "language": "python",
        }), encoding="utf-8")
        paths = [root] + ([saved["JUPYTER_PATH"]] if saved["JUPYTER_PATH"] else [])
        os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
        os.environ["IPYTHONDIR"] = str(Path(root) / "ipython")
        if figdir is not None:
            Path(figdir).mkdir(parents=True, exist_ok=True)
            os.environ["POLYREGIONS_FIGDIR"] = str(Path(figdir).resolve())
        else:
            os.environ.pop("POLYREGIONS_FIGDIR", None)
        try:
            yield KERNEL
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def execute(nb: "nbformat.NotebookNode", kernel_name: str) -> float:
    """Execute *nb* in place with cwd notebooks/; return the wall time in seconds.

    The notebook keeps its own kernelspec metadata (the standard ``python3``), and no
    execution timestamps are recorded, so a stored notebook changes only when its
    outputs do.
    """
    kept = {key: nb.metadata[key] for key in ("kernelspec", "language_info") if key in nb.metadata}
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name=kernel_name, record_timing=False,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()
    nb.metadata.update(kept)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return time.perf_counter() - start


def coalesce_streams(outputs: list) -> list:
    """Join consecutive stream outputs of one name (stdout, stderr) into one.

    How a cell's printing is cut into stream messages depends on when the kernel
    flushes, so the same run can store it in one piece or in several.
    """
    out: list = []
    for output in outputs:
        if (output.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream"
                and out[-1].get("name") == output.get("name")):
            out[-1]["text"] = out[-1]["text"] + output["text"]
        else:
            out.append(output)
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    figdir = None
    if "--figdir" in args:
        i = args.index("--figdir")
        if i + 1 >= len(args):
            print("run_notebooks: --figdir needs a directory", file=sys.stderr)
            return 2
        figdir = args[i + 1]
        del args[i:i + 2]
    named = bool(args)
    paths = [Path(a) for a in args] or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    runnable = []
    for path in paths:
        why = missing_package(path)
        if why is None:
            runnable.append(path)
        elif named:
            print(f"run_notebooks: {path}: {why}", file=sys.stderr)
            return 2
        else:
            print(f"skipped {path}: {why}; its stored outputs stay")
    paths = runnable
    # Saving a figure to a file redraws it, which can move the inline picture by a pixel:
    # the stored outputs come from a run without --figdir, the files from a second run.
    for save_to in [None] + ([figdir] if figdir else []):
        with this_interpreter(save_to) as kernel:
            for path in paths:
                nb = nbformat.read(path, as_version=4)
                try:
                    seconds = execute(nb, kernel)
                except nbclient.exceptions.CellExecutionError as exc:
                    print(f"run_notebooks: {path}: a cell failed; nothing written\n{exc}", file=sys.stderr)
                    return 1
                if save_to is None:
                    nbformat.validate(nb)
                    nbformat.write(nb, path)
                    print(f"executed {path} in {seconds:.1f} s; outputs stored")
                else:
                    print(f"executed {path} in {seconds:.1f} s; figures written to {save_to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
