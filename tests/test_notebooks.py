"""Run the notebooks in notebooks/ with nbclient: every cell must execute without error,
and the outputs stored in the repository must be those of a fresh run.

The notebooks assert their own numbers (region counts against the bounds of Montufar et
al. 2014 and Serra et al. 2018, the N_R recursion), so a wrong number fails here too.
They are stored with their outputs, figures included, so that someone browsing the
repository sees them; ``make notebooks`` (scripts/run_notebooks.py) executes them in
place. :func:`test_stored_outputs_are_current` compares the stored text outputs with a
fresh run, so a change of the library that changes a printed number, or a notebook edited
without re-running it, fails until ``make notebooks`` is run again. (Figures are compared
by count, not by their bytes, which depend on the matplotlib and FreeType versions.)

The kernel must be this interpreter (the .venv python that runs pytest), whatever
kernelspecs the machine has: scripts/run_notebooks.py writes a kernelspec that runs
``sys.executable`` into a temporary directory put first on JUPYTER_PATH (IPYTHONDIR is
temporary too, so no profile or startup file of the user runs), and
:func:`test_kernel_is_this_interpreter` checks the result. No network access is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the test extra: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="needs the test extra: pip install -e '.[test]'")
pytest.importorskip("matplotlib", reason="needs the test extra: pip install -e '.[test]'")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import run_notebooks  # noqa: E402

NOTEBOOK_DIR = run_notebooks.NOTEBOOK_DIR
NOTEBOOKS = ("01_space_folding.ipynb", "02_deep_vs_shallow.ipynb", "03_exact_queries.ipynb",
             "04_from_pytorch.ipynb", "05_from_onnx.ipynb", "06_cnn_slices.ipynb")
#: Notebooks that need torch: executed by make test-torch (marker torch), skipped without torch.
TORCH_NOTEBOOKS = ("04_from_pytorch.ipynb",)
#: Notebooks whose re-execution takes long (06: a CNN's regions along training, about 45 s):
#: executed by make test-slow (marker slow); their stored outputs are still checked here.
SLOW_NOTEBOOKS = ("06_cnn_slices.ipynb",)
EXECUTED = [pytest.param(name, marks=pytest.mark.torch) if name in TORCH_NOTEBOOKS
            else pytest.param(name, marks=pytest.mark.slow) if name in SLOW_NOTEBOOKS else name for name in NOTEBOOKS]


@pytest.fixture(scope="session")
def kernel_name():
    """The name of a kernelspec that runs this interpreter, first on JUPYTER_PATH."""
    with run_notebooks.this_interpreter() as name:
        yield name


def stream_text(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs if out.output_type == "stream")


def shown(nb) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per code cell: its id and what it shows, in order, figures as a placeholder."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        items = []
        for out in run_notebooks.coalesce_streams([dict(o) for o in cell.outputs]):
            if out["output_type"] == "stream":
                items.append((out["name"], out["text"]))
            elif out["output_type"] in ("execute_result", "display_data"):
                data = out.get("data", {})
                items.append(("image", "png") if "image/png" in data else ("text", data.get("text/plain", "")))
            else:
                items.append((out["output_type"], out.get("ename", "")))
        cells.append((cell.get("id"), items))
    return cells


def test_kernel_is_this_interpreter(kernel_name: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys\nprint(sys.executable)\nprint(os.getcwd())")])
    run_notebooks.execute(nb, kernel_name)
    executable, cwd = stream_text(nb).splitlines()
    assert Path(executable) == Path(sys.executable)
    assert Path(cwd).resolve() == NOTEBOOK_DIR.resolve()


def test_notebooks_present() -> None:
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_with_outputs(name: str) -> None:
    """Every code cell was run, in order, without error; the figures are in the file."""
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), \
        f"{name}: run `make notebooks` to store the outputs of one fresh run"
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    images = sum(1 for cell in code for out in cell.outputs if "image/png" in out.get("data", {}))
    assert images >= 1, f"{name}: no figure is stored"
    assert nb.metadata["kernelspec"]["name"] == "python3"   # opens with the standard kernel


@pytest.mark.parametrize("name", EXECUTED)
def test_stored_outputs_are_current(name: str, kernel_name: str, record_property) -> None:
    if name in TORCH_NOTEBOOKS:
        pytest.importorskip("torch", reason="needs torch: make test-torch (pip install torch==2.13.0)")
    if name in ("05_from_onnx.ipynb", "06_cnn_slices.ipynb"):
        pytest.importorskip("onnx", reason="needs onnx (test extra)")
        pytest.importorskip("onnxruntime", reason="needs onnxruntime (test extra)")
    stored = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    seconds = run_notebooks.execute(nb, kernel_name)   # raises CellExecutionError on a failing cell
    record_property("seconds", round(seconds, 2))
    print(f"{name}: executed in {seconds:.1f} s")
    assert not [out for cell in nb.cells if cell.cell_type == "code"
                for out in cell.outputs if out.output_type == "error"]
    fresh, kept = shown(nb), shown(stored)
    assert [cell_id for cell_id, _ in fresh] == [cell_id for cell_id, _ in kept]
    for (cell_id, now), (_, then) in zip(fresh, kept):
        assert now == then, (f"{name}, cell {cell_id!r}: the stored outputs are not those of a fresh run; "
                             "run `make notebooks` and commit the notebooks")
    assert any(item == ("image", "png") for _, items in fresh for item in items), f"{name}: no figure was drawn"


def test_shown_outputs_notice_a_changed_number() -> None:
    """The comparison above is not blind: one changed digit in a stored output is a difference."""
    stored = nbformat.read(NOTEBOOK_DIR / NOTEBOOKS[0], as_version=4)
    changed = nbformat.read(NOTEBOOK_DIR / NOTEBOOKS[0], as_version=4)
    cell = next(c for c in changed.cells if c.cell_type == "code"
                and any(o.output_type == "stream" and "36" in o.text for o in c.outputs))
    out = next(o for o in cell.outputs if o.output_type == "stream" and "36" in o.text)
    out.text = out.text.replace("36", "37", 1)
    assert shown(changed) != shown(stored)


def test_a_notebook_whose_package_is_missing_is_skipped(monkeypatch, capsys, tmp_path):
    """`make notebooks` without torch skips 04 with a line (and fails when it is named)."""
    monkeypatch.setitem(run_notebooks.NEEDS, "needs_nothing_here.ipynb",
                        ("polyregions_no_such_package", "install it"))
    path = tmp_path / "needs_nothing_here.ipynb"
    path.write_text("not a notebook: it must not be read")
    assert run_notebooks.missing_package(path) == "needs polyregions_no_such_package (install it)"
    assert run_notebooks.missing_package(NOTEBOOK_DIR / "01_space_folding.ipynb") is None
    assert run_notebooks.main([str(path)]) == 2
    assert capsys.readouterr().err == (f"run_notebooks: {path}: needs polyregions_no_such_package "
                                       "(install it)\n")
    monkeypatch.setattr(run_notebooks, "NOTEBOOK_DIR", tmp_path)
    assert run_notebooks.main([]) == 0
    assert capsys.readouterr().out == (f"skipped {path}: needs polyregions_no_such_package (install it); "
                                       "its stored outputs stay\n")
