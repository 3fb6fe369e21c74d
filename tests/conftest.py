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
