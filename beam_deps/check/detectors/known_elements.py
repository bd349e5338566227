"""The pipeline's first steps, run here on the elements the pipeline itself provides: a step
that raises on them (BD329), a text input the worker cannot read (BD330).

A rebuilt report, a test pipeline, a first run on a sample: many pipelines start from
elements that exist before the job does, a ``Create``'s values or a text file on this
machine. What the first steps do with them is then no guess: ``int(line.split(",")[0])``
on a header line that ``skip_header_lines`` was meant to skip, ``line.decode()`` on a str,
``row["id"]`` on a dict without it, a partition function that returns 3 of 3 partitions.
The worker raises at that element, minutes after submission; here the same function on
the same element raises the same exception, before it.

Decided by running, not by reading:

* the elements: the values of a ``Create`` (the first 100), and the records of a
  ``ReadFromText``/``ReadFromTextWithFilename`` of files on this machine, read by the source
  Beam ships, so by the worker's own code (the first 1000 of each of up to 5 files; the rest
  of each file is read for decoding errors up to 4 MB; text_inputs.py). A read that
  raises is BD330: a ``.gz`` name on plain text ("incorrect header check"), gzip bytes
  under a ``.txt`` name, latin-1 bytes read as UTF-8;
* the steps: Map, FlatMap, Filter, MapTuple and FlatMapTuple of a function in the user's own
  files (or a builtin that only reads its argument: ``int``, ``json.loads``...), called
  through Beam's own wrapper (so its unpacking and its treatment of the result are the
  worker's), with the step's extra arguments when they are plain values; a
  ``Partition`` through Beam's own partitioning DoFn, whose range check gives the worker's
  message; a user DoFn's ``process`` (on a copy of it) where only its constructor makes
  what it reads: no ``setup`` or ``start_bundle`` of its own, whose clients and files are
  the worker's. Elements flow on through WindowInto, Flatten, a Reshuffle (each through its
  coder) and the steps run here; where all are known (a Flatten's once all its inputs are),
  through side inputs and (known_groups.py) a GroupByKey, a CoGroupByKey's steps and Beam's
  combines; they stop at anything else;
* a claim only for an exception the data makes: one raised by the user's code or Beam's
  wrapper, or by a pure standard module it calls (``json``, ``datetime``, ``csv``...), and
  of a kind an environment does not make (not ``OSError``, ``ImportError``, ``NameError``:
  a worker may have the network, file or package this machine lacks; a RecursionError only
  as it is raised with all of a worker's default 1000 frames given to the step). A function given a
  ``DoFn.TimestampParam``-style default is not called (Beam fills it, a plain call cannot);
* within a time limit (3 s for each source and the steps after it, none started after 10 s,
  12 sources at most; main thread only): what does not finish in it is not claimed, and
  where no time limit can be set (another thread, Windows) no step runs. What a step
  prints while it runs here goes to stderr;
* with nothing changed outside the process (contained.py): while steps run here, an audit
  hook stops any write to a file, network connection, subprocess or removal (the step is
  then not claimed), and no bytecode is cached. A step's work that reaches out is the
  worker's to do, not the check's.
A finding proves by running what a more specific rule may explain (a function in an
element, BD305; bytes under a ``str`` coder, BD308; a misspelled ``setup``, BD324): it goes
when another error is on its step (``unless_said``), and stays where the other finding is
only a warning, which the elements here settle.
(Proven on isolated workers in tests/test_accuracy_elements.py.)
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors import known_groups, known_shapes, known_steps, text_inputs
from beam_deps.check.detectors import shuffle_inputs as shuffles
from beam_deps.check.detectors.contained import (
    WORKER_RECURSION,
    Reached,
    contained,
    worker_frames,
    worker_main,
)
from beam_deps.check.detectors.known_shapes import shown
from beam_deps.check.postprocess import FOR_SHUFFLE, UNLESS_SAID
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.locations import is_user_file

CREATED = 100  # values of a Create run through the steps
BUDGET = 3.0  # seconds for each source (a file, a Create) and the steps after it
TOTAL = 10.0  # seconds for all of them: no source is started after
SOURCES = 12  # sources run per pipeline
_FOLLOWED = 8  # steps followed from a source
# exceptions an environment makes, which the worker's may not
_ENVIRONMENT = (OSError, ImportError, NameError, MemoryError)
# pure standard modules whose exceptions are the data's (the innermost frame may be theirs)
_PURE = (
    "json",
    "_strptime",
    "datetime",
    "_pydatetime",
    "csv",
    "decimal",
    "_pydecimal",
    "fractions",
    "ipaddress",
    "base64",
    "re",
    "statistics",
    "string",
    "enum",
    "uuid",
    "urllib.parse",
    "shlex",
    "ast",
    *known_groups.BEAMS_PURE,  # Beam's steps that compute on the elements alone
)


@dataclass
class _Known:
    """Elements known to be in a PCollection, and where they come from."""

    values: list[Any]
    origin: str
    complete: bool = False  # every element of the PCollection is among them
    made: bool = False  # made by steps run here from the source's elements
    maker: Any = None  # the step that made them, through the steps that pass them on as they are

    def after_a_step(self, values: list[Any], maker: Any = None) -> _Known:
        return _Known(values, self.origin, self.complete, True, maker)

    def passed_on(self, values: list[Any], complete: bool) -> _Known:
        return _Known(values, self.origin, complete, self.made, self.maker)


@dataclass
class _Raised:
    node: Any
    element: Any
    origin: str
    error: BaseException
    coder: Any = None  # the output's coder, when it is what refuses the element
    key: str = ""  # the GroupByKey whose key coder refuses the element's key


def _created(pipeline: Any) -> Iterator[tuple[Any, _Known]]:
    from apache_beam.transforms.core import Create

    for node in shuffles.nodes_of(pipeline, Create, composites=True):
        values = node.transform.values
        if not isinstance(values, list | tuple) or not values:
            continue
        label = shuffles.where(node)["transform"]
        parent = getattr(getattr(node, "parent", None), "transform", None)
        for pcoll in (node.outputs or {}).values():
            # a Create of Beam's own (a CombineGlobally's default) makes nothing of the user's
            origin = "" if shuffles.is_beams(parent) else f"from a value of {label}"
            yield pcoll, _Known(list(values[:CREATED]), origin, len(values) <= CREATED)


def _data_made(error: BaseException) -> bool:
    """Raised by the data, not the environment: a data kind of exception whose innermost
    frame is the user's code, Beam's wrapper or a pure standard module."""
    if isinstance(error, _ENVIRONMENT):
        return False
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return False
    innermost = frames[-1].filename
    if is_user_file(innermost):
        return True
    module = _module_of(innermost) or ""
    return any(module == pure or module.startswith(pure + ".") for pure in _PURE)


def _module_of(filename: str) -> str | None:
    """The dotted name of the loaded module whose file this is."""
    real = os.path.realpath(filename)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and os.path.realpath(file) == real:
            return name
    return None


def _joined(origins: list[str]) -> str:
    """Where the elements of several sources come from: "from the values of A and B"."""
    prefix = "from a value of "
    if len(origins) > 1 and all(origin.startswith(prefix) for origin in origins):
        labels = [origin.removeprefix(prefix) for origin in origins]
        return f"from the values of {', '.join(labels[:-1])} and {labels[-1]}"
    return " and ".join(origins)


def _origin(known: _Known) -> str:
    """Where an element comes from, as a message says it."""
    return f"made {known.origin}" if known.made else known.origin


class _Run:
    """Runs the steps on the known elements, within the time limit."""

    def __init__(self, pipeline: Any, session_in_main: bool = False) -> None:
        self.session_in_main = session_in_main
        self.readers = shuffles.consumers(pipeline)
        self.deterministic_keys = shuffles.deterministic_keys(pipeline)
        self.raised: list[_Raised] = []
        self.found: list[Diagnostic] = []  # known_shapes' findings (BD335, BD336)
        self.done: set[int] = set()
        self.seen: dict[int, _Known] = {}  # PCollections some of whose elements are known
        self.whole: dict[int, _Known] = {}  # PCollections whose every element is known
        self.waiting: list[tuple[Any, _Known, int]] = []

    def follow(self, pcoll: Any, known: _Known, depth: int = 0) -> None:
        from apache_beam.transforms.core import Flatten, GroupByKey, WindowInto

        if pcoll is None or depth > _FOLLOWED or not known.values:
            return
        self.seen[id(pcoll)] = known
        if known.complete:
            self.whole[id(pcoll)] = known
        for node in self.readers.get(id(pcoll), []):
            if isinstance(node.transform, GroupByKey):
                pairs = known_shapes.dict_into_shuffle(node, pcoll, known.values, known.maker)
                if self.key_refused(node, pcoll, known) or self.shaped(node, pairs):
                    continue
                groups = known_groups.grouped(pcoll, known.values) if known.complete else None
                for out in (node.outputs or {}).values() if groups else ():
                    self.follow(out, known.after_a_step(groups), depth + 1)
                continue
            if isinstance(node.transform, WindowInto | Flatten):
                passed = self.flattened(node, known)
                for out in (node.outputs or {}).values():
                    self.follow(out, passed, depth + 1)
                continue
            shuffled = known_groups.reshuffled(node, pcoll, known.values)
            if shuffled is not None:
                composite, values = shuffled
                passed = known.passed_on(values, known.complete)
                for out in (composite.outputs or {}).values():
                    self.follow(out, passed, depth + 1)
                continue
            if not self.shaped(node, known_shapes.unkeyed_state(node, known.values)):
                self.visit(node, known, depth)

    def key_refused(self, node: Any, pcoll: Any, known: _Known) -> bool:
        """A known element whose key the GroupByKey's deterministic key coder refuses: the
        worker fails at the step that made it."""
        made_by = known.maker or known_groups.producer(pcoll)
        if not self.deterministic_keys:
            return False  # --allow_non_deterministic_key_coders: keys are pickled
        if made_by is None or id(made_by) in self.done or id(node) in self.done:
            return made_by is not None
        label = node.full_label  # as the worker's coder names the step
        refused = known_groups.key_refused(pcoll, known.values, label)
        if refused is None:
            return False
        element, error = refused
        self.done.update((id(made_by), id(node)))
        self.raised.append(_Raised(made_by, element, _origin(known), error, key=label))
        return True

    def shaped(self, node: Any, found: Diagnostic | None) -> bool:
        """Keep known_shapes' finding on the step (BD335, BD339): it is not run further."""
        if found is None or id(node) in self.done:
            return False
        self.done.add(id(node))
        self.found.append(found)
        return True

    def flattened(self, node: Any, known: _Known) -> _Known:
        """What a WindowInto or Flatten passes on: a Flatten of several inputs has the
        elements of the others too, all of them known once every input is (a CoGroupByKey's
        tagged inputs, the user's Flatten of two Creates)."""
        inputs = [self.whole.get(id(pcoll)) for pcoll in node.inputs]
        if len(inputs) == 1 or not all(inputs):
            whole = known.complete and len(inputs) == 1
            return known.passed_on(known.values, whole)
        origins = list(dict.fromkeys(k.origin for k in inputs if k.origin))
        values = [value for k in inputs for value in k.values]
        return _Known(values, _joined(origins), True, any(k.made for k in inputs))

    def visit(self, node: Any, known: _Known, depth: int) -> None:
        """Run one step on its main input's known elements and follow its outputs."""
        if id(node) in self.done:
            return
        if self.singleton_of_many(node, known):
            return
        side = self.side_values(node)
        if side is None:
            self.waiting.append((node, known, depth))  # a side input may be known later
            return
        if not known.origin:  # Beam's own Create: what the step gives is its side input's
            sides = [
                self.whole.get(id(getattr(v, "pvalue", None)))
                for v in known_steps.side_inputs(node)
            ]
            origin = next((k.origin for k in sides if k is not None and k.origin), None)
            if origin is None:
                return
            known = _Known(known.values, origin, known.complete, True)
        call = known_steps.runner(node, side)
        if call is None:
            return
        outputs = self.step(node, call, known)
        if outputs is None:
            return
        for tag, values in outputs.items():
            out = (node.outputs or {}).get(tag)
            if out is None and tag is not None:
                out = (node.outputs or {}).get(str(tag))
            # Beam's own steps (a CoGroupByKey's tagging, a Count's keying) pass on the key
            # the user's step made
            maker = node if known_groups.reported(node) is node else known.maker
            self.follow(out, known.after_a_step(values, maker), depth + 1)

    def singleton_of_many(self, node: Any, known: _Known) -> bool:
        """An AsSingleton side input of the step known to have two elements or more (in the
        global window): the worker fails at the step's first element, with Beam's words."""
        from apache_beam.pvalue import AsSingleton
        from apache_beam.transforms.window import GlobalWindows

        for view in known_steps.side_inputs(node):
            pcoll = getattr(view, "pvalue", None)
            seen = self.seen.get(id(pcoll))
            windowfn = getattr(getattr(pcoll, "windowing", None), "windowfn", None)
            if type(view) is not AsSingleton or seen is None or len(seen.values) < 2:
                continue
            if (
                not isinstance(windowfn, GlobalWindows)
                or known_steps.runner(node, [None] * len(known_steps.side_inputs(node))) is None
            ):
                continue
            try:
                AsSingleton._from_runtime_iterable(list(seen.values), {})
            except ValueError as exc:
                self.done.add(id(node))
                self.raised.append(_Raised(node, known.values[0], _origin(known), exc))
                return True
        return False

    def side_values(self, node: Any) -> list[Any] | None:
        """What the worker passes for each side input of the step, where each is a view of a
        PCollection in the global window whose every element is known here; None when one is
        not (yet) known."""
        from apache_beam.pvalue import AsDict, AsIter, AsList, AsMultiMap, AsSingleton
        from apache_beam.transforms.window import GlobalWindows

        values = []
        for view in known_steps.side_inputs(node):
            pcoll = getattr(view, "pvalue", None)
            known = self.whole.get(id(pcoll))
            windowfn = getattr(getattr(pcoll, "windowing", None), "windowfn", None)
            if known is None or type(view) not in (AsSingleton, AsIter, AsList, AsDict, AsMultiMap):
                return None
            if not isinstance(windowfn, GlobalWindows):
                return None
            options = {}
            if isinstance(view, AsSingleton) and view.default_value is not AsSingleton._NO_DEFAULT:
                options["default"] = view.default_value
            try:  # Beam's own view of the elements (a list: AsIter is read once per element)
                values.append(type(view)._from_runtime_iterable(list(known.values), options))
            except Exception:  # noqa: BLE001 - a view that does not fit: BD317's to say
                return None
        return values

    def resume(self) -> None:
        """Run the steps that waited for a side input known only after them."""
        waiting, self.waiting = self.waiting, []
        for node, known, depth in waiting:
            self.visit(node, known, depth)  # what still waits is not run

    def step(self, node: Any, call: Any, known: _Known) -> dict[Any, list[Any]] | None:
        collected: dict[Any, list[Any]] = {}
        stamps: list[Any] = []
        for element in known.values:
            try:
                with contained(), worker_frames(), worker_main(self.session_in_main):
                    outputs = known_steps.outputs(node, call(element), stamps)
            except Reached:
                return None  # it reaches out: the worker's to run, not the check's
            except Exception as exc:  # noqa: BLE001 - the step's own exception: judged below
                if isinstance(exc, known_steps.NotIterable) or _data_made(exc):
                    self.done.add(id(node))
                    self.raised.append(_Raised(node, element, _origin(known), exc))
                return None
            if outputs is None:
                return None
            for tag, values in outputs.items():
                collected.setdefault(tag, []).extend(values)
        self.stamped(node, known.values[0], stamps)
        # what the coder refuses after one of Beam's own steps was the user's step's output
        # first (said there, or by BD316/BD308)
        ours = known_groups.reported(node) is not node
        refused = None if ours else self.refused(node, collected.get(None, []), known.complete)
        if refused is not None:
            value, error, coder = refused
            self.done.add(id(node))
            self.raised.append(_Raised(node, value, _origin(known), error, coder))
            return None
        return collected

    def stamped(self, node: Any, element: Any, stamps: list[Any]) -> None:
        """Timestamps the step gave its elements in milliseconds, not seconds (BD336)."""
        found = known_shapes.far_timestamp_finding(node, element, stamps, self.readers)
        self.shaped(node, found)

    def refused(self, node: Any, values: list[Any], complete: bool) -> tuple | None:
        """(an output, the worker's error, the coder) where the coder of the step's output
        refuses an output the worker surely puts through it: the size estimate of each of a
        step's first 10 outputs, the encoding of each before a shuffle."""
        from apache_beam.coders import registry
        from apache_beam.transforms.core import GroupByKey
        from apache_beam.typehints import Any as AnyType

        from beam_deps.check.detectors.value_types import estimate_error

        out = (node.outputs or {}).get(None)
        element_type = getattr(out, "element_type", None)
        if out is None or element_type is None or element_type == AnyType or not values:
            return None
        readers = self.readers.get(id(out), [])
        shuffled = any(isinstance(r.transform, GroupByKey) for r in readers)
        if not shuffled and not (complete and len(values) <= 10):
            return None  # the worker estimates the sizes of a sample only
        try:
            coder = registry.get_coder(element_type)
        except Exception:  # noqa: BLE001 - a type no coder is registered for: Beam says so
            return None
        for value in values[:CREATED]:
            error = estimate_error(coder, value)
            if error is not None:
                kind, _, text = error.partition(": ")
                return value, _Refusal(kind, text), coder
        return None


class _Refusal(Exception):
    """A coder's refusal, as the worker's log names it."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


def _error_text(error: BaseException) -> str:
    """The exception as a worker's log shows its last line ("zlib.error: ...")."""
    if isinstance(error, _Refusal):
        return f"{error.kind}: {error}".splitlines()[0]
    if isinstance(error, known_steps.NotIterable):
        return f"TypeError: {error}"
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    text = f"{name}: {error}".strip().rstrip(":")
    # a PCollection the function holds is a placeholder on the worker, which fails on it alike
    return text.splitlines()[0].replace("'PCollection'", "'_InvalidUnpickledPCollection'")


def _step_hint(raised: _Raised) -> str:
    element = raised.element
    if isinstance(element, str) and element.startswith("\ufeff"):
        return (
            "the file starts with a UTF-8 byte-order mark, which stays in the first line: "
            "save it without one, or strip it (line.lstrip('\\ufeff'))"
        )
    if "'PCollection'" in str(raised.error):
        return (
            "the function holds a PCollection, which is only a placeholder on the worker: "
            "pass it as a side input, beam.pvalue.AsList(pcoll) or AsDict(pcoll)"
        )
    if isinstance(raised.error, known_steps.NotIterable):
        return "yield each output, or return a list of them"
    if "module '__main__' has no attribute" in str(raised.error):
        return (
            "a worker's __main__ is Beam's own module, not your script: keep the functions in "
            "a table the code reads (HANDLERS[kind]), or in a module you ship"
        )
    if "singleton view" in str(raised.error):
        return (
            "AsSingleton reads a PCollection of exactly one element: combine it to one first "
            "(CombineGlobally), or pass AsList or AsDict"
        )
    if isinstance(raised.error, RecursionError):
        return (
            f"a worker allows {WORKER_RECURSION} frames, Python's default: make the function "
            "iterative, or raise the limit where it runs (sys.setrecursionlimit in "
            "DoFn.setup())"
        )
    if "PartitionFn" in str(raised.error):
        return "return an index from 0 to num_partitions - 1 for every element"
    if "from a line" in raised.origin:
        return (
            "make the function handle this line: skip a header with skip_header_lines=1, "
            "filter out what it cannot read, or route it to a dead-letter output"
        )
    return "make the function handle this value, or filter it out before the step"


def known_element_diagnostics(pipeline: Any, session_in_main: bool = False) -> list[Diagnostic]:
    """BD330 for each local text input the worker's read fails on; BD329 for each step that
    raises on an element the pipeline provides. ``session_in_main``: the worker loads the
    script's globals into its ``__main__`` (dill's --save_main_session; cloudpickle's saved
    session holds Beam's registries only)."""
    from beam_deps.pipeline.loader import ScriptTimeout, time_limit

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        return []  # no time limit can stop a step that hangs: none is run
    out: list[Diagnostic] = []
    run = _Run(pipeline, session_in_main)

    def read(node: Any, pcoll: Any, path: str, alone: bool) -> None:
        records, error, whole = text_inputs.read(node.transform.source, path)
        if error is None:
            known = _Known(records, f"from a line of {os.path.basename(path)}", alone and whole)
            run.follow(pcoll, known)
        else:
            out.append(text_inputs.read_failure(node, path, error, _error_text(error)))

    try:
        jobs = [(read, found) for found in text_inputs.text_inputs(pipeline)]
        jobs += [(run.follow, found) for found in _created(pipeline)]
    except Exception:  # noqa: BLE001 - a hostile source or pipeline: no finding
        jobs = []
    started = time.monotonic()
    for job, found in jobs[:SOURCES]:
        if time.monotonic() - started > TOTAL:
            break
        try:
            with time_limit(BUDGET):
                job(*found)
        except ScriptTimeout:
            pass  # what did not finish in time is not claimed
        except Exception:  # noqa: BLE001 - a hostile source or pipeline: no finding
            pass
    if time.monotonic() - started <= TOTAL:
        try:
            with time_limit(BUDGET):
                run.resume()
        except ScriptTimeout:
            pass
        except Exception:  # noqa: BLE001 - as above
            pass
    out.extend(run.found)
    for raised in run.raised:
        where = shuffles.where(known_groups.reported(raised.node))
        if raised.key:
            out.append(
                diagnostic(
                    "BD329",
                    f"{where['transform']} makes {shown(raised.element)} ({raised.origin}), "
                    f"whose key the deterministic key coder of {raised.key} refuses: the worker "
                    f'fails with "{_error_text(raised.error)}" (key by a value Beam encodes '
                    "deterministically: a str, a number or a tuple of them, such as "
                    "ts.isoformat() or int(ts.micros) for a timestamp)",
                    path=f"{where['transform']} > {shown(raised.element, 30)}",
                    **where,
                    **{UNLESS_SAID: True, FOR_SHUFFLE: raised.key},
                )
            )
            continue
        if raised.coder is not None:
            out.append(
                diagnostic(
                    "BD329",
                    f"{where['transform']} makes {shown(raised.element)} "
                    f"({raised.origin}), which the coder of its output ({raised.coder}, "
                    f"from the type Beam gives it) refuses: the worker fails with "
                    f'"{_error_text(raised.error)}" (declare the output\'s real type with '
                    ".with_output_types(...), or emit what the coder takes: a number too "
                    "big for 64 bits as text)",
                    path=f"{where['transform']} > {shown(raised.element, 30)}",
                    **where,
                    **{UNLESS_SAID: True},
                )
            )
            continue
        out.append(
            diagnostic(
                "BD329",
                f"{where['transform']} raises on {shown(raised.element)} ({raised.origin}): the "
                f'worker fails at that element with "{_error_text(raised.error)}" '
                f"({_step_hint(raised)})",
                path=f"{where['transform']} > {shown(raised.element, 30)}",
                **where,
                **{UNLESS_SAID: True},
            )
        )
    return out


__all__ = ["known_element_diagnostics"]
