"""Every notebook runs, top to bottom, against a small store and against no data at all.

The kernel is a kernelspec written here that points at this interpreter (`sys.executable`),
so the notebooks run with the project's virtualenv whatever `python3` means on the machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pantau.review import decide
from pantau.store import Store
from review_helpers import build_world, wib

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist_and_are_numbered():
    names = [p.name for p in NOTEBOOKS]
    assert "01-review-queue.ipynb" in names and "02-weekly-overview.ipynb" in names
    assert all(n[:2].isdigit() and n[2] == "-" for n in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing "
                "(jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)")


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    spec = tmp_path / "jupyter" / "kernels" / "pantau-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "pantau test", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws PNGs
    return "pantau-test"


def _run(path: Path, kernel: str, cwd: Path) -> nbformat.NotebookNode:
    """Execute a notebook in a kernel that inherits this process' PANTAU_HOME."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=180,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def _images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells for out in cell.get("outputs", []))


def _html(nb: nbformat.NotebookNode) -> str:
    return "\n".join(str(out.get("data", {}).get("text/html", ""))
                     for cell in nb.cells for out in cell.get("outputs", []))


@pytest.mark.slow
def test_notebooks_run_on_a_small_store(kernel, tmp_path, isolated_home):
    with Store.open() as store:
        world = build_world(store, photo=True)
        decide(store, world.cases["ajakan"], "confirmed", "Sari", now=wib(2024, 11, 20, 9))
        decide(store, world.cases["boost"], "dismissed", "Rudi", now=wib(2024, 11, 21, 9))
    review_nb = _run(NOTEBOOKS[0], kernel, tmp_path)
    text = _text(review_nb)
    # the queue shows the open cases, the case page the most confident open one: the photo
    assert world.cases["lama"] in text and world.cases["foto"] in text
    assert "Sari Wulandari" in text
    # ... and the photo cell shows the archived image with its hand drawn, and the text lines
    assert "pose three, 3 finger(s) raised" in text and "no text found in the image" in text
    assert f"sha256 {world.evidence['foto_image']} — verifies" in text
    assert '<img src="data:image/jpeg;base64,' in _html(review_nb)   # the case page preview
    assert _images(review_nb) == 1                                     # the larger view
    assert "audit chain OK: 2 decision(s)" in text
    assert "Nothing recorded" in text
    overview = _run(NOTEBOOKS[1], kernel, tmp_path)
    assert _images(overview) >= 6
    assert "50% of decided cases were confirmed" in _text(overview)


@pytest.mark.slow
def test_notebooks_run_without_data(kernel, tmp_path, isolated_home):
    # no database at all
    for path in NOTEBOOKS:
        assert "No store to review yet" in _text(_run(path, kernel, tmp_path))
    # an empty database
    Store.open().close()
    text = _text(_run(NOTEBOOKS[0], kernel, tmp_path))
    assert "queue is empty" in text and "No case selected: no photos to show." in text
    overview = _run(NOTEBOOKS[1], kernel, tmp_path)
    assert "nothing to plot" in _text(overview) and _images(overview) == 0
