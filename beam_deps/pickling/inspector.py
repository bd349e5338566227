"""Find every part of an object that will not pickle, and where it is.

Beam (like pickle) stops at the first failure. We bisect instead: an object that fails is
split into the parts the pickler would carry (``graph.children``); parts that pickle on their
own are fine, parts that fail are split again, and a failing part whose parts all pickle is
the culprit. Work is proportional to the failing paths, not to the whole graph, and it is
bounded so that hostile or enormous objects cannot hang or crash the analysis.

The walk is iterative with parent pointers, so a 100,000-deep chain is just a long list.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from beam_deps.pickling.graph import ATOMIC, MAX_CHILDREN, Edge, children, key_label, root_label
from beam_deps.pickling.libraries import try_pickle

NODE_BUDGET = 200_000
MAX_BAD_ITEMS = 50
DEPTH_BUDGET = 1_000_000


@dataclass
class Node:
    obj: Any
    parent: int
    label: str


@dataclass
class Walk:
    """Nodes visited so far; a node's path is rebuilt from parent pointers on demand."""

    root_name: str
    nodes: list[Node] = field(default_factory=list)
    truncated: bool = False  # some parts were not visited (budget or a very wide object)

    def add(self, obj: Any, parent: int, label: str) -> int:
        self.nodes.append(Node(obj, parent, label))
        return len(self.nodes) - 1

    def chain(self, index: int) -> list[Node]:
        out = []
        while index >= 0:
            node = self.nodes[index]
            out.append(node)
            index = node.parent
        return out[::-1]

    def path(self, index: int) -> str:
        return self.root_name + "".join(n.label for n in self.chain(index))

    def steps(self, index: int) -> list[tuple[Any, str]]:
        """(object, label that led to it) from the root down to the node."""
        return [(n.obj, n.label) for n in self.chain(index)]


@dataclass
class Finding:
    """One failing part: the culprit object, its path, and the error pickling it raised."""

    obj: Any
    path: str
    error: BaseException
    chain: list[tuple[Any, str]]
    kind: str = "leaf"  # "leaf" or "recursion"
    detail: str = ""


@dataclass
class Inspection:
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)


_RECURSION_MESSAGES = ("maximum recursion depth", "excessively deep recursion")


def is_recursion_error(exc: BaseException | None) -> bool:
    """RecursionError, or a pickler's wrapper of one (cloudpickle's "excessively deep ...")."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RecursionError) or any(m in str(exc) for m in _RECURSION_MESSAGES):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def find_unpicklable(
    root: Any,
    library: str,
    root_error: BaseException,
    *,
    label: str | None = None,
    budget: int = NODE_BUDGET,
    is_whole: Callable[[Any], bool] = lambda obj: False,
) -> Inspection:
    """Every culprit under ``root`` (which is known to fail with ``root_error``).

    The active Beam library must already be selected (``using_library``). Objects for which
    ``is_whole`` is true are reported as they are, not split further.
    """
    walk = Walk(label or root_label(root))
    result = Inspection()
    seen: set[int] = {id(root)}
    stack: list[tuple[int, BaseException]] = [(walk.add(root, -1, ""), root_error)]
    tried = 0
    while stack:
        index, error = stack.pop()
        obj = walk.nodes[index].obj
        if is_recursion_error(error):
            result.findings.append(_recursion_finding(walk, index, error, library))
        failing = []
        edges = [] if is_whole(obj) else _edges_to_try(obj, library, result)
        for edge in edges:
            if id(edge.child) in seen:
                continue
            seen.add(id(edge.child))
            tried += 1
            if tried > budget:
                result.incomplete.append(
                    f"stopped after trying {budget:,} parts of {walk.path(index)}"
                )
                stack.clear()
                break
            child_error = try_pickle(edge.child, library)
            if child_error is None:
                continue
            if is_recursion_error(error) and is_recursion_error(child_error):
                continue  # the same deep chain, already reported at its top
            failing.append((walk.add(edge.child, index, edge.label), child_error))
        if not failing and not is_recursion_error(error):
            result.findings.append(Finding(obj, walk.path(index), error, walk.steps(index)))
        stack.extend(reversed(failing))
    return result


def _edges_to_try(obj: Any, library: str, result: Inspection) -> list[Edge]:
    """The parts to try one by one; an object with very many parts is bisected down to its
    bad parts first, so a million-item list costs a few pickles, not a million."""
    if type(obj) in (list, tuple, dict):
        if len(obj) <= MAX_CHILDREN:
            return children(obj, library)
        items = list(obj.items()) if type(obj) is dict else list(enumerate(obj))
        bad = _bisect_failing(items, library, result, len(obj))
        if type(obj) is dict:
            return [Edge(key_label(k) or "[<key>]", v) for k, v in bad]
        return [Edge(f"[{i}]", v) for i, v in bad]
    edges = children(obj, library, limit=None)
    if len(edges) <= MAX_CHILDREN:
        return edges
    bad = _bisect_failing([(e.label, e.child) for e in edges], library, result, len(edges))
    return [Edge(label, child) for label, child in bad]


def _bisect_failing(
    items: list[tuple[Any, Any]], library: str, result: Inspection, total: int
) -> list[tuple[Any, Any]]:
    """Items whose values fail to pickle, found by halving: O(n log n) bytes, not n tries."""
    bad: list[tuple[Any, Any]] = []
    stack = [items]
    while stack:
        if len(bad) >= MAX_BAD_ITEMS:
            result.incomplete.append(
                f"{total:,} parts were bisected; only the first {MAX_BAD_ITEMS} bad ones are shown"
            )
            break
        chunk = stack.pop()
        if try_pickle([v for _, v in chunk], library) is None:
            continue
        if len(chunk) == 1:
            bad.append(chunk[0])
            continue
        middle = len(chunk) // 2
        stack.extend([chunk[middle:], chunk[:middle]])
    return bad


def _recursion_finding(walk: Walk, index: int, error: BaseException, library: str) -> Finding:
    depth, labels = deepest_chain(walk.nodes[index].obj, library)
    unit, repeats, start = repeating_run(labels)
    where = walk.path(index) + _abbreviate("".join(labels[:start]))
    detail = (
        f"the object graph is at least {depth:,} levels deep; "
        f"`{''.join(unit)}` repeats {repeats:,} times from {where}"
    )
    return Finding(
        walk.nodes[index].obj, where, error, walk.steps(index), kind="recursion", detail=detail
    )


def _abbreviate(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:90] + " ... " + text[-90:]


def deepest_chain(root: Any, library: str, budget: int = DEPTH_BUDGET) -> tuple[int, list[str]]:
    """Depth of the deepest path under ``root`` and its labels (iterative, bounded).

    Atomic values (numbers, strings) end a path without adding depth worth reporting, so
    they are not walked: a linked list whose nodes carry payloads stays a linked list.
    """
    walk = Walk("")
    seen = {id(root)}
    stack = [(walk.add(root, -1, ""), 0)]
    best_index, best_depth = 0, 0
    while stack and len(walk.nodes) < budget:
        index, depth = stack.pop()
        if depth > best_depth:
            best_index, best_depth = index, depth
        for edge in children(walk.nodes[index].obj, library):
            if isinstance(edge.child, ATOMIC) or id(edge.child) in seen:
                continue
            seen.add(id(edge.child))
            stack.append((walk.add(edge.child, index, edge.label), depth + 1))
    labels = [n.label for n in walk.chain(best_index)][1:]
    return best_depth, labels


def repeating_run(labels: list[str], max_period: int = 6) -> tuple[list[str], int, int]:
    """The label cycle repeated most often in a row anywhere in the chain, its count, and
    where the run starts: ``.next`` x 60,000 even when each node ends in ``.payload``."""
    best: tuple[list[str], int, int] = (labels[:1], 1 if labels else 0, 0)
    for period in range(1, min(max_period, len(labels)) + 1):
        i = 0
        while i + period <= len(labels):
            unit = labels[i : i + period]
            repeats, j = 1, i + period
            while labels[j : j + period] == unit:
                repeats, j = repeats + 1, j + period
            if repeats > best[1]:
                best = (unit, repeats, i)
            i = j if repeats > 1 else i + 1
    return best


def iter_graph(
    root: Any,
    library: str,
    *,
    label: str | None = None,
    budget: int = NODE_BUDGET,
    prune: Container[int] = (),
) -> Iterator[tuple[Walk, int]]:
    """Breadth-first over every part the pickler would carry (each object once, bounded).

    Yields the walk and the node index, so callers can ask for a node's path lazily. Raises
    ``StopIteration`` early (the generator just ends) once ``budget`` nodes were seen; the
    caller can tell from ``len(walk.nodes) > budget``. Objects whose ``id`` is in ``prune``
    are yielded but not walked into.
    """
    walk = Walk(label or root_label(root))
    seen = {id(root)}
    queue = [walk.add(root, -1, "")]
    head = 0
    while head < len(queue):
        index = queue[head]
        head += 1
        yield walk, index
        if len(walk.nodes) > budget:
            walk.truncated = True
            return
        if id(walk.nodes[index].obj) in prune:
            continue
        edges = children(walk.nodes[index].obj, library, limit=budget)
        if len(edges) > budget:
            walk.truncated = True
            edges = edges[:budget]
        for edge in edges:
            if id(edge.child) not in seen:
                seen.add(id(edge.child))
                queue.append(walk.add(edge.child, index, edge.label))


def locate(
    root: Any,
    targets: Iterable[Any],
    library: str,
    *,
    label: str | None = None,
    budget: int = NODE_BUDGET,
) -> tuple[dict[int, tuple[str, list[tuple[Any, str]]]], bool]:
    """Paths (and object chains) to each target object.

    Returns the found paths keyed by ``id(target)`` and whether the walk was exhaustive.
    """
    wanted = {id(t) for t in targets}
    found: dict[int, tuple[str, list[tuple[Any, str]]]] = {}
    walk = None
    for walk, index in iter_graph(root, library, label=label, budget=budget):
        obj = walk.nodes[index].obj
        if id(obj) in wanted:
            found[id(obj)] = (walk.path(index), walk.steps(index))
            if len(found) == len(wanted):
                return found, True
    return found, walk is None or not walk.truncated
