"""What BD329 (a first step raises on the pipeline's own elements) and BD330 (a local text
input the worker's read fails on) claim, and what they leave alone. The real runs are
elements_header_line*.py, elements_partition_range*.py, elements_gz_plain*.py and
elements_latin1_input*.py in tests/test_accuracy_elements.py; these build pipelines (never
run) and ask."""

from __future__ import annotations

import gzip
import json
import os
import time
import typing

import apache_beam as beam
import pytest

from beam_deps.check.detectors.known_elements import known_element_diagnostics


def _ask(make: typing.Callable) -> list:
    p = beam.Pipeline()
    make(p)
    return known_element_diagnostics(p)


def _codes(make: typing.Callable) -> list[str]:
    return [d.code for d in _ask(make)]


def to_int(line):
    return int(line.split(",")[0])


def reads_a_missing_file(x):
    with open("/nonexistent/lookup.csv") as handle:
        return handle.read() + x


def writes_a_file(path):
    def write(x):
        with open(path, "a") as handle:
            handle.write(x)
        return int(x)

    return write


def sleeps(x):
    time.sleep(10)
    return int(x)


def with_timestamp(x, ts=beam.DoFn.TimestampParam):
    return int(ts.micros) + int(x)


class MergesBadly(beam.CombineFn):
    def create_accumulator(self):
        return 0

    def add_input(self, total, value):
        return total + value

    def merge_accumulators(self, totals):
        return sum(totals) / len(totals[2:])  # two accumulators: ZeroDivisionError

    def extract_output(self, total):
        return total


@pytest.mark.parametrize(
    "make, found",
    [
        (lambda p: p | beam.Create(["1", "x"]) | beam.Map(int), "invalid literal"),  # builtin
        (lambda p: p | beam.Create(["{"]) | beam.Map(json.loads), "JSONDecodeError"),
        (lambda p: p | beam.Create(["x"]) | beam.Map(print), None),  # not one that reads only
        (lambda p: p | beam.Create(["1", "x"]) | beam.Map(to_int), "invalid literal"),
        (lambda p: p | beam.Create([b"a"]) | beam.Map(lambda s: s.encode()), "no attribute"),
        (lambda p: p | beam.Create([{"a": 1}]) | beam.Map(lambda d: d["b"]), "KeyError: 'b'"),
        (lambda p: p | beam.Create(["{"]) | beam.Map(lambda s: json.loads(s)), "JSONDecodeError"),
        (
            lambda p: (
                p | beam.Create([("a", 1), ("b", 0)]) | beam.MapTuple(lambda k, v: (k, 1 / v))
            ),
            "ZeroDivisionError",
        ),
        (
            lambda p: p | beam.Create(["a,1"]) | beam.FlatMap(lambda s: [int(f) for f in s]),
            "invalid literal",
        ),
        (  # through a Filter that keeps it, a WindowInto and a Map
            lambda p: (
                p
                | beam.Create(["1", "x"])
                | beam.Filter(lambda s: s != "")
                | beam.WindowInto(beam.window.GlobalWindows())
                | beam.Map(lambda s: s.strip())
                | "parse" >> beam.Map(lambda s: int(s))
            ),
            "invalid literal",
        ),
        (  # a Filter that drops the bad element first
            lambda p: (
                p | beam.Create(["1", "x"]) | beam.Filter(str.isdigit) | beam.Map(lambda s: int(s))
            ),
            None,
        ),
        (lambda p: p | beam.Create([1, 7]) | beam.Partition(lambda e, n: e % 4, 3), "3 not in"),
        (lambda p: p | beam.Create([1, 7]) | beam.Partition(lambda e, n: e % n, 3), None),
        (  # a side input whose every element is known: the worker's view of it
            lambda p: (
                p
                | beam.Create(["1"])
                | beam.Map(
                    lambda s, d: d[s], d=beam.pvalue.AsDict(p | "d" >> beam.Create([("2", 2)]))
                )
            ),
            "KeyError: '1'",
        ),
        (  # a Filter against a side input keeps the bad element, which a later step meets
            lambda p: (
                p
                | beam.Create(["1", "x", "9"])
                | beam.Filter(
                    lambda v, bad: v not in bad,
                    beam.pvalue.AsList(p | "banned" >> beam.Create(["9"])),
                )
                | beam.Map(int)
            ),
            "invalid literal",
        ),
        (  # ... or drops it: nothing to say
            lambda p: (
                p
                | beam.Create(["1", "x"])
                | beam.Filter(
                    lambda v, bad: v not in bad,
                    beam.pvalue.AsIter(p | "banned" >> beam.Create(["x"])),
                )
                | beam.Map(int)
            ),
            None,
        ),
        (  # a singleton made by a step run here, read by a step that comes first in the graph
            lambda p: (
                p
                | beam.Create([4, 0])
                | beam.Map(
                    lambda v, total: total / v,
                    beam.pvalue.AsSingleton(p | "t" >> beam.Create(["12"]) | "n" >> beam.Map(int)),
                )
            ),
            "ZeroDivisionError",
        ),
        (  # through a shuffle: the worker's groups, keyed by the encoded key
            lambda p: (
                p
                | beam.Create([("a", 1), ("b", 0)])
                | beam.GroupByKey()
                | beam.MapTuple(lambda k, vs: 10 / sum(vs))
            ),
            "ZeroDivisionError",
        ),
        (  # 1 and 1.0 encode apart: two groups of one value each
            lambda p: (
                p
                | beam.Create([(1, "x"), (1.0, "y")])
                | beam.GroupByKey()
                | beam.MapTuple(lambda k, vs: vs[1])
            ),
            "IndexError",
        ),
        (  # a combine of Beam's on values one of which is text
            lambda p: p | beam.Create([("a", 1), ("a", "2")]) | beam.CombinePerKey(sum),
            "unsupported operand",
        ),
        (  # the step after a CombineGlobally gets its result
            lambda p: (
                p | beam.Create([1, 2]) | beam.CombineGlobally(sum) | beam.Map(lambda t: t["n"])
            ),
            "not subscriptable",
        ),
        (  # Count.PerElement's pairs
            lambda p: (
                p
                | beam.Create(["a", "b", "a"])
                | beam.combiners.Count.PerElement()
                | beam.MapTuple(lambda word, n: word + n)
            ),
            "can only concatenate",
        ),
        (  # a CombineFn of the user's, run as Beam runs it (three accumulators, a merge)
            lambda p: p | beam.Create([("a", 1), ("a", 2)]) | beam.CombinePerKey(MergesBadly()),
            "ZeroDivisionError",
        ),
        (  # AsSingleton of a PCollection of several elements: Beam's own refusal
            lambda p: (
                p
                | beam.Create(["a"])
                | beam.Map(
                    lambda s, top: s * top,
                    top=beam.pvalue.AsSingleton(
                        p | "rows" >> beam.Create([("us", 3), ("eu", 2)]) | beam.CombinePerKey(max)
                    ),
                )
            ),
            "more than one element accessed as a singleton view",
        ),
        (  # ... of exactly one: fine
            lambda p: (
                p
                | beam.Create(["a"])
                | beam.Map(
                    lambda s, top: s * top,
                    top=beam.pvalue.AsSingleton(
                        p | "rows" >> beam.Create([3, 2]) | beam.CombineGlobally(max)
                    ),
                )
            ),
            None,
        ),
        (  # all is well after the shuffle
            lambda p: (
                p
                | beam.Create([("a", 1), ("a", 2)])
                | beam.CombinePerKey(sum)
                | beam.MapTuple(lambda k, total: f"{k}={total / 3}")
            ),
            None,
        ),
        (  # a join whose one side lacks a key: the other side's tags, a Flatten, the shuffle
            lambda p: (
                {
                    "a": p | "a" >> beam.Create([("k", 1), ("j", 2)]),
                    "b": p | "b" >> beam.Create([("k", "x")]),
                }
                | beam.CoGroupByKey()
                | beam.MapTuple(lambda key, d: d["b"][0])
            ),
            "IndexError: list index out of range",
        ),
        (  # every key on both sides: the join runs
            lambda p: (
                (p | "a" >> beam.Create([("k", 1)]), p | "b" >> beam.Create([("k", "x")]))
                | beam.CoGroupByKey()
                | beam.MapTuple(lambda key, d: d[1][0])
            ),
            None,
        ),
        (  # the user's Flatten of two Creates, grouped
            lambda p: (
                (p | "a" >> beam.Create([("k", 1)]), p | "b" >> beam.Create([("k", "2")]))
                | beam.Flatten()
                | beam.GroupByKey()
                | beam.MapTuple(lambda k, vs: sum(vs))
            ),
            "unsupported operand",
        ),
        (
            lambda p: p | beam.Create(["1", "x"]) | beam.Reshuffle() | beam.Map(int),
            "invalid literal",
        ),
        (  # a key the deterministic key coder refuses: said at the step that made it
            lambda p: (
                p
                | beam.Create(["a"])
                | beam.Map(lambda s: (beam.utils.timestamp.Timestamp.now(), s))
                | beam.GroupByKey()
            ),
            "Unable to deterministically encode 'Timestamp(",
        ),
        (  # the same time as a number: encoded
            lambda p: (
                p
                | beam.Create(["a"])
                | beam.Map(lambda s: (beam.utils.timestamp.Timestamp.now().micros, s))
                | beam.GroupByKey()
            ),
            None,
        ),
    ],
    ids=[
        "builtin",
        "json-builtin",
        "print",
        "int",
        "bytes",
        "key",
        "json",
        "maptuple",
        "flatmap",
        "chain",
        "filtered",
        "partition",
        "partition-ok",
        "side-input-dict",
        "side-input-filter-keeps",
        "side-input-filter-drops",
        "side-input-singleton-later",
        "grouped",
        "grouped-by-encoded-key",
        "combined-text",
        "combined-globally",
        "counted",
        "combinefn-merge",
        "singleton-of-many",
        "singleton-of-one",
        "combined-fine",
        "cogrouped",
        "cogrouped-fine",
        "flattened-grouped",
        "reshuffled",
        "key-refused",
        "key-encoded",
    ],
)
def test_steps_run_on_created_values(make, found):
    diagnostics = _ask(make)
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD329" and found in d.message and d.fix, d


@pytest.mark.parametrize(
    "make",
    [
        # what an environment makes: a worker may have the file, network or package
        lambda p: p | beam.Create(["a"]) | beam.Map(reads_a_missing_file),
        lambda p: p | beam.Create(["a"]) | beam.Map(lambda s: __import__("no_such_module_xyz")),
        lambda p: p | beam.Create(["a"]) | beam.Map(lambda s: undefined_name),  # noqa: F821
        # Beam fills the parameter: a plain call cannot
        lambda p: p | beam.Create(["1"]) | beam.Map(with_timestamp),
        # a side input made by a shuffle of elements not all known: its value is the job's
        lambda p: (
            p
            | beam.Create(["1"])
            | beam.Map(
                lambda s, d: d[s],
                d=beam.pvalue.AsDict(
                    p | "d" >> beam.Create([("2", 2)] * 101) | beam.CombinePerKey(sum)
                ),
            )
        ),
        # a side input in windows: each element sees its own window's part
        lambda p: (
            p
            | beam.Create(["1"])
            | beam.Map(
                lambda s, d: d[s],
                d=beam.pvalue.AsDict(
                    p
                    | "d" >> beam.Create([("2", 2)])
                    | beam.WindowInto(beam.window.FixedWindows(60))
                ),
            )
        ),
        # the exception is handled by Beam
        lambda p: p | beam.Create(["x"]) | beam.Map(lambda s: int(s)).with_exception_handling(),
        # a DoFn whose setup makes what process reads: the worker's
        lambda p: p | beam.Create(["x"]) | beam.ParDo(ParsesAfterSetup()),
        # after a shuffle of elements not all known
        lambda p: (
            p
            | beam.Create([("a", "x")] * 101)
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, v: int(k))
        ),
        # after a shuffle whose coder changes the value (a tuple declared a List comes back a
        # list): not followed
        lambda p: (
            p
            | beam.Create([("a", (1, 2))]).with_output_types(typing.Tuple[str, typing.List[int]])  # noqa: UP006
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, vs: int(k))
        ),
        # a CombineFn of the user's whose setup makes what it reads: the worker's
        lambda p: p | beam.Create([("a", "x")]) | beam.CombinePerKey(ParsesAfterSetupFn()),
        # a Flatten with an input not all known: nor is what it gives a shuffle
        lambda p: (
            (p | "a" >> beam.Create([("x", 1)]), p | "b" >> beam.Create([("y", 2)] * 101))
            | beam.Flatten()
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, vs: int(k))
        ),
        # a Reshuffle whose coder changes the value (a tuple declared a List): not followed
        lambda p: (
            p
            | beam.Create([(1, 2)]).with_output_types(typing.List[int])  # noqa: UP006
            | beam.Reshuffle()
            | beam.Map(lambda v: v + (3,))
        ),
    ],
    ids=[
        "oserror",
        "import",
        "name",
        "beam-param",
        "side-input-shuffled",
        "side-input-windowed",
        "handled",
        "dofn",
        "shuffle-partly-known",
        "shuffle-changes",
        "combinefn-setup",
        "flatten-partly-known",
        "reshuffle-changes",
    ],
)
def test_left_alone(make):
    assert _codes(make) == []


class ParsesAfterSetupFn(beam.CombineFn):
    def setup(self):
        self.base = 10

    def create_accumulator(self):
        return 0

    def add_input(self, total, value):
        return total + int(value, self.base)

    def merge_accumulators(self, totals):
        return sum(totals)

    def extract_output(self, total):
        return total


class ParsesAfterSetup(beam.DoFn):
    def setup(self):
        self.base = 10

    def process(self, element):
        yield int(element, self.base)


class Parses(beam.DoFn):
    def __init__(self, base):
        self.base = base
        self.seen = 0

    def process(self, element):
        self.seen += 1
        yield int(element, self.base)


def test_a_key_the_user_allows_to_be_pickled_is_no_refusal():
    """--allow_non_deterministic_key_coders: the worker pickles a Timestamp key and the job
    runs (seen on isolated workers with elements_timestamp_key.py)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    p = beam.Pipeline(options=PipelineOptions(["--allow_non_deterministic_key_coders"]))
    (
        p
        | beam.Create(["a"])
        | beam.Map(lambda s: (beam.utils.timestamp.Timestamp.now(), s))
        | beam.GroupByKey()
    )
    assert known_element_diagnostics(p) == []


def test_a_dofn_made_by_its_constructor_alone_runs_on_a_copy():
    fn = Parses(10)
    (d,) = _ask(lambda p: p | beam.Create(["1", "x"]) | beam.ParDo(fn) | beam.Map(str))
    assert d.code == "BD329" and "invalid literal" in d.message
    assert fn.seen == 0  # the pipeline's own instance is untouched
    assert _codes(lambda p: p | beam.Create(["1", "2"]) | beam.ParDo(Parses(10))) == []


def test_one_value_where_beam_iterates_is_not_followed():
    # a FlatMap returning a str: BD314's; its characters are not run through the next step
    assert (
        _codes(lambda p: p | beam.Create(["ab"]) | beam.FlatMap(lambda s: s) | beam.Map(int)) == []
    )


def test_a_step_that_writes_or_hangs_is_not_run_to_its_end(tmp_path):
    target = tmp_path / "written.txt"
    assert _codes(lambda p: p | beam.Create(["x"]) | beam.Map(writes_a_file(str(target)))) == []
    assert not target.exists()  # the write was stopped before it happened
    started = time.monotonic()
    assert _codes(lambda p: p | beam.Create(["x"]) | beam.Map(sleeps)) == []
    assert time.monotonic() - started < 8  # stopped at the time limit, not claimed


def test_printing_steps_leave_stdout_alone(capsys):
    _ask(lambda p: p | beam.Create(["x"]) | beam.Map(lambda s: print("hello") or int(s)))
    captured = capsys.readouterr()
    assert "hello" not in captured.out and "hello" in captured.err


@pytest.mark.parametrize(
    "name, content, found",
    [
        ("plain.txt.gz", b"cat\n", "incorrect header check"),
        ("packed.txt", gzip.compress(b"cat\n"), "compressed under a name without .gz"),
        ("latin.csv", "café\n".encode("latin-1"), "not UTF-8"),
        ("good.txt.gz", gzip.compress(b"cat\n"), None),
        ("good.csv", "café\n".encode(), None),
    ],
)
def test_text_inputs_read_as_the_worker_reads_them(tmp_path, name, content, found):
    path = tmp_path / name
    path.write_bytes(content)
    diagnostics = _ask(lambda p: p | beam.io.ReadFromText(str(path)))
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD330" and found in d.message and str(path) in d.message, d


def test_steps_run_on_the_first_lines_of_a_local_file(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("\ufeff1,5\n2,7\n", encoding="utf-8")
    (d,) = _ask(lambda p: p | beam.io.ReadFromText(str(path)) | beam.Map(to_int))
    assert d.code == "BD329" and "'\\ufeff1'" in d.message and "byte-order mark" in d.message
    path.write_text("id,amount\n1,5\n")
    (d,) = _ask(lambda p: p | beam.io.ReadFromText(str(path)) | beam.Map(to_int))
    assert "'id'" in d.message and "skip_header_lines=1" in d.message
    assert (
        _ask(lambda p: p | beam.io.ReadFromText(str(path), skip_header_lines=1) | beam.Map(to_int))
        == []
    )


def test_a_bad_record_deep_in_a_file_is_met(tmp_path):
    """Users' files put the odd record anywhere: the first 1000 records are run."""
    path = tmp_path / "readings.txt"
    lines = [str(i) for i in range(1200)]
    lines[900] = "n/a"
    path.write_text("\n".join(lines) + "\n")
    (d,) = _ask(lambda p: p | beam.io.ReadFromText(str(path)) | beam.Map(int))
    assert d.code == "BD329" and "'n/a'" in d.message
    lines[900], lines[1100] = "900", "n/a"  # past the records run: not claimed
    path.write_text("\n".join(lines) + "\n")
    assert _ask(lambda p: p | beam.io.ReadFromText(str(path)) | beam.Map(int)) == []


def test_a_whole_single_file_is_all_the_elements(tmp_path):
    """Three lines read whole: every output's size is estimated by the worker, shuffle or
    not; two files: the other's lines are elements too, so the sample may not hold it."""
    path = tmp_path / "ids.txt"
    path.write_text("12345678901234567890123\n7\n8\n")
    # the type declared, not annotated: this module's annotations are strings, which Beam
    # 2.61 does not read (its worker then picks a coder that takes any int)
    (d,) = _ask(
        lambda p: p | beam.io.ReadFromText(str(path)) | beam.Map(to_big).with_output_types(int)
    )
    assert "VarIntCoder" in d.message
    (tmp_path / "more.txt").write_text("9\n")
    pattern = str(tmp_path / "*.txt")
    assert (
        _codes(
            lambda p: p | beam.io.ReadFromText(pattern) | beam.Map(to_big).with_output_types(int)
        )
        == []
    )


def to_big(line):
    return int(line)


def test_a_pattern_of_another_file_system_is_not_read():
    assert _codes(lambda p: p | beam.io.ReadFromText("gs://bucket/x.txt.gz", validate=False)) == []


def test_the_audit_hook_is_off_outside_the_check(tmp_path):
    _ask(lambda p: p | beam.Create(["x"]) | beam.Map(writes_a_file(str(tmp_path / "a"))))
    (tmp_path / "b").write_text("after the check, writes are the user's again")
    os.remove(tmp_path / "b")


def test_a_call_that_does_not_bind_is_said_once():
    """BD323 names the parameter left without a value; BD329, which proves it by running,
    goes where BD323's error is on the step, and says what BD323 does not claim."""
    from beam_deps.check.detectors.call_arity import call_arity_diagnostics
    from beam_deps.check.postprocess import merged

    p = beam.Pipeline()
    p | beam.Create([("a", 1)]) | beam.Map(lambda k, v: k)
    both = call_arity_diagnostics(p) + known_element_diagnostics(p)
    assert [d.code for d in merged(both)] == ["BD323"]
    # MapTuple over triples with a two-parameter function: "takes 2 positional arguments"
    (d,) = _ask(lambda p: p | beam.Create([("a", 1, 2)]) | beam.MapTuple(lambda k, v: k))
    assert d.code == "BD329" and "takes 2 positional arguments but 3 were given" in d.message


class ReturnsACount(beam.DoFn):
    def process(self, element):
        return len(element)


def test_a_result_beam_cannot_iterate():
    (d,) = _ask(lambda p: p | beam.Create(["ab"]) | beam.ParDo(ReturnsACount()))
    assert d.code == "BD329" and "TypeError: 'int' object is not iterable" in d.message


def test_an_element_made_by_earlier_steps_says_so():
    (d,) = _ask(
        lambda p: p | beam.Create(["9"]) | beam.FlatMap(lambda s: [s, "x"]) | beam.Map(to_int)
    )
    assert "(made from a value of Create)" in d.message


def to_id(hex_id):
    return int(hex_id, 16), 1


BIG = ["ffffffffffffff01", "07"]


@pytest.mark.parametrize(
    "make, found",
    [
        (lambda p: p | beam.Create(BIG) | beam.Map(to_id) | beam.GroupByKey(), "VarIntCoder"),
        (lambda p: p | beam.Create(BIG) | beam.Map(to_id), "VarIntCoder"),  # all estimated
        (  # a sample of 30 outputs without a shuffle: the worker may not estimate this one
            lambda p: p | beam.Create(BIG + ["01"] * 28) | beam.Map(to_id),
            None,
        ),
        (  # typed as Any: a coder that takes any int
            lambda p: (
                p
                | beam.Create(BIG)
                | beam.Map(to_id).with_output_types(typing.Any)
                | beam.GroupByKey()
            ),
            None,
        ),
        (
            lambda p: (
                p | beam.Create(BIG) | beam.Map(lambda s: (str(int(s, 16)), 1)) | beam.GroupByKey()
            ),
            None,
        ),
        (  # flattened with another input: the elements here are not all of them
            lambda p: (
                (p | beam.Create(BIG), p | "more" >> beam.Create(["01"] * 30))
                | beam.Flatten()
                | beam.Map(to_id)
            ),
            None,
        ),
        (  # a Flatten of one input keeps them all
            lambda p: (p | beam.Create(BIG),) | beam.Flatten() | beam.Map(to_id),
            "VarIntCoder",
        ),
    ],
    ids=["shuffled", "few", "sampled", "any", "as-text", "flattened", "flatten-one"],
)
def test_outputs_the_coder_of_their_type_refuses(make, found):
    diagnostics = _ask(make)
    if found is None:
        assert diagnostics == []
    else:
        (d,) = diagnostics
        assert d.code == "BD329" and found in d.message and "OverflowError" in d.message, d


def test_a_pcollection_read_as_a_value_fails_as_the_workers_placeholder():
    def make(p):
        allowed = p | "allowed" >> beam.Create(["a"])
        return p | beam.Create(["a"]) | beam.Filter(lambda e, s=allowed: e in s)

    (d,) = _ask(make)
    assert "argument of type '_InvalidUnpickledPCollection' is not iterable" in d.message
    assert "side input" in d.message


def test_a_run_that_proves_what_another_error_explains_is_said_once():
    """BD329 goes where another error is on its step (the rule naming the cause says it), and
    stays where the other finding is a warning."""
    from beam_deps.catalogue import diagnostic
    from beam_deps.check.postprocess import UNLESS_SAID, merged

    ran = diagnostic("BD329", "ran", path="Key > b'x'", transform="Key", **{UNLESS_SAID: True})
    cause = diagnostic("BD308", "bytes under str", path="Key > [0]", transform="Key")
    assert merged([cause, ran]) == [cause]
    hint = diagnostic("BD308", "maybe None", path="Key > [1]", transform="Key", severity="warning")
    elsewhere = diagnostic("BD305", "a function", path="Other > f", transform="Other")
    ran = diagnostic("BD329", "ran", path="Key > b'x'", transform="Key", **{UNLESS_SAID: True})
    assert merged([hint, elsewhere, ran]) == [hint, elsewhere, ran]
    assert UNLESS_SAID not in ran.extra


def _depth(n):
    return 0 if n == 0 else 1 + _depth(n - 1)


def test_recursion_deeper_than_a_workers_limit():
    """A script that raises its own limit at launch (sys.setrecursionlimit(10000)) recurses
    fine here; a worker is a fresh interpreter with Python's 1000 frames."""
    import sys

    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(10000)
    try:
        (d,) = _ask(lambda p: p | beam.Create([10, 3000]) | beam.Map(_depth))
        assert d.code == "BD329" and "RecursionError" in d.message and "3000" in d.message
        assert _ask(lambda p: p | beam.Create([10, 500]) | beam.Map(_depth)) == []
        assert sys.getrecursionlimit() == 10000  # the script's own limit is left as it was
    finally:
        sys.setrecursionlimit(saved)


def _handle_ok(event):
    return f"ok:{event}"


def _dispatch(event):
    import sys

    return getattr(sys.modules["__main__"], "handle_" + event)(event)


def test_a_lookup_in_the_scripts_main_module_meets_the_workers(monkeypatch):
    """Without dill's saved main session a worker's ``__main__`` is Beam's worker module: a
    step that looks the script's functions up there by name fails (m24 f53)."""
    import sys

    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "handle_ok", _handle_ok, raising=False)  # as the script has it
    p = beam.Pipeline()
    p | beam.Create(["ok"]) | beam.Map(_dispatch)
    (d,) = known_element_diagnostics(p)
    assert d.code == "BD329"
    assert "module '__main__' has no attribute 'handle_ok'" in d.message
    assert sys.modules["__main__"] is main  # put back
    p = beam.Pipeline()
    p | beam.Create(["ok"]) | beam.Map(_dispatch)
    assert known_element_diagnostics(p, session_in_main=True) == []  # dill's session has it
