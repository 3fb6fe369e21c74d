"""Exports of enumerated regions (JSON lines), written atomically."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from .atomic import open_atomic
from .domain import Domain
from .engine import enumerate_regions
from .network import Network
from .numbers import format_rational
from .regions import Region

__all__ = ["region_to_json", "write_regions_jsonl"]


def region_to_json(region: Region) -> dict[str, Any]:
    """One region as a JSON object with every number an exact string.

    Keys: ``key``, ``pattern`` (one string per activation layer), ``inequalities``
    (``{"A": ..., "b": ...}`` meaning ``A x <= b``, irredundant), ``interior_point``,
    ``output_map`` (``{"weight": ..., "bias": ...}``) and ``bounded``.
    """
    rows = region.inequalities
    return {
        "key": region.key,
        "pattern": list(region.pattern),
        "inequalities": {"A": [[format_rational(Fraction(v)) for v in a] for a, _ in rows],
                         "b": [format_rational(Fraction(b)) for _, b in rows]},
        "interior_point": [format_rational(v) for v in region.interior_point],
        "output_map": region.output_map.to_json(),
        "bounded": region.bounded,
    }


def write_regions_jsonl(network: Network, domain: Domain | None, path: str | Path) -> int:
    """Stream every activation region to *path*, one JSON object per line; return the count.

    The file appears only when complete (temporary file, then rename).
    """
    count = 0
    with open_atomic(path) as handle:
        for region in enumerate_regions(network, domain):
            handle.write(json.dumps(region_to_json(region), separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count
