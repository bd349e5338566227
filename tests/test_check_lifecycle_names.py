"""What BD324 (a lifecycle method under another spelling) claims, and what it leaves alone.
The real runs are elements_setup_misspelled*.py in tests/test_accuracy_elements.py; these
build pipelines (never run) and ask."""

from __future__ import annotations

import apache_beam as beam
import pytest

from beam_deps.check.detectors.lifecycle_names import lifecycle_name_diagnostics


class SetUp(beam.DoFn):
    def setUp(self):  # noqa: N802
        self.table = {}

    def process(self, x):
        yield self.table.get(x)


class StartBundle(beam.DoFn):
    def startBundle(self):  # noqa: N802
        self.batch = []

    def process(self, x):
        self.batch.append(x)
        yield x


class TearDown(beam.DoFn):
    def setup(self):
        self.client = object()

    def tearDown(self):  # noqa: N802 - closes nothing: never called
        self.client = None

    def process(self, x):
        yield x


class Both(beam.DoFn):
    def setup(self):
        self.table = {}

    def setUp(self):  # noqa: N802 - a helper; the real one exists
        self.other = 1

    def process(self, x):
        yield self.table.get(x)


class CalledHelper(beam.DoFn):
    def start_bundle(self):
        self.set_up()

    def set_up(self):
        self.batch = []

    def process(self, x):
        yield x


class SetInInit(beam.DoFn):
    def __init__(self):
        self.table = {}

    def setUp(self):  # noqa: N802
        self.table = {"a": 1}

    def process(self, x):
        yield self.table.get(x)


class Base(beam.DoFn):
    def setup(self):
        self.table = {}


class Inherits(Base):
    def setUp(self):  # noqa: N802 - the base's setup runs
        self.more = 1

    def process(self, x):
        yield self.table.get(x)


class LazyHelper(beam.DoFn):
    def _setup(self):  # a private helper, called through a property
        self._table = {}

    @property
    def table(self):
        if not hasattr(self, "_table"):
            self._setup()
        return self._table

    def process(self, x):
        yield self.table.get(x)


class Capital(beam.DoFn):
    def Process(self, x):  # noqa: N802 - Beam calls process
        yield x


def _found(fn) -> list:
    p = beam.Pipeline()
    p | beam.Create([1]) | beam.ParDo(fn)
    return lifecycle_name_diagnostics(p)


@pytest.mark.parametrize(
    "fn, severity, words",
    [
        (SetUp(), "error", "'SetUp' object has no attribute 'table'"),
        (StartBundle(), "error", "Beam calls start_bundle()"),
        (TearDown(), "warning", "never runs"),
        (SetInInit(), "warning", "never runs"),  # __init__ sets it: no AttributeError
        (Capital(), "warning", "Beam calls process()"),
    ],
    ids=["setUp", "startBundle", "tearDown", "set-in-init", "Process"],
)
def test_reported(fn, severity, words):
    (d,) = _found(fn)
    assert d.code == "BD324" and d.severity.value == severity and words in d.message


@pytest.mark.parametrize(
    "fn",
    [Both(), CalledHelper(), Inherits(), LazyHelper()],
    ids=["both", "helper", "base", "private-helper"],
)
def test_not_reported(fn):
    assert _found(fn) == []


class ReadUsers(beam.PTransform):
    """oppia/oppia#24934: a PTransform's setup(), which Beam never calls."""

    def __init__(self):
        super().__init__()
        self._app = None

    def setup(self):
        self._app = {"users": ["ann"]}

    def _users(self, unused):
        yield from self._app["users"]

    def expand(self, pbegin):
        return pbegin | beam.Create([None]) | beam.FlatMap(self._users)


class ReadUsersSetUpFirst(ReadUsers):
    def expand(self, pbegin):
        self.setup()  # runs while the pipeline is built: the app is pickled with it
        return pbegin | beam.Create([None]) | beam.FlatMap(self._users)


class Cleans(beam.PTransform):
    def teardown(self):
        print("done")

    def _clean(self, x):
        return x

    def expand(self, pcoll):
        return pcoll | beam.Map(self._clean)


def _built(transform) -> list:
    p = beam.Pipeline()
    p | transform
    return lifecycle_name_diagnostics(p)


def test_a_lifecycle_method_of_a_class_that_is_not_a_dofn():
    (d,) = _built(ReadUsers())
    assert d.code == "BD324" and d.severity.value == "error"
    assert "Beam calls setup() on a DoFn only" in d.message and "self._app" in d.message
    (d,) = _built(beam.Create([1]) | Cleans())
    assert d.severity.value == "warning" and "never runs" in d.message
    assert _built(ReadUsersSetUpFirst()) == []
    called = ReadUsers()
    called.setup()  # by the script, before the pipeline runs: what it set is pickled
    assert _built(called) == []


class ReadUsersNoInit(beam.PTransform):
    def setup(self):
        self._app = {"users": ["ann"]}

    def _users(self, unused):
        yield from self._app["users"]

    def expand(self, pbegin):
        return pbegin | beam.Create([None]) | beam.FlatMap(self._users)


def test_what_the_worker_raises_without_setup():
    (d,) = _built(ReadUsers())
    assert "'NoneType' object is not subscriptable" in d.message
    (d,) = _built(ReadUsersNoInit())
    assert "'ReadUsersNoInit' object has no attribute '_app'" in d.message


class NoProcess(beam.DoFn):
    def transform(self, x):
        yield x


class WithProcess(NoProcess):
    def process(self, x):
        yield from self.transform(x)


def test_a_dofn_without_process():
    """BD324 where Beam would call DoFn's own process (NotImplementedError on the worker);
    nothing for a subclass that adds one."""
    p = beam.Pipeline()
    words = p | beam.Create(["a"])
    words | "None" >> beam.ParDo(NoProcess())
    words | "With" >> beam.ParDo(WithProcess())
    found = [d for d in lifecycle_name_diagnostics(p) if d.code == "BD324"]
    assert [d.transform for d in found] == ["None"]
    assert "its code is in transform" in found[0].message
