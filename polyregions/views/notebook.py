"""Results in a notebook: a regions DataFrame and inline region plots.

- :func:`regions_table` lists the regions as a pandas DataFrame (pandas is optional),
  with the exact volume of each bounded region in dimension 1 to 3
  (:func:`polyregions.search.regions.region_volume`);
- :func:`plot_regions` returns a :class:`RegionPlot` that Jupyter shows inline as PNG
  (``_repr_png_``) and that saves to a file.

The records themselves (:class:`~polyregions.queries.count.RegionCounts`,
:class:`~polyregions.search.regions.Region` and the graphs of
:func:`~polyregions.queries.graph.region_graph`) show as small tables in Jupyter
(``_repr_html_``), built beside them from :mod:`polyregions.core.html`.

Numbers in the tables are exact strings (``"1/3"``), with float copies beside them in the
DataFrame for sorting and plotting; nothing here decides anything.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..core.domain import Domain
from ..core.network import Network
from ..errors import InputError
from ..io.models import takes_models
from ..rationals import counted, format_rational, to_float
from ..search.engine import enumerate_regions
from ..core.html import point_text
from ..search.regions import output_text, region_volume
from .plot import figure_function, figure_regions, save_figure

__all__ = ["regions_table", "plot_regions", "RegionPlot"]


# ---------------------------------------------------------------------------- tables


@takes_models("network")
def regions_table(network: Network, domain: Domain | None = None, *, volume: bool = True,
                  limit: int | None = None) -> Any:
    """The activation regions as a pandas DataFrame, one row per region.

    Columns: ``pattern`` (the key), ``bounded``, ``interior_point`` (exact, as text),
    ``output_map`` (the exact affine output map as text, outputs separated by ``;``),
    ``facets`` (irredundant inequalities), and, with *volume* and a bounded region in
    dimension 1 to 3, ``volume`` (exact text) and ``volume_float``; then floats (the
    nearest double of each exact number, for sorting and plotting only): ``x1``, ...,
    ``xn``, the interior point's coordinates, and for each output ``k`` (0-based, as
    ``--output K``) ``out{k}_x1``, ..., ``out{k}_xn``, ``out{k}_bias``, the weights and
    bias of its affine map on the region (``out0_x1 * x1 + ... + out0_bias``). *limit*
    stops after that many regions.

    Raises
    ------
    InputError
        Without pandas (one line that says how to install it).

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> table = regions_table(net, Domain.box(2, -1, 1))
    >>> table[["pattern", "bounded", "interior_point", "volume"]].to_string(index=False)
    'pattern  bounded interior_point volume\\n     ++     True     (1/2, 1/2)      1\\n     +-     True    (1/2, -1/2)      1\\n     -+     True    (-1/2, 1/2)      1\\n     --     True   (-1/2, -1/2)      1'
    >>> table[["x1", "x2", "out0_x1", "out0_x2", "out0_bias"]].to_string(index=False)
    '  x1   x2  out0_x1  out0_x2  out0_bias\\n 0.5  0.5      1.0      1.0        0.0\\n 0.5 -0.5      1.0      0.0        0.0\\n-0.5  0.5      0.0      1.0        0.0\\n-0.5 -0.5      0.0      0.0        0.0'
    """
    try:
        import pandas as pd
    except ImportError:
        raise InputError("regions_table needs pandas: pip install pandas (or pip install -e '.[notebook]' "
                         "from the clone)") from None
    names = [f"x{i + 1}" for i in range(network.input_dim)]
    maps = [f"out{k}_{name}" for k in range(network.output_dim) for name in names + ["bias"]]
    rows = []
    for region in enumerate_regions(network, domain):
        vol = region_volume(region) if volume else None
        row = {"pattern": region.key, "bounded": region.bounded,
               "interior_point": point_text(region.interior_point),
               "output_map": "; ".join(output_text(region, names)),
               "facets": len(region.inequalities),
               "volume": None if vol is None else format_rational(vol),
               "volume_float": None if vol is None else to_float(vol)}
        row.update(zip(names, map(to_float, region.interior_point)))
        m = region.output_map
        row.update(zip(maps, (to_float(v) for weight, bias in zip(m.weight, m.bias) for v in weight + (bias,))))
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    columns = ["pattern", "bounded", "interior_point", "output_map", "facets", "volume", "volume_float"] + names + maps
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------- plots


class RegionPlot:
    """A region plot that Jupyter shows inline (PNG) and that saves to .png, .svg or .pdf.

    Attributes: ``figure`` (matplotlib, on the Agg canvas) and ``summary``
    (:class:`~polyregions.views.plot.PlotSummary`).
    """

    def __init__(self, figure: Any, summary: Any) -> None:
        self.figure = figure
        self.summary = summary

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
        return buffer.getvalue()

    def save(self, path: str | Path) -> None:
        """Write the figure atomically; the extension picks the format."""
        save_figure(self.figure, path)

    def __repr__(self) -> str:
        return (f"RegionPlot({counted(self.summary.activation_regions, 'activation region')}, "
                f"{counted(self.summary.linear_regions, 'linear region')} on {self.summary.domain.describe()})")


@takes_models("network")
def plot_regions(network: Network, domain: Domain | None = None, **options: Any) -> RegionPlot:
    """The regions of a 2-input network (the function of a 1-input one) as an inline plot.

    *options* are those of :func:`polyregions.views.plot.figure_regions` (``graph``,
    ``heatmap``, ``level_set``, ``title``) or :func:`~polyregions.views.plot.figure_function`.
    The domain defaults to ``[-1, 1]^n``.

    Examples
    --------
    >>> plot = plot_regions(Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]]))
    >>> plot
    RegionPlot(4 activation regions, 4 linear regions on box [-1, 1]^2)
    >>> plot._repr_png_()[:4]
    b'\\x89PNG'
    """
    if network.input_dim == 1:
        figure, summary = figure_function(network, domain, **options)
    elif network.input_dim == 2:
        figure, summary = figure_regions(network, domain, **options)
    else:
        raise InputError(f"plot_regions needs a network with 1 or 2 inputs, got {network.input_dim}: plot a "
                         "2-D slice (polyregions.core.slices.slice_network)")
    return RegionPlot(figure, summary)
