"""What worker code reads (``check.detectors.worker_code``), the same on every Python.

The bytecode differs between versions: before 3.12 a comprehension is its own code object
that reads ``self`` through a cell, from 3.12 it is inlined; 3.13 fuses loads. BD206, BD114
and BD307 all ask ``attribute_chains`` and ``worker_functions``, so this runs in the py310
and py313 tox envs too.
"""

from __future__ import annotations

from beam_deps.check.detectors.worker_code import (
    WorkerFunction,
    attribute_chains,
    closure_value,
    held_object,
    worker_functions,
)


class Base:
    def clean(self, word):
        return word.lower()


class Words(Base):
    limit = 3

    def __init__(self):
        self.seen = {}

    def words(self, line):
        return [self.clean(w) for w in line.split() if len(w) < self.limit]

    def remember(self, word):
        self.seen[word] = True

    def handed_on(self):
        return lambda line: self.words(line)


def _chains(entry):
    return {(kind, tuple(chain), written) for kind, _, chain, written, _ in attribute_chains(entry)}


def test_self_is_read_inside_a_comprehension():
    found = _chains(WorkerFunction(Words.words, Words()))
    assert ("self", ("clean",), False) in found
    assert ("self", ("limit",), False) in found


def test_a_subscript_store_is_a_write():
    assert ("self", ("seen",), True) in _chains(WorkerFunction(Words.remember, Words()))


def test_an_object_in_a_closure_is_followed_into_its_methods():
    words = Words()
    fn = words.handed_on()
    assert _chains(WorkerFunction(fn)) == {("closure", ("words",), False)}
    assert closure_value(fn, "self") is words
    assert held_object(WorkerFunction(fn), "closure", "self") is words
    reached = [(f.function.__qualname__, f.instance) for f in worker_functions(fn)]
    assert [name for name, _ in reached] == [
        "Words.handed_on.<locals>.<lambda>",
        "Words.words",
        "Base.clean",
    ]
    assert reached[1][1] is words  # the method runs with the object the closure holds


def test_init_is_not_worker_code():
    """``__init__`` runs while the pipeline is built: a DoFn's worker code never includes it."""
    import apache_beam as beam

    class Fn(beam.DoFn):
        def __init__(self):
            self.n = 1

        def process(self, x):
            yield x + self.n

    names = [f.function.__name__ for f in worker_functions(Fn())]
    assert names == ["process"]


COUNTS: dict[str, int] = {}


class Shaped(tuple):
    def total(self):
        return sum(self)


def _read_lines(line):
    import json  # first line of the body

    COUNTS.setdefault(line, 0)
    value = json.loads(line)
    return Shaped(value).total() + len(COUNTS)


def _first_line(fn, text):
    """The source line of ``fn`` that holds ``text``."""
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, s in enumerate(lines) if text in s)


def test_the_walker_reads_source_lines_on_every_python():
    """Python 3.13 made ``dis.Instruction.starts_line`` a bool: every line the walker read
    was 1 there (``bytecode.instruction_line`` reads the position first). The line of a
    global read, an import, an attribute read and a mutation must be the one in the source."""
    from beam_deps.pickling import bytecode as walk

    code = _read_lines.__code__
    assert ("json", _first_line(_read_lines, "import json")) in set(walk.imports(code))
    assert ("COUNTS", _first_line(_read_lines, "setdefault")) in set(walk.global_reads(code))
    assert ("total", _first_line(_read_lines, ".total()")) in set(walk.attribute_reads(code))
    mutations = {(n, line) for n, line, _ in walk.global_mutations(code)}
    assert ("COUNTS", _first_line(_read_lines, "setdefault")) in mutations


_SCRIPT = """
class Shaped(tuple):
    def total(self):
        return sum(self)

def summed(values):
    return Shaped(values).total()
"""


def test_one_walk_gives_the_functions_and_the_classes():
    """``walk.reach`` is ``user_functions`` and ``reached_classes`` from one walk (code of
    a module that cannot be imported travels by value: the user's)."""
    from beam_deps.pickling import walk

    namespace: dict = {"__name__": "a_script_nobody_can_import"}
    exec(compile(_SCRIPT, "a_script.py", "exec"), namespace)
    holder = [namespace["summed"], namespace["Shaped"]((1, 2))]
    reached = walk.reach(holder)
    assert [f.__name__ for f in reached.functions] == [
        f.__name__ for f in walk.user_functions(holder)
    ]
    assert reached.classes == walk.reached_classes(holder)
    assert namespace["Shaped"] in reached.classes
    assert {f.__name__ for f in reached.functions} == {"summed", "total"}


_CONSTRUCTION = """
DEFAULT = 3

class Helper:
    def __init__(self):
        self.base = DEFAULT

    def value(self):
        return self.base


class Scale:
    def __init__(self, factor=None):
        self.factor = factor or DEFAULT
        self.helper = Helper()

    @classmethod
    def from_text(cls, text):
        return cls(int(text))

    @classmethod
    def fresh(cls):
        return cls()

    @staticmethod
    def clip(x):
        return min(x, 100)

    def process(self, x):
        yield self.clip(x * self.factor) + self.helper.value()


class Rebuilding(Scale):
    def process(self, x):
        yield self.fresh().factor * x


class Named(Scale):
    def process(self, x):
        yield self.__class__.__name__, x * self.factor


class Copies(Scale):
    def process(self, x):
        yield self.__class__(x).factor
"""


def test_construction_only_code_is_init_and_factories_no_worker_code_names():
    """``walk.construction_only``: ``__init__`` and classmethods/staticmethods that nothing a
    worker runs names. A staticmethod ``process`` calls is worker code; a classmethod it
    calls may build ``cls(...)``, so that class's ``__init__`` is worker code too."""
    from beam_deps.pickling import walk

    namespace: dict = {"__name__": "a_script_nobody_can_import"}
    exec(compile(_CONSTRUCTION, "a_script.py", "exec"), namespace)
    only = walk.construction_only(walk.reach(namespace["Scale"]()))
    assert {f.__qualname__ for f in only} == {
        "Scale.__init__",
        "Scale.from_text",
        "Scale.fresh",
        "Helper.__init__",
    }
    rebuilding = walk.construction_only(walk.reach(namespace["Rebuilding"]()))
    # fresh() builds cls(), whose __init__ builds a Helper: all of it runs on the worker
    assert {f.__qualname__ for f in rebuilding} == {"Scale.from_text"}
    # self.__class__.__name__ (a metric's namespace) builds nothing; self.__class__(x) does
    named = walk.construction_only(walk.reach(namespace["Named"]()))
    assert "Scale.__init__" in {f.__qualname__ for f in named}
    copies = walk.construction_only(walk.reach(namespace["Copies"]()))
    assert "Scale.__init__" not in {f.__qualname__ for f in copies}


def _read(animal, path="default.csv", *, mode="r"):
    return animal, path, mode


class _Lookup:
    def process(self, animal, path, limit=3):
        yield animal, path, limit

    def setup(self, path="setup.csv"):
        self.path = path


def _arguments_of(pardo) -> dict:
    """What ``worker_functions`` says Beam passes each entry point of a ParDo's payload,
    built as Beam pickles it: (fn, args, kwargs, side inputs, windowing)."""
    payload = (pardo.fn, tuple(pardo.args), dict(pardo.kwargs), [], None)
    return {e.function.__name__: e.arguments for e in worker_functions(payload)}


def test_a_steps_extra_arguments_reach_the_parameters_beam_fills():
    import apache_beam as beam

    assert _arguments_of(beam.Map(_read, path="lookup.csv")) == {
        "_read": {"path": "lookup.csv", "mode": "r"}
    }
    assert _arguments_of(beam.Map(_read, "lookup.csv"))["_read"]["path"] == "lookup.csv"
    assert _arguments_of(beam.Map(_read))["_read"]["path"] == "default.csv"  # its default
    assert _arguments_of(beam.Filter(_read, "f.csv"))["_read"]["path"] == "f.csv"


def test_a_dofns_extra_arguments_go_to_process_only():
    import apache_beam as beam

    found = _arguments_of(beam.ParDo(_as_dofn(), "lookup.csv"))
    assert found["process"] == {"path": "lookup.csv", "limit": 3}
    assert found["setup"] == {"path": "setup.csv"}  # Beam calls setup() without arguments


def test_maptuple_binds_only_what_is_certain():
    """MapTuple calls fn(*element, *args): which parameter an extra positional argument
    fills depends on the element's length, so only keyword arguments are bound."""
    import apache_beam as beam

    assert _arguments_of(beam.MapTuple(_read, "x.csv"))["_read"] == {"mode": "r"}
    assert _arguments_of(beam.MapTuple(_read, mode="rb"))["_read"] == {"mode": "rb"}


def test_arguments_that_do_not_fit_the_function_say_nothing():
    import apache_beam as beam

    assert _arguments_of(beam.Map(_read, "a", "b"))["_read"] == {}


def _as_dofn():
    import apache_beam as beam

    return type("Lookup", (_Lookup, beam.DoFn), {})()
