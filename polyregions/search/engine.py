"""The splitting engine: exact activation regions as a tree of decisions.

The network is compiled into stages (:mod:`polyregions.search.stages`). Starting from the
domain, the engine keeps, for each piece of input space, the exact affine map from
the input to the current layer's values (integer numerators over one positive
denominator). At each stage every unit's pre-activation is an affine function of
the input on the piece, and the unit splits the piece into its branches (for a
ReLU, the two sides of its hyperplane) with one exact double description step
(:meth:`~polyregions.geometry.polyhedron.Cell.cut`); how a unit splits is the business of
its activation's rules (:mod:`polyregions.search.activations`).

The decisions form a tree: a :class:`Node` is a piece with the units decided so
far, and its *path* is the sequence of branch indices from the root. The tree is
explored depth first (within a stage too), so regions stream out and only the
pieces on the stack are held in memory. A path is all it takes to rebuild a node:
:meth:`Search.replay` repeats the same decisions in the same order, so the cell comes
back exactly (same rows, same generators, same order). Sorting paths gives the
order in which the serial search yields regions; :mod:`polyregions.run.tasks` hands
subtrees to other processes by their paths.
"""

from __future__ import annotations

from operator import mul
from typing import Callable, Iterator, Sequence

from ..core.domain import Domain, check_double_description
from ..errors import DomainError, InputError
from ..core.network import Network
from ..core.sparse import SparseRows
from ..io.models import takes_models
from ..geometry import polyhedron
from ..geometry.polyhedron import Cell, Planes, whole_space
from ..rationals import reduce_rows
from .regions import Region
from .stages import Stage, StageTrace, compile_stages

__all__ = ["Node", "Search", "enumerate_regions", "initial_cell", "DropObserver"]

IntRows = list[list[int]]


class _Context:
    """One stage on one parent piece: its pre-activations and the rules' plan, shared by
    every node of the stage below that piece."""

    __slots__ = ("index", "stage", "rows", "den", "plan", "cache", "units", "_planes", "_cell")

    def __init__(self, index: int, stage: Stage, rows: IntRows, den: int, cell: Cell) -> None:
        rules = stage.rules
        assert rules is not None
        self.index = index
        self.stage = stage
        self.rows = rows
        self.den = den
        self.plan = rules.plan(rows, den, stage.layer)
        self.cache: dict = {"plan": self.plan} if rules.plan_in_cache else {}  # for the adjacency rules
        self.units = rules.unit_count(rows)
        self._planes: Planes | None | bool = False  # not made yet
        self._cell: Cell | None = cell  # the stage's first piece, until the planes are made

    @property
    def planes(self) -> Planes | None:
        """The units' hyperplanes for settling many units in one call (made on first use)."""
        planes = self._planes
        if planes is False:
            assert self.stage.rules is not None
            planes = self._planes = self.stage.rules.planes(self.plan, len(self.rows[0]) if self.rows else 0,
                                                            self._cell)
            self._cell = None
        return planes  # type: ignore[return-value]


class Node:
    """A piece of the search tree: the units before ``unit`` of the current stage are decided.

    Attributes
    ----------
    path
        The branch index of every decision from the root.
    unit
        The next unit of the current stage to decide.
    tokens
        The states of the current stage's decided units.
    cell
        The piece: the domain cut by every decision on the path.
    trace
        The completed stages (see :class:`~polyregions.search.stages.StageTrace`).

    Nodes are not changed once made (the search makes new ones).
    """

    __slots__ = ("path", "ctx", "unit", "tokens", "cell", "trace")

    def __init__(self, path: tuple[int, ...], ctx: _Context, unit: int, tokens: tuple[str, ...],
                 cell: Cell, trace: tuple[StageTrace, ...]) -> None:
        self.path = path
        self.ctx = ctx
        self.unit = unit
        self.tokens = tokens
        self.cell = cell
        self.trace = trace

    @property
    def partial(self) -> StageTrace:
        """The current stage as a trace whose states are those of the decided units."""
        ctx = self.ctx
        assert ctx.stage.rules is not None
        return StageTrace(ctx.stage, ctx.rows, ctx.den, ctx.stage.rules.join(self.tokens), ctx.cache)

    def __repr__(self) -> str:
        return f"Node(path={self.path}, stage={self.ctx.index}, unit={self.unit})"


#: ``on_drop(node, state, piece, g, values)``: the branch giving the unit ``node.unit``
#: the *state* has no interior: no generator of the cell *piece* has ``g . (x, 1) > 0``
#: while the branch lies in ``{g > 0}``. ``values`` are ``g`` at ``piece.vecs`` when
#: the cut computed them, else None.
DropObserver = Callable[[Node, str, Cell, Sequence[int], "list[int] | None"], None]


def initial_cell(domain: Domain) -> Cell:
    """The domain as a cell, built by cutting all of space by each domain row."""
    check_double_description(domain)
    cell = whole_space(domain.dim)
    for i, (a, b) in enumerate(domain.rows):
        h = tuple(-v for v in a) + (b,)
        pos = cell.cut(h, ("domain", i), want=1)[0]
        if pos is None:
            raise DomainError("the domain is empty or not full-dimensional")
        cell = pos
        check_double_description(domain, len(cell.vecs))
    return cell.pruned()


class Search:
    """The decision tree of one network on one domain.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> search = Search(net)
    >>> [r.key for r in search.walk([search.root()])]
    ['++', '+-', '-+', '--']
    >>> search.replay((1, 0)).key
    '-+'
    """

    def __init__(self, network: Network, domain: Domain | None = None) -> None:
        if domain is None:
            domain = Domain.whole(network.input_dim)
        elif domain.dim != network.input_dim:
            raise InputError(f"domain has dimension {domain.dim}, the network input_dim is {network.input_dim}")
        self.network = network
        self.domain = domain
        self.stages = compile_stages(network)
        self.cell = initial_cell(domain)
        n = network.input_dim
        self._identity = [[1 if i == j else 0 for j in range(n)] + [0] for i in range(n)]
        self._memos: list[list] = [[None, None, None] for _ in self.stages]  # see apply_affine

    # -- building nodes ---------------------------------------------------------------

    def root(self) -> Node | Region:
        """The root of the tree (a region when the network has no unit at all)."""
        return self._enter(0, self.cell, self._identity, 1, (), ())

    def _enter(self, index: int, cell: Cell, rows: IntRows, den: int,
               trace: tuple[StageTrace, ...], path: tuple[int, ...]) -> Node | Region:
        """Begin stage *index* on a piece whose current map is ``rows / den``."""
        stages = self.stages
        while index < len(stages):
            stage = stages[index]
            if stage.weight is not None:
                rows, den = apply_affine(stage, rows, den, self._memos[index])
            if stage.rules is None:  # the final affine map
                index += 1
                continue
            ctx = _Context(index, stage, rows, den, cell)
            if ctx.units:
                return Node(path, ctx, 0, (), cell, trace)
            cell, rows, den, trace = self._finish(ctx, (), cell, trace)  # identity: no units
            index += 1
        return Region(tuple(t.states for t in trace), cell, rows, den, trace)

    def _finish(self, ctx: _Context, tokens: tuple[str, ...], cell: Cell,
                trace: tuple[StageTrace, ...]) -> tuple[Cell, IntRows, int, tuple[StageTrace, ...]]:
        """Close a stage whose units are all decided: its trace, the map after it, the pruned cell."""
        rules = ctx.stage.rules
        assert rules is not None
        step = StageTrace(ctx.stage, ctx.rows, ctx.den, rules.join(tokens), ctx.cache)
        rows, den = rules.activate(ctx.rows, ctx.den, tokens)
        if ctx.index + 1 < len(self.stages):
            cell = cell.pruned()
        return cell, rows, den, trace + (step,)

    def _grow(self, node: Node, index: int, token: str, piece: Cell) -> Node | Region:
        """The child of *node* on branch *index* (state *token*, cell *piece*)."""
        path = node.path + (index,)
        tokens = node.tokens + (token,)
        ctx = node.ctx
        unit = node.unit + 1
        if unit < ctx.units:
            return Node(path, ctx, unit, tokens, piece, node.trace)
        cell, rows, den, trace = self._finish(ctx, tokens, piece, node.trace)
        return self._enter(ctx.index + 1, cell, rows, den, trace, path)

    def _settle(self, node: Node) -> Node | Region:
        """*node* moved past the units its cell lies on one side of (each has one branch,
        the cell itself), with their branch indices on the path: the node where the next
        unit cuts the cell, or the next stage's root (a region after the last stage).
        The same tree as deciding those units one by one, without a node for each."""
        settled = self._settled(node)
        return node if settled is None else settled[1]

    def _settled(self, node: Node) -> tuple[tuple[int, ...], Node | Region] | None:
        """:meth:`_settle`'s branch indices and node, or None when no unit is settled."""
        ctx = node.ctx
        planes = ctx.planes
        if planes is None:
            return None
        start = node.unit if planes.starts is None else planes.starts[node.unit]
        stop, codes = node.cell.sides(planes, start)
        if not codes:
            return None
        rules = ctx.stage.rules
        assert rules is not None
        indices, tokens = rules.settled(ctx.plan, node.unit, codes)
        if not indices:
            return None
        stop = node.unit + len(indices)
        path = node.path + indices
        states = node.tokens + tokens
        if stop < ctx.units:
            return indices, Node(path, ctx, stop, states, node.cell, node.trace)
        cell, rows, den, trace = self._finish(ctx, states, node.cell, node.trace)
        return indices, self._enter(ctx.index + 1, cell, rows, den, trace, path)

    def children(self, node: Node, on_drop: "DropObserver | None" = None) -> list[Node | Region]:
        """The children of *node* in order: all nodes, or all regions at the last decision.

        Without *on_drop* the units the cell lies on one side of are passed in one step
        (:meth:`_settle`): a child may then be several decisions below *node*, or the
        next stage's root. With *on_drop* every unit is decided on its own, so that each
        branch without interior is reported.
        """
        if on_drop is None:
            settled = self._settle(node)
            if settled is not node:
                if type(settled) is Region or settled.ctx is not node.ctx:  # type: ignore[union-attr]
                    return [settled]
                node = settled  # type: ignore[assignment]
        ctx = node.ctx
        rules = ctx.stage.rules
        assert rules is not None
        drop = None
        if on_drop is not None:
            def drop(state: str, piece: Cell, g: Sequence[int], values: list[int] | None) -> None:
                on_drop(node, state, piece, g, values)
        branches = rules.children(node.cell, ctx.plan, node.unit, drop)
        unit = node.unit + 1
        if unit < ctx.units:  # the common case, inlined from _grow
            path, tokens, trace = node.path, node.tokens, node.trace
            return [Node(path + (i,), ctx, unit, tokens + (t,), piece, trace) for i, t, piece in branches]
        return [self._grow(node, i, t, piece) for i, t, piece in branches]

    def replay(self, path: Sequence[int]) -> Node | Region:
        """Rebuild the node (or region) at *path* by repeating its decisions from the root.

        Units that the walk passes in bulk (:meth:`_settle`) are passed in bulk here too
        when the path takes their one branches (so the cell comes back as the walk built
        it); the others are cut one by one.

        Raises :class:`~polyregions.errors.InputError` when *path* is not a path of this tree.
        """
        return next(self.replay_many([path]))

    def _advance(self, node: Node | Region, path: Sequence[int], depth: int) -> tuple[Node | Region, int]:
        """The next node on *path* below *node* (at *depth*): past the settled units when the
        path takes their branches, else one decision; and its depth."""
        if isinstance(node, Region):
            raise InputError(f"search path {list(path)}: longer than the tree ({depth} decisions)")
        settled = self._settled(node)
        if settled is not None:
            indices, below = settled
            if len(path) - depth >= len(indices) and tuple(path[depth:depth + len(indices)]) == indices:
                return below, depth + len(indices)
        try:
            return self._step(node, path[depth]), depth + 1
        except InputError as exc:
            raise InputError(f"search path {list(path)}: {exc}") from None

    def _step(self, node: Node, index: int) -> Node | Region:
        ctx = node.ctx
        rules = ctx.stage.rules
        assert rules is not None
        token, piece = rules.child(node.cell, ctx.plan, node.unit, index)
        return self._grow(node, index, token, piece)

    def replay_many(self, paths: Sequence[Sequence[int]]) -> Iterator[Node | Region]:
        """Rebuild several nodes in turn, sharing the decisions of common prefixes."""
        chain: dict[int, Node | Region] = {}  # the nodes built, by depth (bulk steps skip depths)
        previous: Sequence[int] = ()
        for path in paths:
            common = 0
            limit = min(len(previous), len(path))
            while common < limit and previous[common] == path[common]:
                common += 1
            if not chain:
                chain = {0: self.root()}
                common = 0
            depth = max(d for d in chain if d <= common)
            for d in [d for d in chain if d > depth]:
                del chain[d]
            node = chain[depth]
            while depth < len(path):
                node, depth = self._advance(node, path, depth)
                chain[depth] = node
            previous = path
            yield node

    # -- the depth-first walk ---------------------------------------------------------

    def walk(self, stack: list[Node | Region], on_drop: "DropObserver | None" = None,
             stop: Callable[[], bool] | None = None,
             skip: Callable[[Node], bool] | None = None) -> Iterator[Region]:
        """Yield the regions below the nodes of *stack* in order, depth first.

        *stack* holds nodes in reverse order (the next one last) and is consumed; when
        *stop* returns True (asked after each expansion) the walk ends and *stack*
        holds the unexplored nodes, so that ``walk(stack)`` later goes on where it
        stopped. *skip* is asked before each node is expanded: True drops its subtree
        (the branch and bound of the exact queries).
        """
        while stack:
            node = stack.pop()
            if isinstance(node, Region):
                yield node
                continue
            if skip is not None and skip(node):
                continue
            grown = self.children(node, on_drop)
            if grown and type(grown[0]) is Region:
                yield from grown  # type: ignore[misc]
            else:
                grown.reverse()
                stack.extend(grown)
            if stop is not None and stop():
                return

    def regions(self, on_drop: "DropObserver | None" = None) -> Iterator[Region]:
        """Every region, in the serial order."""
        return self.walk([self.root()], on_drop)


@takes_models("network")
def enumerate_regions(network: Network, domain: Domain | None = None,
                      on_drop: "DropObserver | None" = None) -> Iterator[Region]:
    """Yield every activation region of *network* on *domain* (default: all of R^n0).

    Each :class:`~polyregions.search.regions.Region` carries its pattern, an exact interior
    point, its irredundant inequalities, the exact output map and boundedness.

    on_drop
        Called for every branch of the decision tree found to have no interior (see
        :data:`DropObserver`); :mod:`polyregions.certificates.regions` uses it.

    Notes
    -----
    Depth first over the units, one decision per unit. Each unit costs one integer
    dot product per generator of the piece (the units a piece lies on one side of are
    passed many at a time, in one call of the compiled kernel, whose float filter with
    a proven error bound settles most signs and leaves the rest to exact integers), and a
    proper cut one bitmask test per pair of generators on opposite sides. No LP is
    solved and no float decides anything.
    Memory holds the pieces on the stack: about (branches - 1) per decision level.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, 0], [0]])
    >>> sorted(r.key for r in enumerate_regions(net))
    ['+++', '+-+', '+--', '-++', '-+-', '---']
    """
    return Search(network, domain).regions(on_drop)


def apply_affine(stage: Stage, rows: IntRows, den: int, memo: list | None = None) -> tuple[IntRows, int]:
    """The stage's affine map after the map ``rows / den``: ``(weight @ rows + bias den) / (den stage.den)``,
    reduced by the gcd of every entry and the denominator.

    *memo* (a list ``[None, None, None]`` kept by the caller for this stage) lets the compiled
    kernel reuse the previous call's product: when the rows differ from the previous ones
    in a few rows only (a neighbouring piece, whose units differ in a few states), only
    those rows are multiplied again. The answer is the same.
    """
    assert stage.weight is not None and stage.bias is not None
    if isinstance(stage.weight, SparseRows):
        return _apply_sparse(stage, rows, den, memo)
    kernel = polyhedron._kernel
    if kernel is not None and rows and rows[0]:
        return kernel.affine(stage.weight, stage.bias, stage.den, rows, den, stage.small, memo)
    live = [j for j, row in enumerate(rows) if any(row)]
    width = len(rows[0]) if rows else 0
    columns = [[rows[j][k] for j in live] for k in range(width)]  # the live rows, transposed
    out = []
    for wrow, b in zip(stage.weight, stage.bias):
        weights = [wrow[j] for j in live]
        acc = [sum(map(mul, weights, column)) for column in columns]
        acc[-1] += b * den
        out.append(acc)
    return reduce_rows(out, den * stage.den)


def _apply_sparse(stage: Stage, rows: IntRows, den: int, memo: list | None) -> tuple[IntRows, int]:
    """:func:`apply_affine` for a sparse weight: each output row reads the rows of its nonzero
    weights; with *memo* (the last call's rows, denominator and product), when at most a
    quarter of the rows changed, the product is the last one plus the changed rows'
    differences along their columns."""
    weight, columns = stage.weight, stage.columns
    assert isinstance(weight, SparseRows) and columns is not None and stage.bias is not None
    width = len(rows[0]) if rows else 1
    out: IntRows | None = None
    if memo is not None and memo[0] is not None and memo[1] == den and len(memo[0]) == len(rows):
        previous = memo[0]
        changed = [j for j, (new, old) in enumerate(zip(rows, previous)) if new is not old and new != old]
        if 4 * len(changed) <= len(rows):
            out = [list(row) for row in memo[2]]
            for j in changed:
                delta = [a - b for a, b in zip(rows[j], previous[j])]
                for i, w in columns[j]:
                    acc = out[i]
                    for k, d in enumerate(delta):
                        if d:
                            acc[k] += w * d
    if out is None:
        live = [any(row) for row in rows]
        out = []
        for terms, b in zip(weight.terms, stage.bias):
            acc = [0] * width
            for j, w in terms:
                if live[j]:
                    for k, v in enumerate(rows[j]):
                        if v:
                            acc[k] += w * v
            acc[-1] += b * den
            out.append(acc)
    if memo is not None:
        memo[0], memo[1], memo[2] = rows, den, out
        out = [list(row) for row in out]  # the caller may keep or change its rows; the memo keeps its own
    return reduce_rows(out, den * stage.den)


