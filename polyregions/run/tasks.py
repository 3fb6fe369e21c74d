"""Subtrees of the search as small picklable tasks.

A :class:`Task` names one or more subtrees of the decision tree by their paths (the
branch indices from the root, see :mod:`polyregions.search.engine`), consecutive in the
serial order. Running it (:func:`run_task`) rebuilds each subtree's root by
replaying its path, walks depth first, hands every region to a collector (see
:mod:`polyregions.run.jobs`) and stops when its :class:`Budget` runs out; the nodes not
yet expanded come back as the *frontier*, paths again, to be run as new tasks. So a
large subtree is split while it runs, wherever it turns out to be large.

Order. Everything a task yields precedes its frontier in the serial order, and the
regions of the subtrees of different open paths do not interleave. So if results
are taken in the order of their tasks' first paths (tuples compare
lexicographically, a prefix before its extensions), and a result is taken only
when no open path sorts before it, the regions arrive exactly in the serial order,
whatever ran where (:class:`InOrder`).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..checker.common import paused_collector
from ..core.domain import Domain
from ..search.engine import Node, Search
from ..errors import PolyregionsError
from ..search.regions import Region

if TYPE_CHECKING:
    from .jobs import JobSpec

__all__ = ["Path", "Task", "TaskResult", "Budget", "run_task", "InOrder", "group_paths"]

Path = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Task:
    """Subtrees of one search: the domain and consecutive open paths (the workers hold the
    network: each runs one search).

    Examples
    --------
    >>> import pickle
    >>> task = Task(Domain.whole(2), ((0,), (1, 0)))
    >>> pickle.loads(pickle.dumps(task)) == task
    True
    """

    domain: Domain
    paths: tuple[Path, ...]


@dataclass(slots=True)
class TaskResult:
    """What running a task gave: the collector's partial result and the frontier.

    ``regions`` counts the activation regions found, ``seconds`` the time spent.
    """

    paths: tuple[Path, ...]
    frontier: list[Path]
    partial: Any
    regions: int
    seconds: float


class Budget:
    """When a running task should stop and hand back its frontier.

    Parameters
    ----------
    seconds
        Stop after this long (None: no limit).
    regions
        Stop once this many regions are found (None: no limit).
    hungry
        An event (anything with ``is_set()``) that other workers set when they have
        nothing to do: then stop soon, after at least *min_seconds*, so the frontier
        can be shared. It is read at most every *poll_seconds*.
    """

    __slots__ = ("seconds", "regions", "hungry", "min_seconds", "poll_seconds", "_start", "_deadline",
                 "_next_poll", "found")

    def __init__(self, seconds: float | None = None, regions: int | None = None,
                 hungry: Any = None, min_seconds: float = 0.05, poll_seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.regions = regions
        self.hungry = hungry
        self.min_seconds = min_seconds
        self.poll_seconds = poll_seconds
        self.found = 0
        self.start()

    def start(self) -> None:
        now = time.perf_counter()
        self._start = now
        self._deadline = None if self.seconds is None else now + self.seconds
        self._next_poll = now + self.min_seconds
        self.found = 0

    def spent(self) -> bool:
        """True when the task should stop now."""
        if self.regions is not None and self.found >= self.regions:
            return True
        if self._deadline is None and self.hungry is None:
            return False
        now = time.perf_counter()
        if self._deadline is not None and now >= self._deadline:
            return True
        if self.hungry is not None and now >= self._next_poll:
            self._next_poll = now + self.poll_seconds
            return bool(self.hungry.is_set())
        return False


def run_task(search: Search, spec: "JobSpec", paths: Sequence[Path], budget: Budget | None = None,
             on_region: Callable[[Region], None] | None = None) -> TaskResult:
    """Run the subtrees at *paths* until done or until *budget* is spent.

    *on_region* is called with every region too (in-process callers only).
    """
    start = time.perf_counter()
    if budget is not None:
        budget.start()
    stack: list[Node | Region] = list(search.replay_many(paths))
    stack.reverse()
    return _walk(search, spec, stack, budget, on_region, tuple(tuple(p) for p in paths), start)


def continue_walk(search: Search, spec: "JobSpec", stack: list[Node | Region], budget: Budget | None = None,
                  on_region: Callable[[Region], None] | None = None) -> TaskResult:
    """Like :func:`run_task` on a live stack (no replay): the serial search in chunks.

    *stack* is consumed as in :meth:`~polyregions.search.engine.Search.walk`; it holds the
    frontier's nodes afterwards.
    """
    start = time.perf_counter()
    if budget is not None:
        budget.start()
    paths = tuple(_path_of(node) for node in reversed(stack))
    return _walk(search, spec, stack, budget, on_region, paths, start)


def _path_of(node: Node | Region) -> Path:
    if isinstance(node, Region):
        return ()  # only the root of a network without units is a region on a stack
    return node.path


def _walk(search: Search, spec: "JobSpec", stack: list[Node | Region], budget: Budget | None,
          on_region: Callable[[Region], None] | None, paths: tuple[Path, ...], start: float) -> TaskResult:
    collector = spec.collector(search)
    stop = None
    if budget is not None:
        stop = budget.spent
    found = 0
    add = collector.add
    with paused_collector(), spec.task_context():
        for region in search.walk(stack, on_drop=collector.on_drop, stop=stop):
            add(region)
            if on_region is not None:
                on_region(region)
            found += 1
            if budget is not None:
                budget.found = found
        partial = collector.partial()
    frontier = []
    for node in reversed(stack):
        if isinstance(node, Region):  # pragma: no cover - regions are yielded before any stop
            raise PolyregionsError("a region left on the frontier (internal error)")
        frontier.append(node.path)
    return TaskResult(paths, frontier, partial, found, time.perf_counter() - start)


def group_paths(paths: Sequence[Path], pieces: int) -> list[list[Path]]:
    """Cut consecutive open paths (serial order) into at most *pieces* tasks.

    A frontier lists the deepest (smallest) subtrees first and the shallowest
    (largest) last, so the last paths get a task each and the first ones share one.

    Examples
    --------
    >>> group_paths([(0, 0, 1), (0, 1), (1,)], 2)
    [[(0, 0, 1), (0, 1)], [(1,)]]
    >>> group_paths([(0, 1), (1,)], 5)
    [[(0, 1)], [(1,)]]
    """
    paths = list(paths)
    if pieces <= 1 or len(paths) <= 1:
        return [paths] if paths else []
    pieces = min(pieces, len(paths))
    head = len(paths) - (pieces - 1)
    return [paths[:head]] + [[p] for p in paths[head:]]


class InOrder:
    """Hands results to *absorb* in the serial order, as soon as nothing open precedes them.

    Call :meth:`opened` with the first path of every task made (before any of its
    results can come back) and :meth:`finished` with each result.

    Examples
    --------
    >>> got = []
    >>> order = InOrder(got.append)
    >>> order.opened((0,)); order.opened((1,))
    >>> order.finished((1,), "b"); got
    []
    >>> order.finished((0,), "a"); got
    ['a', 'b']
    """

    def __init__(self, absorb: Callable[[Any], None]) -> None:
        self._absorb = absorb
        self._open: list[Path] = []
        self._closed: dict[Path, int] = {}
        self._done: list[tuple[Path, int, Any]] = []
        self._seq = 0

    def opened(self, first: Path) -> None:
        heapq.heappush(self._open, tuple(first))

    def finished(self, first: Path, partial: Any) -> None:
        first = tuple(first)
        self._closed[first] = self._closed.get(first, 0) + 1
        heapq.heappush(self._done, (first, self._seq, partial))
        self._seq += 1
        self._flush()

    def pending(self) -> int:
        """Results waiting for an earlier task."""
        return len(self._done)

    def _min_open(self) -> Path | None:
        while self._open and self._closed.get(self._open[0], 0):
            first = heapq.heappop(self._open)
            self._closed[first] -= 1
            if not self._closed[first]:
                del self._closed[first]
        return self._open[0] if self._open else None

    def _flush(self) -> None:
        while self._done:
            low = self._min_open()
            if low is not None and low < self._done[0][0]:
                return
            _, _, partial = heapq.heappop(self._done)
            self._absorb(partial)

    def close(self) -> None:
        """Absorb whatever is left (every task has finished)."""
        self._flush()
        if self._done:  # pragma: no cover - _flush empties it once nothing is open
            raise PolyregionsError("results left unordered (internal error)")
