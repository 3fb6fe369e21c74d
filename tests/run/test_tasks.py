"""Subtrees as tasks: replaying a path rebuilds the node exactly, frontiers resume the walk,
and results taken in order of their first paths come in the serial order."""

from __future__ import annotations

import pickle
import random
import time

import pytest

from polyregions.core.domain import Domain
from polyregions.search.engine import Node, Search
from polyregions.errors import InputError
from polyregions.run.jobs import Collector, JobSpec
from polyregions.core.network import Network
from polyregions.search.regions import Region
from polyregions.run.tasks import Budget, InOrder, Task, group_paths, run_task

from tests.support.netgen import random_cases

CASES = list(random_cases(seed=77, count=60))


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


def _snapshot(item):
    cell = item.cell
    facts = (cell.rows, cell.tags, cell.vecs, cell.tights, cell.lines)
    if isinstance(item, Region):
        return ("region", item.pattern, item.map_rows, item.map_den, facts)
    return ("node", item.path, item.ctx.index, item.unit, item.tokens,
            tuple(t.states for t in item.trace), item.ctx.rows, facts)


def _ignore(*_):
    pass


def _all_nodes(search):
    """Every node and region of the tree with its path, depth first: one decision per unit
    (with a drop observer the search does not pass units in bulk)."""
    out = []
    stack = [search.root()]
    while stack:
        node = stack.pop()
        if isinstance(node, Region):
            continue
        out.append((node.path, node))
        rules = node.ctx.stage.rules
        for (index, _, _), child in zip(rules.children(node.cell, node.ctx.plan, node.unit),
                                        search.children(node, _ignore)):
            if isinstance(child, Region):
                out.append((node.path + (index,), child))
            else:
                assert child.path == node.path + (index,)
                stack.append(child)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_settled_units_make_the_same_tree(case):
    """Without a drop observer the search passes the units a cell lies on one side of in
    one step: every node it makes is the node of the one-decision-per-unit tree at its
    path, and the regions come out the same, in the same order."""
    name, net, A, b = case
    search = Search(net, _domain(net, A, b))
    by_path = {path: item for path, item in _all_nodes(search) if not isinstance(item, Region)}
    stack = [search.root()]
    while stack:
        node = stack.pop()
        if isinstance(node, Region):
            continue
        assert _snapshot(node) == _snapshot(by_path[node.path])
        stack.extend(reversed(search.children(node)))
    assert ([_snapshot(r) for r in search.regions()]
            == [_snapshot(r) for r in search.walk([search.root()], _ignore)])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_replay_rebuilds_every_node_exactly(case):
    name, net, A, b = case
    search = Search(net, _domain(net, A, b))
    nodes = _all_nodes(search)
    rng = random.Random(name)
    sample = nodes if len(nodes) <= 40 else rng.sample(nodes, 40)
    for path, item in sample:
        assert _snapshot(search.replay(path)) == _snapshot(item), path
    paths = sorted(path for path, _ in sample)
    again = list(search.replay_many(paths))
    by_path = dict(sample)
    assert [_snapshot(x) for x in again] == [_snapshot(by_path[p]) for p in paths]


@pytest.mark.parametrize("case", CASES[:30], ids=[c[0] for c in CASES[:30]])
def test_paths_sort_in_the_serial_order(case):
    name, net, A, b = case
    search = Search(net, _domain(net, A, b))
    leaves = [(path, item.key) for path, item in _all_nodes(search) if isinstance(item, Region)]
    serial = [r.key for r in search.regions()]
    assert [key for _, key in sorted(leaves)] == serial


def test_replay_refuses_paths_not_in_the_tree():
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    search = Search(net)
    assert search.replay((0, 1)).key == "+-"
    with pytest.raises(InputError, match=r"search path \[0, 0\]: branch 0 of unit 1 has no interior"):
        search.replay((0, 0))  # x > 0 and -x > 0
    with pytest.raises(InputError, match=r"search path \[1, 1\]: branch 1 of unit 1"):
        list(search.replay_many([(0, 1), (1, 1)]))
    with pytest.raises(InputError, match="branch 5 of unit 0"):
        search.replay((5,))
    with pytest.raises(InputError, match="longer than the tree"):
        search.replay((0, 1, 0))


class _Keys(JobSpec):
    ordered = True

    def identity(self):
        return {"job": "keys"}

    def collector(self, search):
        return _KeyCollector()


class _KeyCollector(Collector):
    def __init__(self):
        self.keys = []

    def add(self, region):
        self.keys.append(region.key)

    def partial(self):
        return self.keys


@pytest.mark.parametrize("case", CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_frontiers_split_anywhere_give_the_serial_order(case):
    """Run tasks with random region budgets in a random order; ordered results are serial."""
    name, net, A, b = case
    search = Search(net, _domain(net, A, b))
    serial = [r.key for r in search.regions()]
    rng = random.Random(name)
    got = []
    order = InOrder(got.extend)
    order.opened(())
    queue = [[()]]
    while queue:
        group = queue.pop(rng.randrange(len(queue)))
        result = run_task(search, _Keys(), group, Budget(regions=rng.choice([1, 2, 5])))
        groups = group_paths(result.frontier, rng.choice([1, 2, 3]))
        for g in groups:
            order.opened(g[0])
        queue += groups
        order.finished(result.paths[0], result.partial)
    order.close()
    assert got == serial


def test_stop_and_go_on_the_same_stack():
    net = Network.mlp([[[1, 0], [0, 1], [1, 1], [1, -1], [2, 1]], [[1, 1, 1, 1, 1]]],
                      [[0, 0, -1, 1, 2], [0]])
    search = Search(net)
    serial = [r.key for r in search.regions()]
    stack = [search.root()]
    got = []
    calls = {"n": 0}

    def every_third():
        calls["n"] += 1
        return calls["n"] % 3 == 0

    while stack:
        got += [r.key for r in search.walk(stack, stop=every_third)]
    assert got == serial


def test_depth_first_within_a_stage_keeps_the_stack_small():
    """One layer of 12 generic lines: the stack never holds more than one piece per unit."""
    rng = random.Random(5)
    weights = [[rng.randint(-50, 50), rng.randint(-50, 50)] for _ in range(12)]
    net = Network.mlp([weights, [[1] * 12]], [[rng.randint(-50, 50) for _ in range(12)], [0]])
    search = Search(net)
    stack = [search.root()]
    deepest = 0
    count = 0
    while stack:
        for _ in search.walk(stack, stop=lambda: True):
            count += 1
        deepest = max(deepest, len(stack))
    assert count == 1 + 12 + 66  # Zaslavsky: lines in general position
    assert deepest <= 12


def test_tasks_are_small_picklable_values():
    task = Task(Domain.box(2, -1, 1), ((0, 1), (1,)))
    assert pickle.loads(pickle.dumps(task)) == task
    assert len(pickle.dumps(task)) < 1000


def test_in_order_waits_for_earlier_open_paths():
    got = []
    order = InOrder(got.append)
    for first in [(0,), (1, 0), (1, 1)]:
        order.opened(first)
    order.finished((1, 1), "c")
    order.finished((1, 0), "b")
    assert got == []
    order.opened((0, 1))  # a frontier of (0,) opens before (0,) finishes
    order.finished((0,), "a")
    assert got == ["a"]
    order.finished((0, 1), "a1")
    assert got == ["a", "a1", "b", "c"]
    order.close()


@pytest.mark.parametrize("pieces", [1, 2, 3, 10])
def test_group_paths_keeps_order_and_every_path(pieces):
    paths = [(0, 0, 0, 1), (0, 0, 1), (0, 1), (1,)]
    groups = group_paths(paths, pieces)
    assert [p for g in groups for p in g] == paths
    assert len(groups) == min(pieces, len(paths))
    assert group_paths([], 3) == []


def test_budget_stops_on_the_hungry_event():
    class Flag:
        def __init__(self):
            self.set = False

        def is_set(self):
            return self.set

    flag = Flag()
    budget = Budget(hungry=flag, min_seconds=0.0)
    assert not budget.spent()
    flag.set = True
    time.sleep(0.03)  # the event is read at most every 20 ms
    assert budget.spent()
    assert Budget(regions=2).spent() is False
    assert Budget(seconds=0.0).spent() is True


def test_nodes_repr():
    search = Search(Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]]))
    root = search.root()
    assert isinstance(root, Node)
    assert repr(root) == "Node(path=(), stage=0, unit=0)"
