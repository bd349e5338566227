"""Classes defined in ``__main__`` whose instances travel as elements (BD302).

Elements of types without a registered coder are encoded with Beam's fallback coder, which
pickles classes *by reference*; on a worker ``__main__`` is ``sdk_worker_main``, so decoding
fails with "Can't get attribute 'X' on <module 'apache_beam.runners.worker.sdk_worker_main'>".
(Proven in tests/test_check_examples.py on isolated workers.) Only dill with
``--save_main_session`` puts the script's classes into the worker's ``__main__``.
"""

from __future__ import annotations

import dis
import re
import sys
from pathlib import Path
from typing import Any

from beam_deps.diagnostics import Diagnostic, diagnostic

_LIMIT = 2_000


def _main_class_in(value: Any, budget: list[int]) -> type | None:
    stack = [value]
    while stack and budget[0] > 0:
        obj = stack.pop()
        budget[0] -= 1
        cls = type(obj)
        if getattr(cls, "__module__", None) == "__main__":
            return cls
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(list(obj)[:200])
    return None


def _has_own_coder(cls: type) -> bool:
    """A coder registered for ``cls`` (``beam.coders.registry.register_coder``, e.g. RowCoder
    for a NamedTuple) replaces the fallback coder, so its instances decode on any worker."""
    from apache_beam.coders import coders, typecoders

    try:
        coder = typecoders.registry.get_coder(cls)
    except Exception:  # noqa: BLE001 - a broken registration is Beam's error to report
        return False
    fallback = (coders.FastPrimitivesCoder, coders.PickleCoder, coders.DillCoder)
    return not isinstance(coder, fallback)


def _hinted_main_class(hint: Any) -> type | None:
    if isinstance(hint, type):
        return hint if hint.__module__ == "__main__" else None
    for attr in ("tuple_types", "union_types", "inner_type", "key_type", "value_type"):
        inner = getattr(hint, attr, None)
        if inner is None:
            continue
        for part in inner if isinstance(inner, list | tuple | set | frozenset) else (inner,):
            found = _hinted_main_class(part)
            if found is not None:
                return found
    return None


def element_class_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    if library.startswith("dill") and save_main_session:
        return []
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import Create, GroupByKey

    out: list[Diagnostic] = []
    reported: set[tuple[str, str]] = set()

    def report(
        node: Any, cls: type, how: str, encoding: bool = False, severity: str | None = None
    ) -> None:
        key = (node.full_label, cls.__qualname__)
        if key in reported or _has_own_coder(cls):
            return
        reported.add(key)
        file, line = getattr(node, "_beam_deps_location", (None, None))
        failure = (
            f"encode them with \"PicklingError: Can't pickle <class '__main__.{cls.__name__}'>"
            f': attribute lookup {cls.__name__} on __main__ failed"'
            if encoding
            else f"decode them with \"AttributeError: Can't get attribute '{cls.__name__}' on "
            "<module 'apache_beam.runners.worker.sdk_worker_main'>\""
        )
        out.append(
            diagnostic(
                "BD302",
                f"instances of {cls.__qualname__} (defined in your script) {how}; the worker "
                f"will fail to {failure}",
                transform=node.full_label,
                path=cls.__qualname__,
                file=file,
                line=line,
                severity=severity,
            )
        )

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            transform = node.transform
            if isinstance(transform, Create):
                cls = _main_class_in(list(transform.values), [_LIMIT])
                if cls is not None:
                    report(node, cls, "are Create values, encoded by Beam's fallback coder")
            if isinstance(transform, GroupByKey):
                for pcoll in node.inputs:
                    cls = _hinted_main_class(getattr(pcoll, "element_type", None))
                    if cls is not None:
                        report(node, cls, "are grouped across a shuffle")
            for side in getattr(transform, "side_inputs", None) or ():
                pcoll = getattr(side, "pvalue", None)
                cls = _hinted_main_class(getattr(pcoll, "element_type", None))
                if cls is not None:
                    report(node, cls, "travel as a side input")

        def enter_composite_transform(self, node: Any) -> None:
            self.visit_transform(node)

    pipeline.visit(Visitor())
    for producer, gbk, cls, certain in _classes_into_shuffles(pipeline):
        if certain:
            how = f"are emitted here and reach the shuffle of {gbk.full_label!r}"
        else:  # the source could not be read to see whether instances are emitted
            how = f"are created here and may reach the shuffle of {gbk.full_label!r}"
        report(producer, cls, how, encoding=True, severity=None if certain else "warning")
    return out


_NOT_ELEMENTS = ("DoFn", "CombineFn", "PTransform", "WindowFn", "Coder", "BaseException")


def _constructed_main_classes(fn: Any) -> dict[type, bool]:
    """Plain classes from ``__main__`` whose instances ``fn`` (or what it carries) builds and
    emits: {class: True} when the source shows an instance yielded or returned, {class:
    False} when the source cannot be read to tell. Helper objects used only inside the
    function are left out: they never meet a coder."""
    import enum

    from beam_deps.checks.emitted import emitted_constructors
    from beam_deps.worker.probe_walk import code_objects, user_functions

    found: dict[type, bool] = {}
    for function in user_functions(fn):
        g = function.__globals__
        emitted: set[str] | None | bool = False  # False: not computed yet
        for code in code_objects(function.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname != "LOAD_GLOBAL":
                    continue
                called = ins.argrepr.startswith("NULL + ") or sys.version_info < (3, 11)
                value = g.get(ins.argval)
                if not (
                    called
                    and isinstance(value, type)
                    and value.__module__ == "__main__"
                    and not issubclass(value, enum.Enum)
                    and not any(b.__name__ in _NOT_ELEMENTS for b in value.__mro__)
                    and not found.get(value)
                ):
                    continue
                if emitted is False:
                    emitted = emitted_constructors(function)
                if emitted is None:
                    found[value] = False
                elif ins.argval in emitted:
                    found[value] = True
    return found


def _classes_into_shuffles(pipeline: Any):
    """(producer node, GroupByKey node, class, emitted for certain): a DoFn upstream of a
    shuffle (at most three ParDos away) emits instances of a class defined in the script.
    Elements crossing a shuffle are encoded; Beam's fallback coder pickles the class by
    reference to __main__ and the worker fails with "Can't pickle <class '__main__.X'>:
    attribute lookup X on __main__ failed" (proven in tests/test_check_examples.py)."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import GroupByKey, ParDo

    from beam_deps.pipeline.payloads import unwrap_callable

    shuffles: list[Any] = []

    class Leaves(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, GroupByKey):
                shuffles.append(node)

    pipeline.visit(Leaves())
    for gbk in shuffles:
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        for _ in range(3):
            if producer is None or not isinstance(producer.transform, ParDo):
                break
            fn = producer.transform.fn
            target = unwrap_callable(getattr(fn, "_fn", None)) if hasattr(fn, "_fn") else fn
            for cls, certain in _constructed_main_classes(target).items():
                yield producer, gbk, cls, certain
            producer = getattr(producer.inputs[0], "producer", None) if producer.inputs else None


def double_import_diagnostics(
    main_globals: dict[str, Any], imported_as: dict[str, Any], used: set[str], script: Any
) -> list[Diagnostic]:
    """BD303: the script is also imported as a module, so each class it defines exists twice.

    ``python pipeline.py`` runs the file as ``__main__``; a helper doing ``from pipeline
    import Color`` runs it again as module ``pipeline``. ``__main__.Color`` and
    ``pipeline.Color`` are different classes: instances of one fail ``isinstance`` and ``is``
    against the other, on your machine and on the workers. ``used`` holds the
    ``module:qualname`` names the payloads refer to, so only classes that travel are reported.
    """
    out = []
    try:
        source = Path(script).read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, TypeError):
        source = []
    for module_name, module in imported_as.items():
        for name, value in main_globals.items():
            twin = getattr(module, name, None)
            if not (isinstance(value, type) and isinstance(twin, type)) or value is twin:
                continue
            if value.__module__ != "__main__":
                continue
            refs = {f"__main__:{value.__qualname__}", f"{module_name}:{twin.__qualname__}"}
            if not refs & used:
                continue
            pattern = re.compile(rf"^\s*class\s+{re.escape(name)}\b")
            line = next((i for i, text in enumerate(source, 1) if pattern.match(text)), None)
            out.append(
                diagnostic(
                    "BD303",
                    f"class {name} exists twice: __main__.{name} (this file run as the script) "
                    f"and {module_name}.{name} (the same file imported as module "
                    f"{module_name!r}); instances of one are not instances of the other "
                    f'("{name} is not {name}"), here and on the workers',
                    path=f"{module_name}.{name}",
                    file=str(script) if script else None,
                    line=line,
                )
            )
    return out
