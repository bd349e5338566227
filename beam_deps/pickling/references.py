"""What a payload refers to by name: the imports a worker must be able to satisfy.

Reading the pickle stream itself (rather than guessing from the object) gives the exact
list the worker's unpickler will import: every GLOBAL/STACK_GLOBAL, plus every module the
library re-imports by name (cloudpickle's ``subimport``, dill's ``_import_module``).
"""

from __future__ import annotations

import pickletools
from typing import Any

from beam_deps.pickling.libraries import raw_pickle

_STRING_OPS = frozenset(
    {
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "SHORT_BINSTRING",
        "BINSTRING",
        "STRING",
    }
)
_IMPORTERS = frozenset(
    {
        ("apache_beam.internal.cloudpickle.cloudpickle", "subimport"),
        ("apache_beam.internal.cloudpickle.cloudpickle", "dynamic_subimport"),
        ("cloudpickle.cloudpickle", "subimport"),
        ("cloudpickle.cloudpickle", "dynamic_subimport"),
        ("dill._dill", "_import_module"),
        ("dill.dill", "_import_module"),
        ("importlib", "import_module"),
        ("builtins", "__import__"),
    }
)
_MEMO_OPS = frozenset({"BINPUT", "LONG_BINPUT", "PUT"})
_GET_OPS = frozenset({"BINGET", "LONG_BINGET", "GET"})


def references(payload: bytes, *, raw: bool = False) -> list[tuple[str, str]]:
    """(module, qualname) pairs the payload imports, and (module, "") per module import.

    ``payload`` is Beam's encoded payload unless ``raw`` is true (a bare pickle stream).
    """
    stream = payload if raw else raw_pickle(payload)
    found: dict[tuple[str, str], None] = {}
    recent: list[Any] = []
    memo: dict[int, Any] = {}
    pending_import = False

    def push(value: Any) -> None:
        nonlocal pending_import
        if pending_import and isinstance(value, str):
            found.setdefault((value, ""), None)
            pending_import = False
        recent.append(value)
        if len(recent) > 8:
            del recent[:-4]

    def use_global(module: str, name: str) -> None:
        nonlocal pending_import
        found.setdefault((module, name), None)
        if (module, name) in _IMPORTERS:
            pending_import = True

    for opcode, arg, _pos in pickletools.genops(stream):
        op = opcode.name
        if op in _STRING_OPS:
            push(arg if isinstance(arg, str) else arg.decode("latin-1"))
        elif op == "GLOBAL":
            module, _, name = str(arg).partition(" ")
            use_global(module, name)
            recent.append(("global", module, name))
        elif op == "STACK_GLOBAL":
            module, name = (recent[-2:] + [None, None])[:2] if len(recent) >= 2 else (None, None)
            if isinstance(module, str) and isinstance(name, str):
                use_global(module, name)
                recent.append(("global", module, name))
            else:
                recent.append(None)
        elif op == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif op in _MEMO_OPS:
            memo[int(arg)] = recent[-1] if recent else None
        elif op in _GET_OPS:
            value = memo.get(int(arg))
            if isinstance(value, tuple) and value and value[0] == "global":
                if (value[1], value[2]) in _IMPORTERS:
                    pending_import = True
                recent.append(value)
            else:
                push(value)
        elif opcode.stack_after and op not in ("MARK",):
            recent.append(None)
    return sorted(found)


def required_modules(refs: list[tuple[str, str]]) -> list[str]:
    """Top-level names a worker must be able to import, without the pickler's own internals."""
    modules = {module for module, _ in refs}
    return sorted(m for m in modules if m and m not in ("builtins", "copyreg", "__builtin__"))


def format_reference(ref: tuple[str, str]) -> str:
    module, name = ref
    return f"{module}:{name}" if name else module
