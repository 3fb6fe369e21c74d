"""Counts: activation regions, linear regions and bounded regions.

Linear regions are the connected components of the graph whose nodes are the
activation regions and whose edges join two regions that share a facet and have the
identical output map. Neighbours come from :mod:`polyregions.adjacency` (one key
comparison per unit and facet), and components from a union-find that merges each
edge when its second endpoint is enumerated, so the cost grows with the number of
regions and facets, never with its square. Only a key and two integers per region are
kept in memory; the polyhedra stream past.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .adjacency import facet_neighbors
from .domain import Domain
from .engine import enumerate_regions
from .errors import PolyregionsError
from .network import Network
from .regions import pattern_key

__all__ = ["RegionCounts", "count_regions"]


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


def count_regions(network: Network, domain: Domain | None = None, linear: bool = True) -> RegionCounts:
    """Count activation, linear and bounded regions exactly.

    Parameters
    ----------
    network, domain
        The network and the input domain (default: all of R^n0).
    linear
        Also count linear regions (costs a facet computation per region).

    Examples
    --------
    The identity written as ``relu(x) - relu(-x)`` has two activation regions and one
    linear region:

    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> c = count_regions(net)
    >>> c.activation_regions, c.linear_regions, c.bounded_regions
    (2, 1, 0)
    """
    if domain is None:
        domain = Domain.whole(network.input_dim)
    seen: dict[str, tuple[int, int]] = {}
    maps: dict[tuple, int] = {}
    parent: list[int] = []
    activation = bounded = 0

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for region in enumerate_regions(network, domain):
        index = activation
        activation += 1
        if region.bounded:
            bounded += 1
        if not linear:
            continue
        map_id = maps.setdefault(region.map_key(), len(maps))
        key = region.key
        parent.append(index)
        seen[key] = (index, map_id)
        for _, other in facet_neighbors(region):
            if other is None:
                continue
            found = seen.get(pattern_key(other))
            if found is None:
                continue
            if found[1] == map_id:
                a, b = find(index), find(found[0])
                if a != b:
                    parent[a] = b
    if linear and len(seen) != activation:
        raise PolyregionsError("two regions with one pattern (internal error)")
    linear_count = sum(1 for i in range(activation) if find(i) == i) if linear else None
    return RegionCounts(activation, linear_count, bounded, network.input_dim, domain)
