"""What a search computes: a job is a collector per task and one reducer.

A job (counting, the regions file, the region graph, a certificate) is split in
two halves so that the search can run anywhere:

- :class:`JobSpec` is a small picklable value. Where a task runs (this process,
  another process, a Dask worker), :meth:`JobSpec.collector` makes a
  :class:`Collector` that sees every region of the task (and every dropped branch,
  through :attr:`Collector.on_drop`) and turns them into a *partial result*: plain
  data (lists, dicts, strings, ints, bools), picklable and JSON-able, so that it
  travels between processes and into checkpoints.
- :class:`Reducer` lives with the caller and absorbs partial results: in the serial
  order when :attr:`JobSpec.ordered` (files and certificates must not depend on the
  executor), in any order otherwise (counts).

A job may bring its own search (:meth:`JobSpec.make_search`; the input splitting of
``verify`` does): anything with ``network``, ``domain``, ``replay_many(paths)`` and
``walk(stack, on_drop, stop)`` as :class:`~polyregions.search.engine.Search` has them,
whose nodes have a ``path``. A reducer that knows the answer before the search ends
(a counterexample) sets :attr:`Reducer.stopped`: the run then ends at once.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, ContextManager

from ..search.engine import Search

if TYPE_CHECKING:
    from ..core.domain import Domain
    from ..core.network import Network
    from ..search.engine import DropObserver
    from ..search.regions import Region

__all__ = ["JobSpec", "Collector", "Reducer"]


class Collector:
    """Turns the regions of one task into a partial result."""

    #: Called for every branch without interior (certificates need them), or None.
    on_drop: "DropObserver | None" = None

    def add(self, region: "Region") -> None:
        raise NotImplementedError

    def partial(self) -> Any:
        raise NotImplementedError


class Reducer:
    """Absorbs partial results; counts what it has absorbed."""

    #: True once the answer is known (set by :meth:`absorb`): the run ends without the
    #: open tasks (unordered jobs only).
    stopped = False

    def __init__(self) -> None:
        self.activation_regions = 0
        self.bounded_regions = 0

    def status(self) -> Any:
        """What a progress display shows of this job beyond the run's figures (None: nothing)."""
        return None

    def absorb(self, partial: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called once after the last partial result (not after an interruption)."""


class JobSpec:
    """A picklable description of what to collect; see the module docstring."""

    #: True when partial results must be absorbed in the serial order.
    ordered = False

    def identity(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this job (JSON-able)."""
        raise NotImplementedError

    def collector(self, search: "Search") -> Collector:
        raise NotImplementedError

    def make_search(self, network: Network, domain: Domain) -> Any:
        """The search this job walks, as a worker builds it from the network and the domain."""
        return Search(network, domain)

    def task_context(self) -> ContextManager[Any]:
        """A context to run each task in (certificates pause the cycle collector)."""
        return nullcontext()


#: ``progress(report)``: called on the caller's side as the run goes (see
#: :class:`polyregions.run.executors.Progress`).
ProgressCallback = Callable[[Any], None]
