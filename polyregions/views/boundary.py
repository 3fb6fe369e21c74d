"""The decision boundary drawn over the regions of a 2-input network.

:func:`figure_boundary` draws the pieces that :func:`polyregions.queries.boundary.decision_boundary`
found (segments, converted to floats for drawing only) over the region picture of
:func:`polyregions.views.plot.figure_regions`.
"""

from __future__ import annotations

from typing import Any

from ..core.domain import Domain
from ..core.network import Network
from ..queries.boundary import BoundaryResult, piece_segment
from .plot import figure_regions

__all__ = ["figure_boundary"]


def figure_boundary(network: Network, domain: Domain, result: BoundaryResult, title: str | None = None
                    ) -> tuple[Any, Any]:
    """The regions of a 2-input network (:func:`polyregions.views.plot.figure_regions`) with the
    boundary pieces drawn over them, one colour per pair of classes."""
    figure, summary = figure_regions(network, domain, title=title)
    ax = figure.axes[0]
    colors = ["black", "crimson", "navy", "darkgreen", "darkorange", "purple"]
    drawn = set()
    for piece in result.pieces:
        segment = piece_segment(piece)
        if segment is None:
            continue
        color = colors[result.pairs.index(piece.classes) % len(colors)]
        label = f"boundary {piece.classes[0]} | {piece.classes[1]}" if piece.classes not in drawn else None
        drawn.add(piece.classes)
        (x0, y0), (x1, y1) = ((float(u), float(v)) for u, v in segment)  # floats for drawing only
        ax.plot([x0, x1], [y0, y1], color=color, linewidth=2.5,
                solid_capstyle="round", label=label, zorder=5)
    if drawn:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(3, len(drawn)), fontsize=8,
                  frameon=False)
    return figure, summary
