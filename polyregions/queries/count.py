"""Counts: activation regions, linear regions and bounded regions.

Linear regions are the connected components of the graph whose nodes are the
activation regions and whose edges join two regions that share a facet and have the
identical output map. Neighbours come from :mod:`polyregions.search.adjacency` (one key
comparison per unit and facet), and components from a union-find that merges each
edge when its second endpoint is enumerated, so the cost grows with the number of
regions and facets, never with its square. Only a key and two integers per region are
kept in memory; the polyhedra stream past.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.html import table
from ..search.adjacency import facet_neighbors
from ..core.domain import Domain
from ..search.engine import Search
from ..run.jobs import Collector, JobSpec, ProgressCallback, Reducer
from ..core.network import Network
from ..io.models import takes_models
from ..search.reduce import LinearRegions, map_text
from ..search.regions import Region
from ..core.maps import pattern_key
from ..run.executors import run_search

__all__ = ["RegionCounts", "count_regions", "CountSpec"]


@dataclass(frozen=True, slots=True)
class RegionCounts:
    """The exact counts of one network on one domain.

    Attributes
    ----------
    activation_regions
        Full-dimensional sets of inputs sharing one activation pattern.
    linear_regions
        Maximal connected unions of activation regions with one output map (None
        when not computed).
    bounded_regions
        Activation regions that are bounded polytopes.
    """

    activation_regions: int
    linear_regions: int | None
    bounded_regions: int
    input_dim: int
    domain: Domain

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"activation_regions": self.activation_regions}
        if self.linear_regions is not None:
            out["linear_regions"] = self.linear_regions
        out.update(bounded_regions=self.bounded_regions, input_dim=self.input_dim,
                   domain=self.domain.to_json())
        return out

    def _repr_html_(self) -> str:
        return counts_html(self)


@dataclass(frozen=True, slots=True)
class CountSpec(JobSpec):
    """Count activation and bounded regions, and linear regions when *linear*."""

    linear: bool = True

    def identity(self) -> dict[str, Any]:
        return {"job": "count", "linear": self.linear}

    def collector(self, search: Search) -> "_CountCollector":
        return _CountCollector(self.linear)


class _CountCollector(Collector):
    __slots__ = ("regions", "bounded", "linear")

    def __init__(self, linear: bool) -> None:
        self.regions = 0
        self.bounded = 0
        self.linear = LinearRegions(track=True) if linear else None

    def add(self, region: Region) -> None:
        self.regions += 1
        if region.bounded:
            self.bounded += 1
        if self.linear is not None:
            self.linear.add(region.key, map_text(region.map_rows, region.map_den),
                            [None if other is None else pattern_key(other)
                             for _, other in facet_neighbors(region)])

    def partial(self) -> dict[str, Any]:
        return {"regions": self.regions, "bounded": self.bounded,
                "linear": None if self.linear is None else self.linear.to_partial()}


class CountReducer(Reducer):
    """Sums the counts of subtrees and merges their linear regions (any order)."""

    def __init__(self, linear: bool) -> None:
        super().__init__()
        self.linear = LinearRegions() if linear else None

    def absorb(self, partial: dict[str, Any]) -> None:
        regions, bounded = partial["regions"], partial["bounded"]
        if not (type(regions) is int and type(bounded) is int and 0 <= bounded <= regions):
            raise ValueError(f"a partial count of {regions!r} regions, {bounded!r} bounded")
        self.activation_regions += regions
        self.bounded_regions += bounded
        if self.linear is not None:
            self.linear.absorb(partial["linear"])


@takes_models("network")
def count_regions(network: Network, domain: Domain | None = None, linear: bool = True, *,
                  jobs: int = 1, scheduler: str | None = None, checkpoint: str | Path | None = None,
                  progress: ProgressCallback | None = None, task_seconds: float | None = None) -> RegionCounts:
    """Count activation, linear and bounded regions exactly.

    Parameters
    ----------
    network, domain
        The network and the input domain (default: all of R^n0).
    linear
        Also count linear regions (costs a facet computation per region).
    jobs, scheduler, checkpoint, progress, task_seconds
        Where and how the search runs: see :func:`polyregions.run.executors.run_search`.
        The counts do not depend on them.

    Examples
    --------
    The identity written as ``relu(x) - relu(-x)`` has two activation regions and one
    linear region:

    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> c = count_regions(net)
    >>> c.activation_regions, c.linear_regions, c.bounded_regions
    (2, 1, 0)
    """
    search = Search(network, domain)
    reducer = CountReducer(linear)
    run_search(search, CountSpec(linear), reducer, jobs=jobs, scheduler=scheduler,
               checkpoint=checkpoint, progress=progress, task_seconds=task_seconds)
    linear_count = None if reducer.linear is None else reducer.linear.linear_regions
    return RegionCounts(reducer.activation_regions, linear_count, reducer.bounded_regions,
                        network.input_dim, search.domain)


def counts_html(counts: "RegionCounts") -> str:
    """A small HTML table of the counts, each labelled.

    Examples
    --------
    >>> from polyregions import Network, count_regions
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> "<td style='text-align:left'>2</td>" in counts_html(count_regions(net))
    True
    """
    rows = [("activation regions", counts.activation_regions)]
    if counts.linear_regions is not None:
        rows.append(("linear regions", counts.linear_regions))
    rows += [("bounded regions", counts.bounded_regions), ("domain", counts.domain.describe())]
    return table(rows, "region counts (exact)")
