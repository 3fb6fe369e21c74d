"""The exact Lipschitz constant of a network on a domain, for the l1 and l-infinity norms.

On a convex domain the output is continuous and piecewise affine, so its Lipschitz
constant for a norm ``|.|_p`` on inputs and outputs is the largest induced norm
``|J_R|_{p->p}`` of the Jacobian ``J_R`` of a full-dimensional activation region ``R``:
any segment of the domain crosses finitely many regions (or runs along their
boundaries, where the output agrees with a neighbour's map), and on each piece the
output moves by at most ``|J_R| |dx|``; a region's own Jacobian is attained by two
points inside it. For ``p = inf`` the induced norm is the largest row sum of ``|J|``,
for ``p = 1`` the largest column sum; with one output ``i`` (``output=i``) the norm of
its gradient (its l1 norm for ``p = inf``, its largest entry in absolute value for
``p = 1``), which is that output's Lipschitz constant.

:func:`lipschitz_constant` walks the decision tree as :func:`polyregions.queries.optimize.maximize`
does: at a node, an upper bound of the norm over the subtree
(:func:`polyregions.search.relax.node_jacobian_bounds`: interval slopes for the units whose
range crosses a breakpoint) that does not beat the best region so far drops the
subtree. The bounds do not need a bounded domain, so the search prunes on all of
R^n0 too.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..core.domain import Domain
from ..search.engine import Node, Search
from ..errors import InputError
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import format_rational, to_float, to_floats
from ..search.relax import node_jacobian_bounds

__all__ = ["LipschitzResult", "lipschitz_constant", "induced_norm"]


@dataclass(frozen=True, slots=True)
class LipschitzResult:
    """The exact Lipschitz constant and a region that attains it.

    Attributes
    ----------
    value
        The constant: the largest induced norm of a region's Jacobian.
    norm
        ``"1"`` or ``"inf"``.
    output
        The output whose gradient norm was maximised, or None for the whole Jacobian.
    region
        The pattern key of a region whose Jacobian attains *value*.
    jacobian
        That region's Jacobian (outputs x inputs; one row with *output*).
    regions_visited, nodes_visited, subtrees_dropped
        As for :class:`polyregions.queries.optimize.MaxResult`.
    """

    value: Fraction
    norm: str
    output: int | None
    region: str
    jacobian: tuple[tuple[Fraction, ...], ...]
    regions_visited: int
    nodes_visited: int
    subtrees_dropped: int

    def to_json(self) -> dict[str, Any]:
        """The JSON keys of ``polyregions lipschitz --json``: exact strings, with a float copy ``<key>_float``
        beside each exact result (``value``, ``jacobian``)."""
        return {"value": format_rational(self.value), "value_float": to_float(self.value), "norm": self.norm,
                "output": self.output, "region": self.region,
                "jacobian": [[format_rational(v) for v in row] for row in self.jacobian],
                "jacobian_float": [to_floats(row) for row in self.jacobian],
                "regions_visited": self.regions_visited, "nodes_visited": self.nodes_visited,
                "subtrees_dropped": self.subtrees_dropped}

    def __repr__(self) -> str:
        return f"LipschitzResult({self.norm}: {format_rational(self.value)}, region={self.region})"


def induced_norm(matrix: Sequence[Sequence[Any]], norm: str) -> Fraction:
    """The norm of *matrix* induced by the vector norm ``l_1`` (``"1"``) or ``l_inf`` (``"inf"``).

    Examples
    --------
    >>> induced_norm([[1, -2], [3, 0]], "inf"), induced_norm([[1, -2], [3, 0]], "1")
    (Fraction(3, 1), Fraction(4, 1))
    """
    rows = [[abs(Fraction(v)) for v in row] for row in matrix]
    if norm == "inf":
        return max((sum(row, Fraction(0)) for row in rows), default=Fraction(0))
    if norm == "1":
        return max((sum(col, Fraction(0)) for col in zip(*rows)), default=Fraction(0))
    raise InputError(f"norm must be '1' or 'inf', got {norm!r}")


def _bound(lo: Sequence[Sequence[int]], hi: Sequence[Sequence[int]], den: int, norm: str,
           rows: Sequence[int]) -> Fraction:
    mags = [[max(abs(a), abs(b)) for a, b in zip(lo[i], hi[i])] for i in rows]
    if norm == "inf":
        top = max((sum(row) for row in mags), default=0)
    else:
        top = max((sum(col) for col in zip(*mags)), default=0)
    return Fraction(top, den)


@takes_models("network")
def lipschitz_constant(network: Network, domain: Domain | None = None, *, norm: str = "inf",
                       output: int | None = None, prune: bool = True, bound_every: int = 2) -> LipschitzResult:
    """The exact Lipschitz constant of *network* on the (convex) domain.

    Parameters
    ----------
    network, domain
        The network and the domain (default: all of R^n0).
    norm
        ``"inf"`` or ``"1"``: the norm on inputs and outputs.
    output
        One output (0-based): the Lipschitz constant of that output alone (its gradient's
        dual norm), instead of the whole map.
    prune, bound_every
        As for :func:`polyregions.queries.optimize.maximize`.

    Returns
    -------
    LipschitzResult

    Examples
    --------
    max(x1, x2) = relu(x1 - x2) + relu(x2) - relu(-x2) has constant 1 for both norms:

    >>> net = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1]]], [[0, 0, 0], [0]])
    >>> lipschitz_constant(net, norm="inf").value, lipschitz_constant(net, norm="1").value
    (Fraction(1, 1), Fraction(1, 1))
    """
    if norm not in ("1", "inf"):
        raise InputError(f"norm must be '1' or 'inf', got {norm!r}")
    if isinstance(bound_every, bool) or not isinstance(bound_every, int) or bound_every < 1:
        raise InputError(f"bound_every must be a positive integer, got {bound_every!r}")
    m = network.output_dim
    if output is not None and (isinstance(output, bool) or not isinstance(output, int) or not 0 <= output < m):
        raise InputError(f"output {output!r}: expected an index from 0 to {m - 1}")
    rows = [output] if output is not None else list(range(m))
    search = Search(network, domain)
    best: Fraction | None = None
    best_region = ""
    best_jacobian: tuple[tuple[Fraction, ...], ...] = ()
    regions = nodes = dropped = 0

    def drop(item: Node) -> bool:
        """True when no Jacobian of the subtree can beat the incumbent's norm."""
        nonlocal nodes, dropped
        nodes += 1
        if prune and best is not None and item.unit % bound_every == 0:
            lo, hi, den = node_jacobian_bounds(search, item)
            if _bound(lo, hi, den, norm, rows) <= best:
                dropped += 1
                return True
        return False

    for item in search.walk([search.root()], skip=drop):
        regions += 1
        jacobian = tuple(tuple(Fraction(v, item.map_den) for v in item.map_rows[i][:-1]) for i in rows)
        value = induced_norm(jacobian, norm)
        if best is None or value > best:
            best, best_region, best_jacobian = value, item.key, jacobian
    assert best is not None
    return LipschitzResult(best, norm, output, best_region, best_jacobian, regions, nodes, dropped)
