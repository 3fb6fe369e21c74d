"""Small HTML tables for notebooks: what the records' ``_repr_html_`` build on.

The records (regions, counts, graphs) show themselves in Jupyter as small two-column
tables of exact text; this is the one helper they share, so that no record imports
the views. Everything is escaped; nothing here decides anything.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Sequence

from ..rationals import format_rational

__all__ = ["escape", "escape_xml", "quote_attribute", "table", "point_text"]


# Markup escaping is written here rather than taken from the standard library: the
# html module loads an entity table (1.8 ms of a count's start-up) and xml.sax.saxutils
# imports urllib.request, http.client, email and ssl (6 MiB in every process that
# imports the engine, workers included).


def escape_xml(text: str, quotes: bool = False) -> str:
    """*text* with ``&``, ``<`` and ``>`` as entities (as ``xml.sax.saxutils.escape``);
    with *quotes*, ``"`` and ``'`` too.

    Examples
    --------
    >>> escape_xml("a < b & c > d"), escape_xml("'q'", quotes=True)
    ('a &lt; b &amp; c &gt; d', '&#x27;q&#x27;')
    """
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    if quotes:
        text = text.replace('"', "&quot;").replace("'", "&#x27;")
    return text


def quote_attribute(text: str) -> str:
    """*text* as a quoted XML attribute value (as ``xml.sax.saxutils.quoteattr``).

    Examples
    --------
    >>> print(quote_attribute('a "b"'), quote_attribute("a < b"), quote_attribute("it's"))
    'a "b"' "a &lt; b" "it's"
    """
    text = escape_xml(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def escape(text: str) -> str:
    """*text* safe inside HTML elements and quoted attributes (as ``html.escape``).

    Examples
    --------
    >>> escape("a < b & 'c'")
    'a &lt; b &amp; &#x27;c&#x27;'
    """
    return escape_xml(text, quotes=True)


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
