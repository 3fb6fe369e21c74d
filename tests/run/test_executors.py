"""Every executor gives the serial answer: counts, files, graphs and certificates.

The budgets are made tiny so that the search is split into many tasks (each task
stops after one expansion, serial chunks after a few regions) and results come back
out of order; the answers must still be the serial ones, byte for byte.
"""

from __future__ import annotations

import json
import os
import random
from fractions import Fraction

import pytest

from polyregions.run import executors
from polyregions.certificates.regions import certify
from polyregions.checker.check import check_certificate
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.search.engine import Search
from polyregions.errors import InputError, PolyregionsError
from polyregions.run.executors import run_search
from polyregions.run.jobs import Collector, JobSpec, Reducer
from polyregions.queries.export import write_regions_jsonl
from polyregions.queries.graph import region_graph
from polyregions.io.graphs import write_graph
from polyregions.core.network import Network

from tests.support.netgen import random_cases

CASES = list(random_cases(seed=909, count=104))


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


@pytest.fixture
def split_often(monkeypatch):
    """No head start, serial chunks of a few regions: every run is split into many tasks."""
    monkeypatch.setattr(executors, "HEAD_START_SECONDS", 0.0)
    monkeypatch.setattr(executors, "CHUNK_REGIONS", 3)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _everything(net, domain, tmp_path, tag, **run):
    """Counts, the JSONL file, the GraphML file and the certificate of one executor."""
    counts = count_regions(net, domain, **run)
    activation_only = count_regions(net, domain, linear=False, **run)
    write_regions_jsonl(net, domain, tmp_path / f"{tag}.jsonl", **run)
    write_graph(region_graph(net, domain, maps=True, **run), tmp_path / f"{tag}.graphml")
    cert = certify(net, domain, linear=True, **run)
    return {"counts": (counts.activation_regions, counts.linear_regions, counts.bounded_regions),
            "activation_only": (activation_only.activation_regions, activation_only.bounded_regions),
            "jsonl": (tmp_path / f"{tag}.jsonl").read_bytes(),
            "graphml": (tmp_path / f"{tag}.graphml").read_bytes(),
            "certificate": json.dumps(cert, separators=(",", ":"))}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_processes_give_the_serial_answer(case, tmp_path, split_often):
    name, net, A, b = case
    domain = _domain(net, A, b)
    serial = _everything(net, domain, tmp_path, "serial")
    seconds = random.Random(name).choice([0.0, 0.0, 0.002])
    parallel = _everything(net, domain, tmp_path, "jobs2", jobs=2, task_seconds=seconds)
    assert parallel == serial
    cert = json.loads(serial["certificate"])
    assert check_certificate(cert, json.loads(json.dumps(net.to_json()))) == {
        "activation_regions": serial["counts"][0], "linear_regions_at_most": serial["counts"][1]}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_dask_gives_the_serial_answer(case, tmp_path, split_often, dask_cluster):
    name, net, A, b = case
    domain = _domain(net, A, b)
    serial = _everything(net, domain, tmp_path, "serial")
    assert _everything(net, domain, tmp_path, "dask", scheduler=dask_cluster, task_seconds=0.0) == serial


def test_dask_by_address(split_often, dask_cluster):
    net = Network.mlp([[[1, 2], [2, -1], [1, 1]], [[1, -1, 2]]], [[0, 1, -1], [0]])
    address = dask_cluster.scheduler.address
    assert count_regions(net, scheduler=address, task_seconds=0.0) == count_regions(net)


def test_dask_unreachable_scheduler(split_often, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    monkeypatch.setattr(executors, "DASK_CONNECT_SECONDS", 1)
    net = Network.mlp([[[1], [2]], [[1, 1]]], [[0, 1], [0]])
    with pytest.raises(InputError, match="cannot connect"):
        count_regions(net, scheduler="tcp://127.0.0.1:9", task_seconds=0.0)


def test_dask_local_cluster_of_two_workers(tmp_path, split_often, monkeypatch):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    import dask

    profiling = []

    class Spy(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            profiling.append(dask.config.get("distributed.worker.profile.enabled"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Spy)
    net = Network.mlp([[[1, 2], [2, -1], [1, 1], [3, -2]], [[1, -1, 2, 1]]], [[0, 1, -1, 2], [0]])
    serial = count_regions(net)
    found = count_regions(net, scheduler="local", jobs=2, task_seconds=0.0)
    assert found == serial
    assert profiling == [False]  # the workers' sampling profiler is off in a cluster of our own
    assert dask.config.get("distributed.worker.profile.enabled")  # and only there


def test_single_worker_results_stream_in_chunks(tmp_path, monkeypatch):
    """Serial chunks of one region each still give the same file and counts."""
    monkeypatch.setattr(executors, "CHUNK_REGIONS", 1)
    net = Network.mlp([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 2, -1, 1]]], [[0, 0, -1, 1], [0]])
    reports = []
    n = write_regions_jsonl(net, None, tmp_path / "one.jsonl", progress=reports.append)
    monkeypatch.setattr(executors, "CHUNK_REGIONS", 4096)
    m = write_regions_jsonl(net, None, tmp_path / "all.jsonl")
    assert n == m == count_regions(net).activation_regions == 10
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "all.jsonl").read_bytes()
    assert reports[-1].done and reports[-1].regions == 10
    assert 5 <= reports[-1].tasks_done <= 10  # a chunk ends after an expansion: one or two regions


def test_small_networks_start_no_process(monkeypatch):
    """Below the head start, --jobs does not start a pool (the serial fallback)."""
    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    assert count_regions(net, jobs=8).activation_regions == 2


def test_progress_reports_end_with_done(split_often):
    net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, -1], [0]])
    reports = []
    counts = count_regions(net, jobs=2, task_seconds=0.0, progress=reports.append)
    last = reports[-1]
    assert last.done and last.regions == counts.activation_regions == 7
    assert last.tasks_pending == 0 and last.workers == 2
    assert sum(1 for r in reports if r.done) == 1


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5])
def test_bad_jobs(jobs):
    net = Network.mlp([[[1]]], [[0]])
    with pytest.raises(InputError, match="jobs must be a positive integer"):
        count_regions(net, jobs=jobs)


def test_bad_task_seconds():
    net = Network.mlp([[[1]]], [[0]])
    with pytest.raises(InputError, match="task_seconds must be a number of seconds >= 0"):
        count_regions(net, task_seconds=-1)


def test_on_region_needs_a_serial_run():
    net = Network.mlp([[[1]]], [[0]])
    with pytest.raises(InputError, match="on_region needs a serial run"):
        region_graph(net, on_region=print, jobs=2)


class _BrokenSpec(JobSpec):
    """A job whose collector fails on its first region (in whichever process runs it)."""

    def identity(self):
        return {"job": "broken"}

    def collector(self, search):
        return _BrokenCollector()


class _BrokenCollector(Collector):
    def add(self, region):
        raise InputError("broken task")

    def partial(self):
        return None


class _Ignore(Reducer):
    def absorb(self, partial):
        pass


@pytest.mark.parametrize("scheduler", [None, "dask"])
def test_a_worker_error_reaches_the_caller(split_often, scheduler, request):
    """An exception in a task is raised in the caller, and the workers are ended."""
    net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, -1], [0]])
    if scheduler == "dask":
        scheduler = request.getfixturevalue("dask_cluster")
    with pytest.raises(InputError, match="broken task"):
        run_search(Search(net), _BrokenSpec(), _Ignore(), jobs=2, scheduler=scheduler, task_seconds=0.0)


class _DyingSpec(JobSpec):
    """A job whose every task ends its worker process at once (as the OOM killer would)."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def identity(self):
        return {"job": "dying"}

    def collector(self, search):
        if os.getpid() != self.parent:
            os._exit(3)
        return _Nothing()


class _Nothing(Collector):
    def add(self, region):
        pass

    def partial(self):
        return None


def test_a_dead_worker_process_is_an_error(split_often):
    net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, -1], [0]])
    with pytest.raises(PolyregionsError, match="a worker process died"):
        run_search(Search(net), _DyingSpec(os.getpid()), _Ignore(), jobs=2, task_seconds=0.0)


def test_leaky_relu_large_slope_parallel(split_often):
    net = Network.mlp([[[1, 1], [1, -1], [2, 1]], [[1, 1, 1]]], [[0, 0, 1], [0]], activation="leaky_relu",
                      slope=Fraction(7, 3))
    assert count_regions(net, jobs=2, task_seconds=0.0) == count_regions(net)


def test_workers_end_when_the_parent_is_killed(tmp_path):
    """SIGKILL of the parent: every pipe ends, so no worker waits forever (regression:
    forked workers kept the parent's ends of the pipes open and blocked in recv)."""
    import signal
    import subprocess
    import sys
    import time

    from polyregions.theory.constructions import arrangement_network

    model = tmp_path / "big.json"
    arrangement_network("generic", 4, 40).save(model)  # about 100,000 regions: seconds of work
    script = ("import sys; from polyregions.core.network import load_network; from polyregions.queries.count import "
              "count_regions; count_regions(load_network(sys.argv[1]), linear=False, jobs=2, task_seconds=0.2)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(model)])
    try:
        deadline = time.monotonic() + 30
        children: list[int] = []
        while len(children) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            found = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
            children = [int(p) for p in found.split()]
        assert len(children) == 2, "the workers did not start"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        alive = children
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [pid for pid in alive if _running(pid)]
        assert not alive, f"workers {alive} outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()


def _running(pid: int) -> bool:
    """True while *pid* runs (a zombie, reaped by init eventually, has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
