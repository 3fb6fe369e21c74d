"""Small HTML tables for notebooks: what the records' ``_repr_html_`` build on.

The records (regions, counts, graphs) show themselves in Jupyter as small two-column
tables of exact text; this is the one helper they share, so that no record imports
the views. Everything is escaped; nothing here decides anything.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape as _escape

from ..rationals import format_rational

__all__ = ["escape", "table", "point_text"]


#: What html.escape(text, quote=True) replaces beyond &, < and > (the html module itself
#: costs a count 1.8 ms of start-up for its entity table; xml.sax.saxutils is loaded anyway).
_QUOTES = {'"': "&quot;", "'": "&#x27;"}


def escape(text: str) -> str:
    """*text* safe inside HTML elements and quoted attributes (as ``html.escape``).

    Examples
    --------
    >>> escape("a < b & 'c'")
    'a &lt; b &amp; &#x27;c&#x27;'
    """
    return _escape(text, _QUOTES)


def table(rows: Iterable[tuple[str, Any]], caption: str) -> str:
    """A two-column table of *rows* (label, value) under *caption*, every text escaped.

    Examples
    --------
    >>> table([("count", 3)], "region counts")
    "<table><caption style='text-align:left'>region counts</caption><tr><th style='text-align:left'>count</th><td style='text-align:left'>3</td></tr></table>"
    """
    body = "".join(f"<tr><th style='text-align:left'>{escape(str(k))}</th>"
                   f"<td style='text-align:left'>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption style='text-align:left'>{escape(caption)}</caption>{body}</table>"


def point_text(point: Sequence[Fraction]) -> str:
    """A point as exact text: ``(1/2, -3)``."""
    return "(" + ", ".join(format_rational(v) for v in point) + ")"
