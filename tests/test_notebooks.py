"""Run the notebooks in notebooks/ with nbclient: every cell must execute without error.

The notebooks assert their own numbers (region counts against the bounds of Montufar et
al. 2014 and Serra et al. 2018, the N_R recursion), so a wrong number fails here too.

The kernel must be this interpreter (the .venv python that runs pytest), whatever
kernelspecs the machine has. In .venv the ``python3`` spec that ipykernel installs runs
``python``, which jupyter_client replaces by ``sys.executable``; but a user's JUPYTER_PATH or
``JUPYTER_PREFER_ENV_PATH=0`` with a ``python3`` spec of its own would win over it. So a
session fixture writes a kernelspec that runs ``sys.executable`` into a temporary directory
put first on JUPYTER_PATH (IPYTHONDIR is temporary too, so no profile or startup file of the
user runs), and :func:`test_kernel_is_this_interpreter` checks the result. No network access
is needed. The notebooks are stored without outputs; :func:`test_stored_without_outputs`
keeps it that way.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the test extra: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="needs the test extra: pip install -e '.[test]'")
pytest.importorskip("matplotlib", reason="needs the test extra: pip install -e '.[test]'")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ("01_space_folding.ipynb", "02_deep_vs_shallow.ipynb")
KERNEL = "polyregions-venv"
TIMEOUT = 120   # seconds per cell


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory: pytest.TempPathFactory):
    """The name of a kernelspec that runs this interpreter, first on JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {sys.version_info[0]}.{sys.version_info[1]} (polyregions tests)",
        "language": "python",
    }), encoding="utf-8")
    paths = [str(root)] + ([os.environ["JUPYTER_PATH"]] if os.environ.get("JUPYTER_PATH") else [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", os.pathsep.join(paths))
        patch.setenv("IPYTHONDIR", str(root / "ipython"))
        yield KERNEL


def execute(nb, kernel_name: str) -> float:
    """Execute *nb* in place with cwd notebooks/; return the wall time in seconds."""
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def stream_text(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs if out.output_type == "stream")


def test_kernel_is_this_interpreter(kernel_name: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys\nprint(sys.executable)\nprint(os.getcwd())")])
    execute(nb, kernel_name)
    executable, cwd = stream_text(nb).splitlines()
    assert Path(executable) == Path(sys.executable)
    assert Path(cwd).resolve() == NOTEBOOK_DIR.resolve()


def test_notebooks_present() -> None:
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, \
            f"{name}: clear the outputs before committing (cell {cell.get('id')})"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name: str, kernel_name: str, record_property) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    seconds = execute(nb, kernel_name)   # raises CellExecutionError on a failing cell or assert
    record_property("seconds", round(seconds, 2))
    print(f"{name}: executed in {seconds:.1f} s")
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert not errors
    images = sum(1 for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
                 if "image/png" in out.get("data", {}))
    assert images >= 1, f"{name}: no figure was drawn"
