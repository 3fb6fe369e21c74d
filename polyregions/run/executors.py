"""Where the search runs: in this process, on local processes, or on a Dask cluster.

:func:`run_search` runs a :class:`~polyregions.search.engine.Search` for a job
(:mod:`polyregions.run.jobs`) and feeds the job's reducer. Whatever the executor, the
reducer sees the same partial results in the same order when the job is ordered
(:class:`~polyregions.run.tasks.InOrder`), so counts, files and certificates do not
depend on where the search ran or how it was split.

- Serial (``jobs=1``): the depth-first walk runs here, in chunks (a second or a few
  thousand regions each) so that progress, checkpoints and ordered outputs stream.
- Local processes (``jobs=N``): the search first runs here for a moment; a network
  finished by then never starts a process (the serial fallback). Otherwise the open
  subtrees go to a pool of N processes as tasks (:mod:`polyregions.run.tasks`). A task
  runs until it has run for a while or until a worker is idle (a shared event);
  then it hands back its frontier, which becomes new tasks, so large subtrees are
  split while they run, wherever they turn out to be large.
- Dask (``scheduler=ADDRESS`` or ``"local"``): the same tasks on a
  ``dask.distributed`` cluster; ``"local"`` starts a ``LocalCluster`` of ``jobs``
  worker processes.

With a checkpoint (:mod:`polyregions.run.checkpoint`) every finished task is appended to
the checkpoint file as it comes back, and a run started again with the same file
skips what is there.

A job may bring its own search (``verify``'s input splitting: boxes instead of subtrees,
see :mod:`polyregions.run.jobs`), and its reducer may know the answer before the search
ends (a counterexample: :attr:`~polyregions.run.jobs.Reducer.stopped`); the run then ends
at once, its workers ended as on an error, the checkpoint left valid.

While a run goes on (in the main thread), SIGTERM is handled as Ctrl-C is: it raises
:class:`~polyregions.files.Terminated` (a ``KeyboardInterrupt``) here, the workers are
ended quietly and the checkpoint stays valid. Workers ignore SIGINT and SIGTERM (a
terminal or a batch scheduler signals the whole process group): the parent ends them.
"""

from __future__ import annotations

import heapq
import os
import signal
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from ..search.engine import Search
from ..errors import InputError, PolyregionsError
from ..files import sigterm_interrupts
from .jobs import JobSpec, ProgressCallback, Reducer
from ..search.regions import Region
from .tasks import Budget, InOrder, Path as SearchPath, Task, TaskResult, continue_walk, group_paths, run_task
from .checkpoint import Checkpoint


# multiprocessing, threading, signal, uuid and logging are imported where a run needs
# them: a serial count should not pay for importing them.

__all__ = ["Progress", "run_search", "default_jobs"]

#: How long a fresh parallel run searches in this process before starting workers.
HEAD_START_SECONDS = 0.15
#: A serial chunk ends after this long or after this many regions.
CHUNK_SECONDS = 1.0
CHUNK_REGIONS = 4096
#: A task on a worker hands back its frontier after this long (progress, checkpoints).
TASK_SECONDS = 2.0
#: The most worker processes one run starts (--jobs); beyond, a typo is likelier than a machine.
MAX_JOBS = 512
#: How long to try to reach a Dask scheduler.
DASK_CONNECT_SECONDS = 20


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of a running search, for progress displays.

    Attributes
    ----------
    regions
        Activation regions found so far (those restored from a checkpoint included).
    restored
        Of those, the regions read back from a checkpoint.
    tasks_done, tasks_pending
        Finished tasks (serial chunks included) and tasks queued or running.
    seconds
        Time since the run started.
    workers
        Processes searching (1 when serial).
    done
        True for the last report of a finished run.
    status
        What the job's reducer adds (:meth:`~polyregions.run.jobs.Reducer.status`), or None.
    """

    regions: int
    restored: int
    tasks_done: int
    tasks_pending: int
    seconds: float
    workers: int
    done: bool = False
    status: Any = None

    @property
    def rate(self) -> float:
        """Regions found per second by this run (restored ones left out)."""
        return (self.regions - self.restored) / self.seconds if self.seconds > 0 else 0.0


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Stopped(Exception):
    """The reducer knows the answer: the run ends (workers ended) without the open tasks."""


class _Run:
    """The bookkeeping of one run: results in, reducer fed, checkpoint and progress."""

    def __init__(self, search: Search, spec: JobSpec, reducer: Reducer, checkpoint: "Checkpoint | None",
                 progress: ProgressCallback | None, workers: int) -> None:
        self.search = search
        self.spec = spec
        self.reducer = reducer
        self.checkpoint = checkpoint
        self.progress = progress
        self.workers = workers
        self.order = InOrder(reducer.absorb) if spec.ordered else None
        self.start = time.perf_counter()
        self.found = 0
        self.restored = 0
        self.done = 0
        self.pending = 0
        self._last_report = 0.0

    def opened(self, group: list[SearchPath]) -> None:
        self.pending += 1
        if self.order is not None:
            self.order.opened(group[0])

    def finished(self, result: TaskResult, groups: list[list[SearchPath]]) -> None:
        """A task is done: open its frontier's tasks, then hand its partial result on."""
        for group in groups:
            self.opened(group)
        if self.checkpoint is not None:
            self.checkpoint.append(result)
        self.pending -= 1
        self.done += 1
        self.found += result.regions
        self._absorb(result)
        self.report()
        if self.reducer.stopped:
            raise _Stopped

    def begin(self, groups: list[list[SearchPath]], restored: list[TaskResult]) -> None:
        """Open the first tasks, then feed the results a checkpoint restored.

        The restored results' frontiers are the open paths (or were taken up by other
        restored results), so every task that can precede them is open first.
        """
        if self.order is not None:
            for result in restored:
                self.order.opened(result.paths[0])
        for group in groups:
            self.opened(group)
        for result in restored:
            self.done += 1
            self.found += result.regions
            self.restored += result.regions
            self._absorb(result)
        if restored:
            self.report(force=True)
        if self.reducer.stopped:
            raise _Stopped

    def _absorb(self, result: TaskResult) -> None:
        with self._malformed():
            if self.order is not None:
                self.order.finished(result.paths[0], result.partial)
            else:
                self.reducer.absorb(result.partial)

    @contextmanager
    def _malformed(self) -> Iterator[None]:
        """A partial result the reducer cannot take came from a damaged checkpoint (the
        engine's own are well formed): say so in one line."""
        try:
            yield
        except (TypeError, KeyError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            if self.checkpoint is None:
                raise
            raise InputError(f"checkpoint {self.checkpoint.path}: a finished task's partial result is damaged "
                             f"({type(exc).__name__}); delete the file to start over") from None

    def report(self, force: bool = False, done: bool = False) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last_report < 0.2:
            return
        self._last_report = now
        self.progress(Progress(self.found, self.restored, self.done, self.pending, now - self.start,
                               self.workers, done, self.reducer.status()))

    def close(self) -> None:
        with self._malformed():
            if self.order is not None and not self.reducer.stopped:
                self.order.close()
            self.reducer.close()
        self.report(force=True, done=True)


def run_search(search: Search, spec: JobSpec, reducer: Reducer, *, jobs: int = 1,
               scheduler: Any = None, checkpoint: str | Path | None = None,
               progress: ProgressCallback | None = None,
               on_region: Callable[[Region], None] | None = None,
               task_seconds: float | None = None) -> Reducer:
    """Run *search* for the job *spec*, feeding *reducer*; return the reducer.

    Parameters
    ----------
    jobs
        Worker processes (1: this process only). With *scheduler*, the number of
        workers of a ``"local"`` cluster.
    scheduler
        None (local processes), the address of a Dask scheduler
        (``"tcp://host:8786"``), ``"local"`` for a new ``LocalCluster`` of *jobs*
        workers, or a ``distributed.Client`` to reuse (left open).
    checkpoint
        A file to record finished tasks in as the run goes; when it exists, the run
        resumes from it (it must come from the same model, domain and job).
    progress
        Called with a :class:`Progress` now and then, and once at the end.
    on_region
        Called with every region in this process (serial runs only).
    task_seconds
        How long a task (or a serial chunk) runs before handing back its frontier
        (default :data:`TASK_SECONDS` on workers, :data:`CHUNK_SECONDS` here): how
        often progress is reported and the checkpoint written. Tests make it small
        to split often; the results do not depend on it.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be a positive integer, got {jobs!r}")
    if jobs > MAX_JOBS:
        raise InputError(f"jobs: {jobs} worker processes is more than the limit of {MAX_JOBS} (this machine has "
                         f"{os.cpu_count()} cores; a cluster's size is set where its workers start)")
    if task_seconds is not None and (isinstance(task_seconds, bool) or not isinstance(task_seconds, (int, float))
                                     or not 0 <= task_seconds < float("inf")):
        raise InputError(f"task_seconds must be a number of seconds >= 0, got {task_seconds!r}")
    if on_region is not None and (jobs > 1 or scheduler is not None):
        raise InputError("on_region needs a serial run (jobs=1, no scheduler)")
    with sigterm_interrupts():  # SIGTERM as Ctrl-C: workers ended, checkpoint closed
        ckpt = None
        if checkpoint is not None:
            ckpt = Checkpoint.open(checkpoint, search, spec)
        workers = jobs if (jobs > 1 or scheduler is not None) else 1
        run = _Run(search, spec, reducer, ckpt, progress, workers)
        try:
            restored = list(ckpt.results) if ckpt is not None else []
            open_paths = ckpt.open_paths() if restored else [()]
            worker_seconds = TASK_SECONDS if task_seconds is None else task_seconds
            try:
                if scheduler is None and jobs == 1:
                    _serial(run, open_paths, restored, on_region,
                            chunk_seconds=CHUNK_SECONDS if task_seconds is None else task_seconds)
                elif scheduler is None:
                    _parallel(run, open_paths, restored, partial(_processes, jobs, worker_seconds))
                else:  # dask is checked for before the head start, the cluster reached after it
                    _parallel(run, open_paths, restored,
                              partial(_dask, _require_dask(), scheduler, jobs, worker_seconds))
            except _Stopped:  # the answer is known: the workers were ended on the way out
                pass
            run.close()
        finally:
            if ckpt is not None:
                ckpt.close()
    return reducer


def _serial(run: _Run, open_paths: list[SearchPath], restored: list[TaskResult],
            on_region: Callable[[Region], None] | None, until: float | None = None,
            chunk_seconds: float = CHUNK_SECONDS) -> list[SearchPath]:
    """Walk here in chunks (one task each, on the live stack, without replays).

    With *until* (seconds) stop after that long and return the paths still open,
    without opening them (the caller makes them tasks); else return [].
    """
    search, spec = run.search, run.spec
    groups = _first_groups(open_paths, restored, 1)
    run.begin(groups, restored)
    deadline = None if until is None else time.perf_counter() + until
    for group in groups:
        stack = list(search.replay_many(group))
        stack.reverse()
        while stack:
            seconds = chunk_seconds
            if deadline is not None:
                seconds = min(seconds, max(0.0, deadline - time.perf_counter()))
            result = continue_walk(search, spec, stack, Budget(seconds=seconds, regions=CHUNK_REGIONS), on_region)
            stopping = bool(stack) and deadline is not None and time.perf_counter() >= deadline
            run.finished(result, [[_first(stack)]] if stack and not stopping else [])
            if stopping:
                return [node.path for node in reversed(stack)]  # type: ignore[union-attr]
    return []


def _first_groups(open_paths: list[SearchPath], restored: list[TaskResult], pieces: int) -> list[list[SearchPath]]:
    """The first tasks: consecutive open paths cut into *pieces*, or one task per path after a
    restore (the paths left open by a checkpoint need not be consecutive: restored results
    may lie between them, and a task's results must not straddle those)."""
    paths = sorted(open_paths)
    if restored:
        return [[p] for p in paths]
    return group_paths(paths, pieces)


def _first(stack: list) -> SearchPath:
    node = stack[-1]
    return () if isinstance(node, Region) else node.path


# -- workers: one scheduling loop, whatever carries the tasks ---------------------------


class _Workers(Protocol):
    """The workers of a parallel run, the part that differs by executor: ``workers``
    tasks may run at once and ``outstanding`` do; ``hungry`` asks them to hand back
    their frontiers; ``submit`` starts a task on a free worker; ``results`` waits a
    while and yields the tasks that finished (maybe none), raising a task's error."""

    workers: int
    hungry: Any

    @property
    def outstanding(self) -> int: ...

    def submit(self, task: Task) -> None: ...

    def results(self) -> Iterator[TaskResult]: ...


def _parallel(run: _Run, open_paths: list[SearchPath], restored: list[TaskResult],
              start: Callable[[tuple, Any], AbstractContextManager[_Workers]]) -> None:
    """Run the open paths as tasks on the workers that ``start(payload, search)`` provides.

    The search first runs here for a moment: a network finished by then starts no
    worker (the serial fallback). Then tasks wait here in the serial order (the
    earliest goes first), one task is in flight per worker, and each is cut from the
    freshest frontier. While a worker is idle and no task waits, the hungry event is
    set, so that running tasks hand back their frontiers.
    """
    if not restored:
        open_paths = _serial(run, open_paths, [], None, HEAD_START_SECONDS)
        if not open_paths:
            return  # finished before any worker was needed
    with start((run.search.network, run.search.domain, run.spec), run.search) as pool:
        run.workers = pool.workers
        waiting: list[tuple[SearchPath, list[SearchPath]]] = []

        def dispatch() -> None:
            while waiting and pool.outstanding < pool.workers:
                _, group = heapq.heappop(waiting)
                pool.submit(Task(run.search.domain, tuple(group)))
            if pool.outstanding < pool.workers and not waiting:
                pool.hungry.set()  # a worker is idle: running tasks hand back their frontiers
            else:
                pool.hungry.clear()

        def queue_groups(groups: list[list[SearchPath]]) -> None:
            for group in groups:
                heapq.heappush(waiting, (group[0], group))

        groups = _first_groups(open_paths, restored, 2 * pool.workers)
        run.begin(groups, restored)
        queue_groups(groups)
        dispatch()
        while pool.outstanding:
            came = False
            for result in pool.results():
                came = True
                idle = pool.workers - pool.outstanding
                groups = group_paths(result.frontier, max(1, idle - len(waiting)))
                run.finished(result, groups)
                queue_groups(groups)
            if came:
                dispatch()
            else:
                run.report()


# -- local processes -------------------------------------------------------------------


def _worker_main(conn: Any, payload: tuple, hungry: Any, foreign: list, search: Any = None) -> None:
    """A worker process: run the tasks that come down *conn*, send back each result.

    *search* is the parent's search when the worker was forked (a copy, for free: no
    worker builds it again, and what it has cached, such as the compiled bounds of
    input splitting, comes along); else the worker builds it from *payload*.

    *foreign* are the parent's ends of the pipes (this worker's and the earlier
    workers'), which a forked worker inherits: closed at once, so that when the parent
    dies (even by SIGKILL) every pipe ends and the worker stops instead of waiting forever
    or failing to send.

    Ctrl-C and SIGTERM are ignored here (the parent handles them and ends the workers);
    they were blocked while the parent started this process (:func:`_processes`), so
    that none arrives before they are ignored.
    """

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _PARENT_SIGNALS)
    for other in foreign:
        other.close()
    network, domain, spec = payload
    if search is None:
        search = spec.make_search(network, domain)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, seconds = message
        try:
            result = run_task(search, spec, task.paths, Budget(seconds=seconds, hungry=hungry))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                conn.send(("error", exc))
            except OSError:  # the parent is gone
                return
            except Exception:  # an exception that cannot be pickled
                if not _send(conn, ("error", PolyregionsError(f"a worker failed: {exc!r}"))):
                    return
            continue
        if not _send(conn, ("ok", result)):
            return


def _send(conn: Any, message: tuple) -> bool:
    """Send *message* to the parent; False when the parent is gone (the pipe is broken:
    it was terminated or killed), and the worker ends quietly."""
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError, ConnectionResetError
        return False
    return True


def _start_method() -> str:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"  # cheapest; safe without threads
    return "forkserver" if "forkserver" in methods else "spawn"


#: Blocked in the parent while it starts a worker, ignored by the worker (see :func:`_worker_main`).
_PARENT_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class _Pipes:
    """Worker processes, one pipe each (made by :func:`_processes`)."""

    def __init__(self, conns: list, hungry: Any, task_seconds: float) -> None:
        self.workers = len(conns)
        self.hungry = hungry
        self._idle = list(conns)
        self._busy: set = set()
        self._seconds = task_seconds

    @property
    def outstanding(self) -> int:
        return len(self._busy)

    def submit(self, task: Task) -> None:
        conn = self._idle.pop()
        conn.send((task, self._seconds))
        self._busy.add(conn)

    def results(self) -> Iterator[TaskResult]:
        from multiprocessing.connection import wait

        for conn in wait(list(self._busy), timeout=0.2):
            try:
                status, item = conn.recv()
            except (EOFError, OSError):
                raise PolyregionsError("a worker process died (out of memory or killed?)") from None
            self._busy.discard(conn)
            self._idle.append(conn)
            if status == "error":
                raise item
            yield item


@contextmanager
def _processes(jobs: int, task_seconds: float, payload: tuple, search: Any = None) -> Iterator[_Pipes]:
    """A pool of *jobs* worker processes for :func:`_parallel`, ended when the block ends.

    No helper threads: ending the workers (at the end, on an error or on Ctrl-C) cannot
    hang on a half-sent message.
    """
    import multiprocessing

    method = _start_method()
    ctx = multiprocessing.get_context(method)
    inherited = search if method == "fork" else None  # forked: the parent's search comes along
    hungry = ctx.Event()
    workers = []
    try:
        for _ in range(jobs):
            parent, child = ctx.Pipe()
            foreign = [conn for _, conn in workers] + [parent]
            process = ctx.Process(target=_worker_main, args=(child, payload, hungry, foreign, inherited),
                                  daemon=True)
            _start_quietly(process)
            child.close()
            workers.append((process, parent))
        yield _Pipes([conn for _, conn in workers], hungry, task_seconds)
        for process, conn in workers:
            conn.send(None)
        for process, conn in workers:
            process.join(timeout=2)
    finally:
        for process, conn in workers:
            if process.is_alive():
                process.kill()
        for process, conn in workers:
            process.join(timeout=5)
            conn.close()


def _start_quietly(process: Any) -> None:
    """Start *process* with Ctrl-C and SIGTERM blocked: the new process inherits the mask
    and ignores both before unblocking them, so that a signal arriving while it starts
    cannot print a traceback from it. A signal arriving meanwhile reaches this process
    when the mask is restored."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        process.start()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _PARENT_SIGNALS)
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# -- Dask --------------------------------------------------------------------------------

_DASK: dict[str, Any] = {}


def _dask_task(payload: tuple, task: Task, seconds: float, event_name: str) -> TaskResult:
    network, domain, spec = payload
    cached = _DASK.get("search")
    if cached is None or cached[0] is not payload:  # one search per worker and run (its payload)
        cached = (payload, spec.make_search(network, domain))
        _DASK["search"] = cached
    hungry = _DaskEvent(event_name)
    return run_task(cached[1], spec, task.paths,
                    Budget(seconds=seconds, hungry=hungry, min_seconds=0.1, poll_seconds=0.1))


class _DaskEvent:
    """A ``distributed.Event`` read at most every 0.1 s (each read asks the scheduler)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._event = None

    def is_set(self) -> bool:
        from distributed import Event

        if self._event is None:
            self._event = Event(self.name)
        return self._event.is_set()


def _require_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError("--scheduler needs dask.distributed; install the extra: "
                         ".venv/bin/pip install -e '.[dask]' (from the clone)") from None
    return distributed


class _Futures:
    """Tasks as futures on a Dask cluster (made by :func:`_dask`)."""

    def __init__(self, client: Any, futures: Any, workers: int, hungry: Any, payload: Any,
                 task_seconds: float) -> None:
        self.workers = workers
        self.hungry = hungry
        self.outstanding = 0
        self._client = client
        self._futures = futures
        self._payload = payload
        self._seconds = task_seconds

    def submit(self, task: Task) -> None:
        self._futures.add(self._client.submit(_dask_task, self._payload, task, self._seconds, self.hungry.name,
                                              pure=False))
        self.outstanding += 1

    def results(self) -> Iterator[TaskResult]:
        future = next(self._futures)
        self.outstanding -= 1
        yield future.result()


@contextmanager
def _dask(distributed: Any, scheduler: Any, jobs: int, task_seconds: float, payload: tuple,
          search: Any = None) -> Iterator[_Futures]:
    """The workers of a Dask cluster for :func:`_parallel`: *scheduler* is an address,
    ``"local"`` (a ``LocalCluster`` of *jobs* workers, ended with the block) or a
    ``distributed.Client`` (left open). Each worker builds its own search (*search*, the
    parent's, is not sent)."""
    import logging
    import uuid

    cluster = None
    own_client = True
    if isinstance(scheduler, distributed.Client):
        client, own_client = scheduler, False
    else:
        if scheduler == "local":
            import dask

            # the workers' sampling profiler (every 10 ms) costs the walk 1-3%, and nobody
            # looks at the dashboard of a cluster that lives for one run
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                   dashboard_address=":0", silence_logs=logging.ERROR)
            address = cluster.scheduler_address
        else:
            address = scheduler
        try:
            client = distributed.Client(address, timeout=DASK_CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            if cluster is not None:
                cluster.close()
            raise InputError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
    try:
        workers = len(client.scheduler_info().get("workers", {})) or jobs
        hungry = distributed.Event(f"polyregions-hungry-{uuid.uuid4().hex}", client=client)
        [scattered] = client.scatter([payload], broadcast=True)
        yield _Futures(client, distributed.as_completed(), workers, hungry, scattered, task_seconds)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
