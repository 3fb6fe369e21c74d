"""The three input points of a slice, seen as images, for the pictures of the slice.

A slice ``x = P0 + s (P1 - P0) + t (P2 - P0)`` (:mod:`polyregions.core.slices`) passes
through ``P0`` at ``(s, t) = (0, 0)``, ``P1`` at ``(1, 0)`` and ``P2`` at ``(0, 1)``. When
the inputs are images (a ``C x H x W`` tensor flattened channel by channel, row by row,
as ONNX and PyTorch lay them out), :class:`SliceImages` holds the three points with that
shape; the region pictures (:func:`polyregions.views.plot.figure_regions`, the explorer)
draw each one as a thumbnail next to its point of the plane.

Nothing here decides anything: the points are kept exactly, and become grey levels
(floats) only to be drawn. Neither matplotlib nor plotly is imported here.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..core.network import Network
from ..errors import InputError, NumberError
from ..rationals import to_rational

__all__ = ["SliceImages", "parse_image_shape", "image_shape_of", "corner_labels", "CORNERS", "NAMES", "DIRECTIONS"]

#: Where the three points lie in the plane's coordinates (s, t).
CORNERS = ((Fraction(0), Fraction(0)), (Fraction(1), Fraction(0)), (Fraction(0), Fraction(1)))

#: Their names, as in ``--slice P0 P1 P2``.
NAMES = ("P0", "P1", "P2")

#: The side of its point on which each thumbnail is drawn: P0 lower left, P1 lower right, P2 upper left,
#: away from the triangle that the three points span.
DIRECTIONS = ((-1, -1), (1, -1), (-1, 1))

Point = tuple[Fraction, Fraction]


def _shape(shape: Sequence[Any], place: str) -> tuple[int, int, int]:
    """``(C, H, W)`` from ``(H, W)`` or ``(C, H, W)``; C must be 1 (grey) or 3 (RGB) to be drawn."""
    dims = tuple(shape)
    if len(dims) not in (2, 3) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise InputError(f"{place}: expected an image shape C,H,W or H,W of positive integers, got {list(dims)}")
    if len(dims) == 2:
        dims = (1,) + dims
    if dims[0] not in (1, 3):
        raise InputError(f"{place}: an image to draw has 1 channel (grey) or 3 (RGB), not {dims[0]} "
                         f"({'x'.join(map(str, dims))})")
    return dims  # type: ignore[return-value]


def parse_image_shape(text: str, place: str = "--image-shape") -> tuple[int, int, int]:
    """``"1,8,8"``, ``"1x8x8"`` or ``"8,8"`` as ``(C, H, W)``.

    Examples
    --------
    >>> parse_image_shape("1,8,8"), parse_image_shape("28x28")
    ((1, 8, 8), (1, 28, 28))
    >>> parse_image_shape("2,8,8")
    Traceback (most recent call last):
    ...
    polyregions.errors.InputError: --image-shape: an image to draw has 1 channel (grey) or 3 (RGB), not 2 (2x8x8)
    """
    parts = re.split(r"[,x]", text.strip())
    if not all(re.fullmatch(r"[0-9]{1,6}", p.strip()) for p in parts):
        raise InputError(f"{place}: expected C,H,W or H,W with positive integers, got {text!r}")
    return _shape([int(p) for p in parts], place)


def image_shape_of(shape: Sequence[int] | None) -> tuple[int, int, int] | None:
    """The image shape ``(C, H, W)`` of a model input of *shape* (batch axis left out), or None
    when it is no image that can be drawn (a vector, or a channel count other than 1 and 3).

    >>> image_shape_of((1, 8, 8)), image_shape_of((64,)), image_shape_of((2, 8, 8))
    ((1, 8, 8), None, None)
    """
    if shape is None or len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] not in (1, 3)):
        return None
    return _shape(shape, "input shape")


@dataclass(frozen=True, slots=True)
class SliceImages:
    """The three points ``P0, P1, P2`` of a slice as images of one shape.

    Build it with :meth:`from_points`, which checks the shape against the points.

    Attributes
    ----------
    shape
        ``(C, H, W)``; C is 1 (grey) or 3 (RGB).
    points
        The three points, exact, each with ``C * H * W`` coordinates.
    """

    shape: tuple[int, int, int]
    points: tuple[tuple[Fraction, ...], tuple[Fraction, ...], tuple[Fraction, ...]]

    @classmethod
    def from_points(cls, points: Sequence[Sequence[Any]], shape: Sequence[int]) -> "SliceImages":
        """The slice through *points* (three of them) seen as images of *shape* (``(C, H, W)`` or ``(H, W)``).

        Raises
        ------
        InputError
            A shape that is no image to draw, or points with another number of coordinates.

        Examples
        --------
        >>> images = SliceImages.from_points([[0] * 4, [1, 0, 0, 0], ["1/2"] * 4], (2, 2))
        >>> images
        SliceImages(shape=1x2x2)
        >>> SliceImages.from_points([[0] * 4, [0] * 4, [0] * 3], (2, 2))
        Traceback (most recent call last):
        ...
        polyregions.errors.InputError: image shape 1x2x2 has 4 pixels, but the slice point P2 has 3 coordinates
        """
        dims = _shape(shape, "image shape")
        if len(points) != 3:
            raise InputError(f"a slice has three points P0, P1, P2, got {len(points)}")
        size = dims[0] * dims[1] * dims[2]
        exact = []
        for name, point in zip(NAMES, points):
            if len(point) != size:
                raise InputError(f"image shape {'x'.join(map(str, dims))} has {size} pixels, but the slice point "
                                 f"{name} has {len(point)} coordinates")
            try:
                exact.append(tuple(to_rational(v, f"{name}[{i}]") for i, v in enumerate(point)))
            except NumberError as exc:
                raise InputError(str(exc)) from None
        return cls(dims, (exact[0], exact[1], exact[2]))

    def __repr__(self) -> str:
        return f"SliceImages(shape={'x'.join(map(str, self.shape))})"

    def levels(self) -> list[list[list[tuple[float, ...]]]]:
        """Each image as rows of pixels, each pixel C floats in [0, 1] (for drawing only).

        One scale for the three images (their smallest value is 0, their largest 1), so
        they compare: brighter is larger.
        """
        low = min(min(p) for p in self.points)
        high = max(max(p) for p in self.points)
        span = high - low
        c, h, w = self.shape
        out = []
        for point in self.points:
            scaled = [float((v - low) / span) if span else 0.0 for v in point]
            out.append([[tuple(scaled[k * h * w + r * w + col] for k in range(c)) for col in range(w)]
                        for r in range(h)])
        return out

    def svg_uris(self) -> list[str]:
        """Each image as an SVG data URI, one square per pixel (sharp at any size: for the explorer)."""
        uris = []
        _, h, w = self.shape
        for rows in self.levels():
            cells = []
            for r, row in enumerate(rows):
                for col, pixel in enumerate(row):
                    rgb = pixel * 3 if len(pixel) == 1 else pixel
                    color = "#" + "".join(f"{round(255 * v):02x}" for v in rgb)
                    cells.append(f'<rect x="{col}" y="{r}" width="1" height="1" fill="{color}"/>')
            svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                   f'shape-rendering="crispEdges">{"".join(cells)}</svg>')
            uris.append("data:image/svg+xml;base64," + base64.b64encode(svg.encode("ascii")).decode("ascii"))
        return uris

    def anchors(self, view: tuple[Fraction, Fraction, Fraction, Fraction]) -> list[tuple[Point, bool]]:
        """Where to draw each thumbnail for a picture of the box *view* ``(x_low, x_high, y_low, y_high)``:
        its point, or where the point lies outside the view, the nearest point of the view;
        with True when it was moved so.

        >>> F = Fraction
        >>> for (s, t), moved in SliceImages.from_points([[0], [1], [2]], (1, 1)).anchors((F(0), F(1, 2), F(0), F(2))):
        ...     print(s, t, moved)
        0 0 False
        1/2 0 True
        0 1 False
        """
        x_low, x_high, y_low, y_high = view
        out = []
        for s, t in CORNERS:
            anchor = (min(max(s, x_low), x_high), min(max(t, y_low), y_high))
            out.append((anchor, anchor != (s, t)))
        return out

    def caption(self, moved: Sequence[bool] = (False, False, False)) -> str:
        """What the thumbnails show, for the picture's subtitle.

        >>> SliceImages.from_points([[0], [1], [2]], (1, 1)).caption([False, True, False])
        'images: P0 at (s, t) = (0, 0), P1 at (1, 0), P2 at (0, 1); P1 lies outside the view (dotted, at its edge)'
        """
        text = "images: " + ", ".join(f"{name} at {'(s, t) = ' if name == 'P0' else ''}({s}, {t})"
                                      for name, (s, t) in zip(NAMES, CORNERS))
        outside = [name for name, out in zip(NAMES, moved) if out]
        if outside:
            text += (f"; {' and '.join(outside)} {'lies' if len(outside) == 1 else 'lie'} outside the view "
                     "(dotted, at its edge)")
        return text


def corner_labels(network: Network) -> list[str]:
    """``"P0"``, ``"P1"``, ``"P2"``, each with the class the 2-input *network* (a slice) gives its
    point, decided exactly (``"P0: class 3"``; ``"P0: tie 3, 5"`` where the largest outputs tie).
    A network with one output: the names alone.

    >>> corner_labels(Network.mlp([[[1, 0], [0, 1], [0, 0]]], [[0, 0, "1/2"]]))
    ['P0: class 2', 'P1: class 0', 'P2: class 1']
    """
    if network.output_dim == 1:
        return list(NAMES)
    labels = []
    for name, corner in zip(NAMES, CORNERS):
        outputs = network(list(corner))
        best = max(outputs)
        top = [k for k, y in enumerate(outputs) if y == best]
        labels.append(f"{name}: class {top[0]}" if len(top) == 1 else f"{name}: tie {', '.join(map(str, top))}")
    return labels
