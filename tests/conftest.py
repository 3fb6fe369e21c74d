"""Shared pytest fixtures for polyregions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def relucent_dir() -> Path:
    """Folder of relucent's published networks and counts (peer data, not copied here).

    ``$POLYREGIONS_SHARED/external/relucent`` when that variable is set, else
    ``../shared/external/relucent`` beside the repository; skips the test when absent.
    """
    shared = os.environ.get("POLYREGIONS_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    path = base / "external" / "relucent"
    if not path.is_dir():
        pytest.skip("peer data ../shared/external/relucent not found "
                    "(set POLYREGIONS_SHARED to a shared/ folder to run it)")
    return path


@pytest.fixture(scope="session")
def acasxu_dir() -> Path:
    """Folder of the ACAS Xu benchmark (networks, VNN-LIB properties, the competition's
    answers; published data, not copied here): ``$POLYREGIONS_SHARED/external/acasxu`` or
    ``../shared/external/acasxu``; skips the test when absent."""
    shared = os.environ.get("POLYREGIONS_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    path = base / "external" / "acasxu"
    if not path.is_dir():
        pytest.skip("benchmark data ../shared/external/acasxu not found "
                    "(set POLYREGIONS_SHARED to a shared/ folder to run it)")
    return path
