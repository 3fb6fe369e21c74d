"""Exports of enumerated regions (JSON lines), written atomically."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from ..files import open_atomic
from ..core.domain import Domain
from ..search.engine import Search
from ..run.jobs import Collector, JobSpec, ProgressCallback, Reducer
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import format_rational
from ..search.regions import Region
from ..run.executors import run_search

__all__ = ["region_to_json", "write_regions_jsonl", "RegionsSpec"]


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


class RegionsSpec(JobSpec):
    """One JSON line per region (:func:`region_to_json`), in the serial order."""

    ordered = True

    def identity(self) -> dict[str, Any]:
        return {"job": "regions"}

    def collector(self, search: Search) -> "_LinesCollector":
        return _LinesCollector()

    def __eq__(self, other: object) -> bool:
        return type(other) is RegionsSpec

    def __hash__(self) -> int:
        return hash(RegionsSpec)


class _LinesCollector(Collector):
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bounded = 0

    def add(self, region: Region) -> None:
        self.lines.append(json.dumps(region_to_json(region), separators=(",", ":")))
        if region.bounded:
            self.bounded += 1

    def partial(self) -> dict[str, Any]:
        return {"lines": self.lines, "bounded": self.bounded}


class _LinesWriter(Reducer):
    def __init__(self, handle: IO[str]) -> None:
        super().__init__()
        self.handle = handle

    def absorb(self, partial: dict[str, Any]) -> None:
        lines = partial["lines"]
        if lines:
            self.handle.write("\n".join(lines))
            self.handle.write("\n")
        self.activation_regions += len(lines)
        self.bounded_regions += partial["bounded"]


@takes_models("network")
def write_regions_jsonl(network: Network, domain: Domain | None, path: str | Path, *, jobs: int = 1,
                        scheduler: str | None = None, checkpoint: str | Path | None = None,
                        progress: ProgressCallback | None = None, task_seconds: float | None = None) -> int:
    """Stream every activation region to *path*, one JSON object per line; return the count.

    The lines come in the serial order whatever *jobs* and *scheduler* (see
    :func:`polyregions.run.executors.run_search`), so the file is the same byte for byte.
    The file appears only when complete (temporary file, then rename).
    """
    search = Search(network, domain)
    with open_atomic(path) as handle:
        writer = _LinesWriter(handle)
        run_search(search, RegionsSpec(), writer, jobs=jobs, scheduler=scheduler,
                   checkpoint=checkpoint, progress=progress, task_seconds=task_seconds)
    return writer.activation_regions
