"""Shared pytest fixtures for polyregions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_folder(name: str, what: str) -> Path:
    """``$POLYREGIONS_SHARED/external/NAME`` when that variable is set, else
    ``../shared/external/NAME`` beside the repository; skips the test when absent."""
    shared = os.environ.get("POLYREGIONS_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    path = base / "external" / name
    if not path.is_dir():
        pytest.skip(f"{what} ../shared/external/{name} not found "
                    "(set POLYREGIONS_SHARED to a shared/ folder to run it)")
    return path


@pytest.fixture(scope="session")
def relucent_dir() -> Path:
    """Folder of relucent's published networks and counts (peer data, not copied here)."""
    return _shared_folder("relucent", "peer data")


@pytest.fixture(scope="session")
def acasxu_dir() -> Path:
    """Folder of the ACAS Xu benchmark (networks, VNN-LIB properties, the competition's
    answers; published data, not copied here)."""
    return _shared_folder("acasxu", "benchmark data")
