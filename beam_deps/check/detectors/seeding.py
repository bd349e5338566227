"""The seeding of process-wide random generators while a script builds its pipeline.

``random.randint`` and ``np.random.rand`` draw from one generator each library keeps per
process. A seed is not a setting whose value can be compared before and after the script
(every draw changes the generator's state too), so the seeding functions themselves are
wrapped while the script runs, and each call with a seed is recorded with where the user's
code made it. BD207 (``launch_settings``) reports worker code drawing from a generator seeded
there.
"""

from __future__ import annotations

import ast
import functools
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from beam_deps.pickling.locations import is_user_file


def generators() -> dict[int, str]:
    """``{id: name}`` of the generator each library keeps per process (never imports one)."""
    out: dict[int, str] = {}
    random = sys.modules.get("random")
    if random is not None and hasattr(random, "_inst"):
        out[id(random._inst)] = "random"
    mtrand = sys.modules.get("numpy.random.mtrand")
    if mtrand is not None and hasattr(mtrand, "_rand"):
        out[id(mtrand._rand)] = "numpy.random"
    return out


SEED_MARK = "__beam_deps_seed__"


@dataclass(frozen=True)
class Seeded:
    """A process-wide generator seeded while the script ran, outside a module's import."""

    generator: str  # "random" or "numpy.random"
    shown: str  # random.seed(42)
    file: str | None
    line: int | None


def _launch_caller() -> tuple[str, int] | None:
    """Where the user's code called a seeding function (the innermost frame in the user's
    files), or None when that is a module's import-time code: a worker importing the module
    runs it too."""
    frame = sys._getframe(2)
    while frame is not None and not is_user_file(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__":
        return None
    return frame.f_code.co_filename, frame.f_lineno


def watch_seeds(seeded: list[Seeded]) -> list[Callable[[], Any]]:
    """Wrap ``random.seed`` and ``numpy.random.seed`` so that a call with a seed is recorded
    in ``seeded``; returns the steps that put the originals back."""
    undo: list[Callable[[], Any]] = []
    targets = [
        ("random", "random", "random.seed"),
        ("numpy.random", "numpy.random", "np.random.seed"),
    ]
    for module_name, generator, shown in targets:
        module = sys.modules.get(module_name)
        original = getattr(module, "seed", None)
        if module is None or original is None or getattr(original, SEED_MARK, False):
            continue

        def seed(
            *args: Any, _original: Any = original, _g: str = generator, _s: str = shown, **kw: Any
        ) -> Any:
            value = args[0] if args else kw.get("a", kw.get("seed"))
            where = _launch_caller() if value is not None else None
            if where is not None:
                seeded.append(Seeded(_g, f"{_s}({value!r})"[:60], *where))
            return _original(*args, **kw)

        setattr(seed, SEED_MARK, True)
        module.seed = seed
        undo.append(functools.partial(setattr, module, "seed", original))
    return undo


_NOT_DRAWS = frozenset({"getstate", "setstate", "get_state", "set_state"})


def use_of(value: Any, known: dict[int, str]) -> str | None:
    """What calling ``value`` does to a process-wide generator of ``known``
    (``generators()``): "seeds", the generator's name when it draws from it, else None."""
    called = getattr(value, "__name__", None)
    owner = getattr(value, "__self__", None)
    generator = known.get(id(owner)) if owner is not None else None
    if getattr(value, SEED_MARK, False) or (
        called == "seed"
        and (generator or str(getattr(value, "__module__", "")).startswith("numpy.random"))
    ):
        return "seeds"
    return generator if generator and called not in _NOT_DRAWS else None


def _resolved(node: ast.AST, function: types.FunctionType) -> Any:
    """The object a name or attribute chain of ``function``'s code stands for, through its
    globals and closure (None for a local, or what cannot be read)."""
    from beam_deps.check.detectors.emitted import outer_value

    chain: list[str] = []
    while isinstance(node, ast.Attribute):
        chain.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    value = outer_value(function, node.id)
    for attribute in chain:
        try:
            value = getattr(value, attribute, None)
        except Exception:  # noqa: BLE001 - a user object's __getattr__
            return None
    return value


def draw_emitted(function: types.FunctionType, generator: str) -> bool:
    """Whether a number drawn from ``generator`` is part of what ``function`` returns or
    yields: in the value itself, or in a pair's value (not its key, which a shard key is and
    a grouping drops), directly or through a local assigned from the draw once. A draw that
    only shuffles, samples or picks a shard leaves the results alone."""
    from beam_deps.check.detectors.function_source import function_root, own_nodes

    root = function_root(function)
    if root is None:
        return False
    known = generators()

    def draws(tree: ast.AST, names: set[str]) -> bool:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and use_of(_resolved(node.func, function), known) == (
                generator
            ):
                return True
            if isinstance(node, ast.Name) and node.id in names:
                return True
        return False

    nodes = list(own_nodes(root))
    drawn: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and draws(node.value, set()):
                drawn.add(target.id)
    for node in nodes:
        value = None
        if isinstance(node, ast.Return | ast.Yield | ast.YieldFrom):
            value = node.value
        elif isinstance(root, ast.Lambda) and node is root.body:
            value = node
        if value is None:
            continue
        parts = value.elts[1:] if isinstance(value, ast.Tuple) and len(value.elts) > 1 else [value]
        if any(draws(part, drawn) for part in parts):
            return True
    return False


__all__ = ["SEED_MARK", "Seeded", "draw_emitted", "generators", "use_of", "watch_seeds"]
