"""Space folding and the N_R recursion of Montufar, Pascanu, Cho and Bengio (2014).

For each activation layer l, the *cells* of depth l are the activation regions of
the network cut after layer l. The composed map of layers 1..l followed by the next
affine map sends each cell onto an exact polytope in the input space of layer l+1
(for the last activation layer: the output space); two cells whose images coincide
are *identified* by the map: every later layer treats them alike, since it only sees
that image. Images are compared exactly, by their sets of vertices.

The recursion (the paper's Lemma 2): N^0 = 1 for the domain; for an image K of
depth l, N^l_K is the sum, over the images J of depth l-1, of N^{l-1}_J times the
number of children of one representative cell of J whose image is K. Because the
children of a cell depend only on its image, N^l_K must equal the number of depth-l
cells with image K (its multiplicity), and the sum over the last layer must equal the
number of activation regions. :func:`folding_analysis` computes both sides exactly
and reports whether they match.

The images of unbounded cells are unbounded; the analysis needs a bounded domain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..geometry import lp
from ..core.domain import Domain
from ..search.engine import enumerate_regions, initial_cell
from ..errors import DomainError, InputError
from ..core.layers import Affine
from ..core.network import Network
from ..io.models import takes_models

__all__ = ["FoldingLayer", "FoldingReport", "folding_analysis", "folding_product"]

Image = frozenset


@dataclass(frozen=True, slots=True)
class FoldingLayer:
    """What the map up to one activation layer identifies.

    Attributes
    ----------
    layer
        The activation layer's number (1 for the first activation layer).
    index
        Its place in the model file's ``layers`` list (from 0).
    cells
        Number of cells of this depth (activation regions of the cut network).
    distinct_images
        Number of distinct images.
    multiplicities
        For each distinct image, in order of first appearance, how many cells map onto it.
    recursion
        N^l for each distinct image, in the same order, computed by the recursion.
    children
        For each distinct image of the previous layer (in its order), the number of
        cells of this depth inside one representative cell of that image: how many
        pieces this layer makes of it.
    """

    layer: int
    index: int
    cells: int
    distinct_images: int
    multiplicities: tuple[int, ...]
    recursion: tuple[int, ...]
    children: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "index": self.index, "cells": self.cells, "distinct_images": self.distinct_images,
                "multiplicities": list(self.multiplicities), "recursion": list(self.recursion),
                "children": list(self.children), "max_multiplicity": max(self.multiplicities, default=0)}


@dataclass(frozen=True, slots=True)
class FoldingReport:
    """The folding analysis of a network on a bounded domain."""

    layers: tuple[FoldingLayer, ...]
    activation_regions: int
    recursion_total: int

    @property
    def recursion_matches(self) -> bool:
        """True when the recursion reproduces every multiplicity and the region count."""
        return (self.recursion_total == self.activation_regions
                and all(l.recursion == l.multiplicities for l in self.layers))

    def to_json(self) -> dict[str, Any]:
        return {"layers": [l.to_json() for l in self.layers],
                "activation_regions": self.activation_regions,
                "recursion_total": self.recursion_total,
                "recursion_matches": self.recursion_matches}


def _cut_points(network: Network) -> list[tuple[int, int]]:
    """For each activation layer: (its index, the end of the layers whose output is its image)."""
    acts = [i for i, layer in enumerate(network.layers) if not isinstance(layer, Affine)]
    out = []
    for k, index in enumerate(acts):
        end = acts[k + 1] if k + 1 < len(acts) else len(network.layers)
        out.append((index, end))
    return out


def _image(region: Any) -> Image:
    """The exact image of a bounded region under its output map, as its vertex set."""
    cell = region.cell
    out_map = region.output_map
    points = []
    for x in cell.vertices():
        points.append(out_map(x))
    return frozenset(points[i] for i in lp.extreme_points(points))


@takes_models("network")
def folding_analysis(network: Network, domain: Domain) -> FoldingReport:
    """Images, multiplicities and the exact N_R recursion, layer by layer.

    Examples
    --------
    The fold ``|x|`` followed by ``relu(. - 1/2)`` on [-1, 1]: the first layer maps
    both halves onto [0, 1] (one image, multiplicity 2); the second splits that image
    in two, each reached twice, so the recursion gives 2 * 2 = 4 regions.

    >>> net = Network.mlp([[[1]], [["1"]]], [[0], ["-1/2"]], activation="abs", final_activation="relu")
    >>> report = folding_analysis(net, Domain.box(1, -1, 1))
    >>> [l.multiplicities for l in report.layers], report.recursion_total, report.recursion_matches
    ([(2,), (2, 2)], 4, True)
    """
    if domain.dim != network.input_dim:
        raise InputError(f"domain has dimension {domain.dim}, the network input_dim is {network.input_dim}")
    if not initial_cell(domain).is_bounded():
        raise DomainError("the folding analysis needs a bounded domain (images of unbounded "
                          "regions are unbounded): use --box or a bounded --domain")
    cuts = _cut_points(network)
    if not cuts:
        raise InputError("the network has no activation layer to fold")
    layers: list[FoldingLayer] = []
    previous: dict[tuple, Image] = {(): frozenset()}  # prefix -> image class of depth l-1
    values: dict[Image, int] = {frozenset(): 1}       # N^{l-1} per image class
    regions = 0
    for depth, (index, end) in enumerate(cuts):
        cut = Network.from_layers(network.input_dim, network.layers[:end])
        images: dict[tuple, Image] = {}
        order: list[Image] = []
        for region in enumerate_regions(cut, domain):
            image = _image(region)
            images[region.pattern] = image
            if image not in order:
                order.append(image)
        multiplicity = Counter(images.values())
        # recursion: one representative parent per class of depth l-1
        representative: dict[Image, tuple] = {}
        for prefix, image in previous.items():
            representative.setdefault(image, prefix)
        children: dict[tuple, Counter] = {}
        for pattern, image in images.items():
            children.setdefault(pattern[:-1], Counter())[image] += 1
        recursion: Counter = Counter()
        pieces = []
        for image, prefix in representative.items():
            below = children.get(prefix, Counter())
            pieces.append(sum(below.values()))
            for child, count in below.items():
                recursion[child] += values[image] * count
        layers.append(FoldingLayer(depth + 1, index, len(images), len(order),
                                   tuple(multiplicity[i] for i in order),
                                   tuple(recursion[i] for i in order), tuple(pieces)))
        previous = images
        values = dict(recursion)
        regions = len(images)
    return FoldingReport(tuple(layers), regions, sum(values.values()))


def folding_product(report: FoldingReport) -> "sympy.Expr":
    """The count as a product over layers when every layer before the last folds onto one image.

    Then each layer multiplies the count by the number of pieces it makes of the one
    image before it (the paper's argument for the zig-zag construction); the result is
    an unevaluated sympy product of those factors.

    Examples
    --------
    >>> from polyregions.theory.constructions import rectifier_zigzag
    >>> product = folding_product(folding_analysis(rectifier_zigzag(1, [3, 2]), Domain.box(1, 0, 1)))
    >>> product, product.doit()
    (3*3, 9)
    """
    import sympy

    factors = []
    for depth, layer in enumerate(report.layers):
        if depth < len(report.layers) - 1 and layer.distinct_images != 1:
            raise InputError(f"layer {depth + 1} maps its cells onto {layer.distinct_images} images; "
                             "the product form needs one image per layer before the last")
        factors.append(sympy.Integer(layer.children[0]))
    return sympy.Mul(*factors, evaluate=False)
