"""Exact areas and volumes: convex polygons in the plane and polytopes in R^1 to R^3.

Every number is a :class:`~fractions.Fraction`; the plots and the notebook tables
(:mod:`polyregions.views`) and :func:`polyregions.search.regions.region_volume` use them.
"""

from __future__ import annotations

from fractions import Fraction
import functools
from typing import Sequence

from ..errors import InputError

__all__ = ["ccw_order", "polygon_area", "polytope_volume"]

Point = tuple[Fraction, Fraction]


def _cross(o: Sequence[Fraction], a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    """``(a - o) x (b - o)``: positive when ``o, a, b`` turn counter-clockwise."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def ccw_order(points: Sequence[Point], center: Point) -> list[Point]:
    """The vertices of a convex polygon in counter-clockwise order around an interior *center*.

    Exact: each direction ``p - center`` is sorted by its half-plane (angle in
    ``[0, pi)`` first) and, within a half-plane, by the sign of a cross product.
    Duplicates are dropped, then every vertex collinear with its two neighbours.

    Examples
    --------
    >>> F = Fraction
    >>> square = [(F(1), F(1)), (F(-1), F(-1)), (F(1), F(-1)), (F(-1), F(1)), (F(0), F(-1))]
    >>> [(int(x), int(y)) for x, y in ccw_order(square, (F(0), F(0)))]
    [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    """
    cx, cy = center

    def half(p: Point) -> int:
        dx, dy = p[0] - cx, p[1] - cy
        return 0 if dy > 0 or (dy == 0 and dx > 0) else 1

    def compare(p: Point, q: Point) -> int:
        hp, hq = half(p), half(q)
        if hp != hq:
            return hp - hq
        turn = _cross(center, p, q)
        return -1 if turn > 0 else 1 if turn < 0 else 0

    ordered = sorted(set(points), key=functools.cmp_to_key(compare))
    changed = True
    while changed and len(ordered) > 3:
        changed = False
        for i in range(len(ordered)):
            if _cross(ordered[i - 1], ordered[i], ordered[(i + 1) % len(ordered)]) == 0:
                del ordered[i]
                changed = True
                break
    return ordered


def polygon_area(vertices: Sequence[Sequence[Fraction]]) -> Fraction:
    """The exact signed area (shoelace formula): positive for counter-clockwise vertices.

    Examples
    --------
    >>> polygon_area([(0, 0), (1, 0), (Fraction(1, 2), Fraction(1, 3))])
    Fraction(1, 6)
    """
    total = Fraction(0)
    count = len(vertices)
    for i in range(count):
        x0, y0 = vertices[i]
        x1, y1 = vertices[(i + 1) % count]
        total += Fraction(x0) * Fraction(y1) - Fraction(x1) * Fraction(y0)
    return total / 2


def _ccw(points: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    n = len(points)
    center = (sum((p[0] for p in points), Fraction(0)) / n, sum((p[1] for p in points), Fraction(0)) / n)
    return ccw_order(points, center)


def _area(points: Sequence[tuple[Fraction, Fraction]]) -> Fraction:
    return abs(polygon_area(_ccw(points)))


def polytope_volume(vertices: Sequence[Sequence[Fraction]], facets: Sequence[tuple[Sequence[int], int]]
                    ) -> Fraction:
    """The exact volume of a full-dimensional polytope in R^1, R^2 or R^3.

    *vertices* are its vertices and *facets* its facet inequalities ``a . x <= b``.
    Three dimensions: a pyramid from the vertex centroid over each facet, the facet
    fanned into triangles (vertices ordered in a coordinate projection).

    Examples
    --------
    >>> F = Fraction
    >>> cube = [(F(a), F(b), F(c)) for a in (0, 1) for b in (0, 2) for c in (0, 3)]
    >>> facets = [((-1, 0, 0), 0), ((1, 0, 0), 1), ((0, -1, 0), 0), ((0, 1, 0), 2), ((0, 0, -1), 0), ((0, 0, 1), 3)]
    >>> polytope_volume(cube, facets)
    Fraction(6, 1)
    >>> polytope_volume([(F(0), F(0)), (F(1), F(0)), (F(0), F(1))], [])
    Fraction(1, 2)
    """
    dim = len(vertices[0])
    if dim == 1:
        return max(v[0] for v in vertices) - min(v[0] for v in vertices)
    if dim == 2:
        return _area([(v[0], v[1]) for v in vertices])
    if dim != 3:
        raise InputError(f"exact volumes are computed in dimensions 1 to 3, not {dim}")
    n = len(vertices)
    center = [sum((v[i] for v in vertices), Fraction(0)) / n for i in range(3)]
    total = Fraction(0)
    for a, b in facets:
        on = [v for v in vertices if sum(c * x for c, x in zip(a, v)) == b]
        if len(on) < 3:
            continue
        k = max(range(3), key=lambda i: abs(a[i]))
        keep = [i for i in range(3) if i != k]
        lift = {(v[keep[0]], v[keep[1]]): v for v in on}
        ordered = [lift[p] for p in _ccw(list(lift))]
        for i in range(1, len(ordered) - 1):
            p, q, r = (tuple(x - c for x, c in zip(v, center)) for v in (ordered[0], ordered[i], ordered[i + 1]))
            det = (p[0] * (q[1] * r[2] - q[2] * r[1]) - p[1] * (q[0] * r[2] - q[2] * r[0])
                   + p[2] * (q[0] * r[1] - q[1] * r[0]))
            total += abs(det) / 6
    return total
