"""A progress line on a terminal for long searches.

:class:`ProgressLine` is a progress callback (see :class:`polyregions.run.executors.Progress`)
that keeps one status line up to date on stderr: regions found, the rate, tasks
done and pending, the workers and the time. :class:`BoxProgressLine` is its twin for
``verify``'s input splitting: boxes done, boxes open, their worst gap, the workers and
the time. It stays silent for the first second
(short runs print nothing), writes only to a terminal, and clears its line when the
run ends so that the results print on a clean line.
"""

from __future__ import annotations

import sys
from typing import IO, Any

__all__ = ["BoxProgressLine", "ProgressLine", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration.

    Examples
    --------
    >>> format_seconds(75.4), format_seconds(3725)
    ('1:15', '1:02:05')
    """
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """Writes the progress of a search as one line that updates in place.

    Parameters
    ----------
    stream
        Where to write (default ``sys.stderr``); nothing is written unless it is a
        terminal, or *force* is true.
    delay
        Seconds before the first line (runs shorter than that show nothing).
    """

    def __init__(self, stream: IO[str] | None = None, delay: float = 1.0, force: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.enabled = force or _is_terminal(self.stream)
        self.shown = False

    def __call__(self, report: Any) -> None:
        if not self.enabled:
            return
        if report.done:
            self.clear()
            return
        if report.seconds < self.delay:
            return
        self.stream.write("\r\x1b[K" + self.text(report))
        self.stream.flush()
        self.shown = True

    @staticmethod
    def text(report: Any) -> str:
        """The status line for one :class:`~polyregions.run.executors.Progress` report.

        Examples
        --------
        >>> from polyregions.run.executors import Progress
        >>> ProgressLine.text(Progress(12345, 0, 7, 3, 10.0, 2))
        'polyregions: 12,345 regions  1,234/s  tasks 7 done, 3 pending  2 workers  0:10'
        """
        restored = f" ({report.restored:,} from the checkpoint)" if report.restored else ""
        workers = f"{report.workers} worker{'s' if report.workers != 1 else ''}"
        return (f"polyregions: {report.regions:,} regions{restored}  {report.rate:,.0f}/s  "
                f"tasks {report.tasks_done} done, {report.tasks_pending} pending  {workers}  "
                f"{format_seconds(report.seconds)}")

    def clear(self) -> None:
        """Remove the status line (after an interruption too)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class BoxProgressLine(ProgressLine):
    """The progress line of input splitting (``verify``): boxes visited, boxes open, and the
    worst gap of the open boxes (the most by which the bounds miss refuting the unsafe set
    on one of them: negative while boxes are open; the property holds once none is)."""

    @staticmethod
    def text(report: Any) -> str:
        """The status line for one report whose ``status`` is input splitting's.

        Examples
        --------
        >>> from polyregions.run.executors import Progress
        >>> BoxProgressLine.text(Progress(5000, 0, 7, 3, 10.0, 2, status={"boxes": 5000, "open": 12,
        ...                                                                "gap": -0.0123}))
        'polyregions: 5,000 boxes done, 12 open, worst gap -0.0123  2 workers  0:10'
        """
        status = report.status or {}
        restored = f" ({report.restored:,} from the checkpoint)" if report.restored else ""
        gap = status.get("gap")
        worst = "" if gap is None else f", worst gap {gap:.3g}"
        workers = f"{report.workers} worker{'s' if report.workers != 1 else ''}"
        return (f"polyregions: {status.get('boxes', report.regions):,} boxes done{restored}, "
                f"{status.get('open', 0):,} open{worst}  {workers}  {format_seconds(report.seconds)}")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
