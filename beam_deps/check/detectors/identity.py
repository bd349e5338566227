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

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.output_coders import (
    has_own_coder,
    keyed_inputs,
    one_output,
    own_coder_used,
    read_as_keyed,
)
from beam_deps.check.detectors.shuffle_inputs import (
    passes_element_on,
    returns_elements,
    shuffles_of,
)
from beam_deps.diagnostics import Diagnostic

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


def _hinted_main_classes(hint: Any, role: str) -> list[tuple[type, str]]:
    """(class, role) for script classes named in a type hint; a pair's first type is the key."""
    from beam_deps.check.detectors.emitted import KEY, VALUE

    if isinstance(hint, type):
        return [(hint, role)] if hint.__module__ == "__main__" else []
    out: list[tuple[type, str]] = []
    pair = getattr(hint, "tuple_types", None)
    if role == "element" and isinstance(pair, list | tuple) and len(pair) == 2:
        return [*_hinted_main_classes(pair[0], KEY), *_hinted_main_classes(pair[1], VALUE)]
    inner_role = KEY if role == KEY else VALUE
    for attr in ("tuple_types", "union_types", "inner_type", "key_type", "value_type"):
        inner = getattr(hint, attr, None)
        if inner is None:
            continue
        for part in inner if isinstance(inner, list | tuple | set | frozenset) else (inner,):
            out.extend(_hinted_main_classes(part, inner_role))
    return out


def _encodes_as_key(cls: type) -> bool:
    """Beam's deterministic key coder writes these with their class pickled *by value*
    (cloudpickle), so a worker decodes them without finding the class in its ``__main__``."""
    import dataclasses
    import enum

    if _dill_keys():  # Beam < 2.68: plain dill.dumps of the class, which fails on the
        return False  # worker for a class of __main__ (see _failure)
    if issubclass(cls, enum.Enum) or (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        return True
    if dataclasses.is_dataclass(cls):
        return bool(cls.__dataclass_params__.frozen)
    return hasattr(cls, "__setstate__") and cls.__reduce__ is object.__reduce__


def _dill_keys() -> bool:
    from beam_deps.beam import profile

    return profile().key_classes_by_dill


def _failure(cls: type, mode: str, session: bool = False) -> str:
    """What the worker fails with; ``session``: dill loaded the script's session there, so
    only a class pickle cannot find by name is reported, and it fails where it is encoded."""
    name = cls.__name__
    if session and mode != "key":
        if "<locals>" in cls.__qualname__:
            return (
                "encode them: the class is local to a function, and pickle finds a class "
                f"only by its name (\"Can't pickle local object '{cls.__qualname__}'\"; with "
                f"dill 0.3.1.1, which rebuilds it, \"Can't pickle <class '__main__.{name}'>: "
                f'attribute lookup {name} on __main__ failed")'
            )
        return (
            f"encode them: pickle looks the class up by its own name, {cls.__qualname__}, "
            f"which is not bound to it (\"Can't pickle {cls!r}: attribute lookup "
            f'{cls.__qualname__} on {cls.__module__} failed")'
        )
    if mode == "key" and _dill_keys():
        return (
            "encode them as grouping keys: this Beam's key coder writes a key's class with "
            "plain dill.dumps, which fails for a class of your script (RecursionError in "
            "dill_pickler); Beam 2.68 and newer pickle it with cloudpickle"
        )
    if mode == "key":
        return (
            f'encode them as grouping keys ("TypeError: Unable to deterministically encode '
            f"... of type '<class '__main__.{name}'>'\"): Beam's key coder needs a frozen "
            "dataclass, a NamedTuple, an Enum or __getstate__/__setstate__"
        )
    if mode == "encode":
        return (
            f"encode them with \"PicklingError: Can't pickle {cls!r}: "
            f'attribute lookup {name} on __main__ failed"'
        )
    return (
        f"decode them with \"AttributeError: Can't get attribute '{name}' on <module "
        "'apache_beam.runners.worker.sdk_worker_main'>\""
    )


def _found_by_name(cls: type) -> bool:
    """Does pickle find ``cls`` by its module and qualified name here? A class local to a
    function (``run.<locals>.Point``), or bound to another name than its own
    (``Record = namedtuple("Rec", ...)``), is found nowhere, whatever the worker loaded."""
    if "<locals>" in cls.__qualname__:
        return False
    obj: Any = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        obj = getattr(obj, part, None)
    # dill 0.3.1.1 rebuilds the script's classes when Beam round-trips a transform: a copy
    # of the class bound under its name is the one the session gives the worker
    return obj is cls or (isinstance(obj, type) and obj.__qualname__ == cls.__qualname__)


def element_class_diagnostics(
    pipeline: Any, library: str, save_main_session: bool
) -> list[Diagnostic]:
    # dill with --save_main_session loads the script's classes into the worker's __main__:
    # only a class pickle cannot find by its name at all still fails
    session = library.startswith("dill") and save_main_session
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import CombinePerKey, Create, GroupByKey

    from beam_deps.check.detectors.emitted import KEY

    out: list[Diagnostic] = []
    reported: set[tuple[str, str]] = set()

    def report(
        node: Any,
        cls: type,
        how: str,
        mode: str,
        severity: str | None = None,
        emits: bool = False,
    ) -> None:
        """``emits``: ``node`` makes the instances, so its output's coder decides: the
        class's registered coder only where that output's type names the class."""
        label = getattr(node, "_beam_deps_user_label", None) or node.full_label
        key = (label, cls.__qualname__)
        if key in reported:
            return
        if own_coder_used(node, cls) if emits else has_own_coder(cls):
            return
        if session and _found_by_name(cls):
            return
        reported.add(key)
        file, line = getattr(node, "_beam_deps_location", (None, None))
        out.append(
            diagnostic(
                "BD302",
                f"instances of {cls.__qualname__} (defined in your script) {how}; the worker "
                f"will fail to {_failure(cls, mode, session)}",
                transform=label,
                path=cls.__qualname__,
                file=file,
                line=line,
                severity=severity,
            )
        )

    def report_hinted(node: Any, pcoll: Any, how: str, element_role: str) -> None:
        made_by_create = isinstance(getattr(pcoll.producer, "transform", None), Create)
        for cls, role in _hinted_main_classes(getattr(pcoll, "element_type", None), element_role):
            if (node.full_label, cls) in into_shuffles:
                continue  # already reported where the instances are made
            if role == KEY and _encodes_as_key(cls):
                continue
            mode = "key" if role == KEY else ("decode" if made_by_create else "encode")
            if made_by_create or pcoll.producer is None:
                report(node, cls, how, mode)
            else:  # the worker fails where the instances are made and encoded
                report(pcoll.producer, cls, f"{how} of {node.full_label!r}", mode)

    into_shuffles: set[tuple[str, type]] = set()
    for producer, gbk, cls, roles in _classes_into_shuffles(pipeline):
        into_shuffles.add((gbk.full_label, cls))
        if roles is not None and roles == {KEY} and _encodes_as_key(cls):
            continue
        mode = "key" if roles == {KEY} else "encode"
        if roles is None:  # the source could not be read to see whether instances are emitted
            how = f"are created here and may reach the shuffle of {gbk.full_label!r}"
        else:
            how = f"are emitted here and reach the shuffle of {gbk.full_label!r}"
        report(
            producer,
            cls,
            how,
            mode,
            severity=None if roles is not None else "warning",
            emits=True,
        )

    keyed = keyed_inputs(pipeline)
    for producer, cls, roles in _classes_emitted(pipeline):
        if roles and roles - {KEY}:  # keys go to the key coder; unreadable source: unsure
            how = (
                "are emitted here as elements; the worker encodes a sample of every output "
                "with its coder (element counters) even without a shuffle, and the coder is "
                "Beam's pickling fallback"
            )
            report(producer, cls, how, "encode", emits=True)
        elif roles == {KEY} and not read_as_keyed(producer, keyed):
            how = (
                "are emitted here as the keys of pairs that no GroupByKey or combine reads "
                "directly (only such an input gets Beam's deterministic key coder); the "
                "worker encodes a sample of every output with its coder (element counters), "
                "and for these keys that is Beam's pickling fallback"
            )
            report(producer, cls, how, "encode", emits=True)
    for node, cls in _passed_on_untyped(pipeline):
        how = (
            f"arrive here in a PCollection typed {cls.__name__} (its registered coder) and "
            "are passed on as they are, but this step's output declares no type: the worker "
            "encodes a sample of every output with its coder (element counters), and that "
            "is Beam's pickling fallback"
        )
        report(node, cls, how, "encode", emits=True)

    class Visitor(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            transform = node.transform
            if isinstance(transform, Create):
                cls = _main_class_in(list(transform.values), [_LIMIT])
                if cls is not None:
                    how = "are Create values, encoded by Beam's fallback coder"
                    report(node, cls, how, "decode")
            if isinstance(transform, GroupByKey):
                for pcoll in node.inputs:
                    report_hinted(node, pcoll, "are grouped across the shuffle", "element")
            if isinstance(transform, CombinePerKey):
                for cls in _accumulator_classes(transform.fn):
                    how = (
                        f"are the accumulators of {type(transform.fn).__name__}, which Beam "
                        "encodes between the partial and the final combine"
                    )
                    report(node, cls, how, "encode")
            for side in getattr(transform, "side_inputs", None) or ():
                pcoll = getattr(side, "pvalue", None)
                if pcoll is not None:
                    report_hinted(node, pcoll, "travel as a side input", "value")

        def enter_composite_transform(self, node: Any) -> None:
            self.visit_transform(node)

    pipeline.visit(Visitor())
    return out


def _accumulator_classes(combine_fn: Any) -> list[type]:
    """Script classes a CombineFn builds its accumulators from, unless it gives Beam a coder
    for them (``get_accumulator_coder``)."""
    from apache_beam.transforms.core import CombineFn

    cls = type(combine_fn)
    if not isinstance(combine_fn, CombineFn) or (
        cls.get_accumulator_coder is not CombineFn.get_accumulator_coder
    ):
        return []
    found: list[type] = []
    for name in ("create_accumulator", "add_input", "merge_accumulators"):
        # bound: what it returns through a helper method of its own (``self.to_mzz(refs)``)
        method = getattr(combine_fn, name, None)
        if getattr(getattr(method, "__func__", None), "__module__", None) != "__main__":
            continue
        for made, roles in _constructed_main_classes(method).items():
            if roles is not None and made not in found:
                found.append(made)
    return found


def _constructed_main_classes(fn: Any, *, output_only: bool = False) -> dict[type, set[str] | None]:
    """Plain classes from ``__main__`` whose instances ``fn`` (or what it carries) builds and
    emits: {class: roles} (``"key"``/``"value"``) when the source shows an instance yielded
    or returned, {class: None} when the source cannot be read to tell. Helper objects used
    only inside the function are left out: they never meet a coder. The helpers whose
    results it emits count too (``yield parse(line)``, ``lambda c: (c, classify(c))``), not
    those whose results it only uses (``parse(line).date()``). ``output_only``: only what
    the source shows emitted, from the function whose results are the outputs (a DoFn's
    ``process``, a Map's callable) through those helpers; never every function it reaches
    when a source cannot be read, nor a library DoFn's (a model handler's ``load_model``
    returns objects it never emits)."""
    import enum

    from beam_deps.check.detectors.emitted import VALUE, emitted_constructors
    from beam_deps.pickling.bytecode import code_objects

    found: dict[type, set[str] | None] = {}
    owner = getattr(fn, "__self__", None)
    if isinstance(fn, type) and _plain_main_class(fn):  # beam.Map(Price): the class builds them
        found[fn] = {VALUE}
    elif isinstance(owner, type) and _plain_main_class(owner):  # beam.Map(LogLine.from_raw)
        code = getattr(getattr(fn, "__func__", None), "__code__", None)
        made = emitted_constructors(fn.__func__) if code is not None else None
        if made and code.co_varnames[:1] and code.co_varnames[0] in made:  # cls(...)
            found[owner] = made[code.co_varnames[0]]
    outputs = _output_function(fn)
    functions = _emitting_functions(fn, outputs, sure=output_only)
    for function in functions:
        g = function.__globals__
        emitted: dict[str, set[str]] | None | bool = False  # False: not computed yet
        for code in code_objects(function.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname != "LOAD_GLOBAL":
                    continue
                called = ins.argrepr.startswith("NULL + ") or sys.version_info < (3, 11)
                value = g.get(ins.argval)
                # an Enum's members are emitted without a call (Level.HIGH)
                is_enum = isinstance(value, type) and issubclass(value, enum.Enum)
                if not ((called or is_enum) and _plain_main_class(value)):
                    continue
                if emitted is False:
                    emitted = emitted_constructors(function)
                if emitted is None:
                    found.setdefault(value, None)
                elif ins.argval in emitted:
                    roles = found.get(value) or set()
                    found[value] = roles | emitted[ins.argval]
    return found


def _plain_main_class(value: Any) -> bool:
    """A class of the script whose instances can be elements: not an exception, not one of
    Beam's kinds (a DoFn, a PTransform...)."""
    from beam_deps.pickling.hazards import beam_base_name

    return (
        isinstance(value, type)
        and value.__module__ == "__main__"
        and not issubclass(value, BaseException)
        and beam_base_name(value) is None
    )


def _emitting_functions(fn: Any, outputs: list[Any], sure: bool = False) -> list[Any]:
    """The output functions and the user functions whose results they emit, by name and
    through helpers of helpers; every user function ``fn`` reaches when the output function
    is not known (a CombineFn's methods) or a source cannot be read, unless ``sure``: then
    only what the sources show."""
    from beam_deps.check.detectors.emitted import emitted_calls
    from beam_deps.pickling.walk import user_functions

    reachable = list(user_functions(fn))
    if not outputs:
        return [] if sure else reachable
    by_name: dict[str, list[Any]] = {}
    for function in reachable:
        by_name.setdefault(function.__name__, []).append(function)
    chosen, queue, names = list(outputs), list(outputs), set()
    while queue:
        called = emitted_calls(queue.pop())
        if called is None:
            if sure:
                continue
            return reachable
        for name in called - names:
            names.add(name)
            chosen += by_name.get(name, [])
            queue += by_name.get(name, [])
    return chosen


def _output_function(fn: Any) -> list[Any]:
    """The user function whose results a ParDo emits: a DoFn subclass's ``process``, else the
    callable itself (Map/FlatMap/MapTuple, already unwrapped); none for Beam's own DoFns."""
    import functools
    import types

    from apache_beam.transforms.core import DoFn

    if isinstance(fn, DoFn):
        process = getattr(type(fn), "process", None)
        module = getattr(process, "__module__", "") or ""
        if module == "apache_beam" or module.startswith("apache_beam."):
            return []
        fn = process
    # functools.partial(f, ...) emits what f emits (the C4 cleaner of tensorflow/datasets
    # is a FlatMap of partial(clean_page, ...)): f is the output function, not "unknown"
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    return [fn] if isinstance(fn, types.FunctionType) else []


def _classes_into_shuffles(pipeline: Any):
    """(producer node, GroupByKey node, class, roles or None): a DoFn upstream of a shuffle
    (at most three ParDos away) emits instances of a class defined in the script (as keys
    and/or values; None: it builds them but its source could not be read). Elements
    crossing a shuffle are encoded; Beam's fallback coder pickles the class by reference to
    __main__ and the worker fails with "Can't pickle <class '__main__.X'>: attribute lookup
    X on __main__ failed" (proven in tests/test_check_examples.py)."""
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    for gbk in shuffles_of(pipeline):
        producer = getattr(gbk.inputs[0], "producer", None) if gbk.inputs else None
        for _ in range(3):
            if producer is None or not isinstance(producer.transform, ParDo):
                break
            target = user_code(producer.transform.fn)
            for cls, roles in _constructed_main_classes(target).items():
                yield producer, gbk, cls, roles
            producer = getattr(producer.inputs[0], "producer", None) if producer.inputs else None


def _passed_on_untyped(pipeline: Any) -> list[tuple[Any, type]]:
    """(ParDo node, class) for each user step whose input is typed as a script class with
    a registered coder, whose one output's type does not name it, and whose code emits its
    input element as it is (``return element``, ``yield element``,
    ``TimestampedValue(element, ts)``) on every path: those instances meet the fallback
    coder at this step's output."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    found: list[tuple[Any, type]] = []

    class Steps(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if not isinstance(node.transform, ParDo) or len(node.inputs) != 1:
                return
            cls = getattr(node.inputs[0], "element_type", None)
            output = one_output(node)
            if not (_plain_main_class(cls) and has_own_coder(cls)) or output is None:
                return
            if not _untyped(getattr(output, "element_type", None)):
                return  # typed as the class (its coder), or as what the code makes of it
            wrapper = getattr(node.transform.fn, "_fn", None)
            if getattr(wrapper, "__qualname__", "").startswith(("MapTuple.", "FlatMapTuple.")):
                return  # the function's first parameter is a field, not the element
            functions = _output_function(user_code(node.transform.fn))
            returns = returns_elements(node)
            if functions and passes_element_on(functions[0], returns):
                found.append((node, cls))

    pipeline.visit(Steps())
    return found


def _untyped(hint: Any) -> bool:
    """No type for Beam to pick a coder from: nothing, or ``Any``."""
    import typing

    from apache_beam.typehints import typehints

    return hint is None or hint is typing.Any or isinstance(hint, typehints.AnyTypeConstraint)


def _classes_emitted(pipeline: Any):
    """(ParDo node, class, roles or None) for every DoFn of the pipeline that emits instances
    of a class of the script. A worker samples each output for its element counters
    (``opcounters.OperationCounters.do_sample``) by encoding it with the output's coder, so an
    instance that Beam's fallback coder pickles by reference to ``__main__`` fails right where
    it is emitted, shuffle or not ("Can't pickle <enum 'Level'>: attribute lookup Level on
    __main__ failed [while running 'Classify']", proven in
    tests/test_accuracy_precision_more.py)."""
    from apache_beam.pipeline import PipelineVisitor
    from apache_beam.transforms.core import ParDo

    from beam_deps.pipeline.payloads import user_code

    nodes: list[Any] = []

    class Leaves(PipelineVisitor):
        def visit_transform(self, node: Any) -> None:
            if isinstance(node.transform, ParDo):
                nodes.append(node)

    pipeline.visit(Leaves())
    for node in nodes:
        target = user_code(node.transform.fn)
        for cls, roles in _constructed_main_classes(target, output_only=True).items():
            yield node, cls, roles


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
