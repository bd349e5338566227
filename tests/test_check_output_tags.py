"""What BD333 (TaggedOutput to a tag the ParDo does not declare) claims and what it never
claims. The real runs are tests/examples/elements_output_tag_undeclared*.py in
test_accuracy_elements.py; these build pipelines (never run)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue

from beam_deps.check.detectors.output_tags import output_tag_diagnostics

BAD = "bad"


class Tags:
    SKIPPED = "skipped"


class Constant(beam.DoFn):
    def process(self, x):
        if x:
            yield pvalue.TaggedOutput("invalid", x)
        else:
            yield x


class FromSelf(beam.DoFn):
    def __init__(self, tag):
        self.tag = tag

    def process(self, x):
        yield pvalue.TaggedOutput(self.tag, x)


class FromGlobals(beam.DoFn):
    def process(self, x):
        yield pvalue.TaggedOutput(BAD, x)
        yield beam.pvalue.TaggedOutput(Tags.SKIPPED, x)


class Computed(beam.DoFn):
    def process(self, x):
        yield pvalue.TaggedOutput(f"type_{type(x).__name__}", x)


class ThroughHelper(beam.DoFn):
    def more(self, x):
        yield pvalue.TaggedOutput("invalid_rows", x)

    def process(self, x):
        yield pvalue.TaggedOutput("invalid", x)
        yield from self.more(x)


class ReturnsAList(beam.DoFn):
    def process(self, x):
        return [x, pvalue.TaggedOutput("invalid", x)]


class InFinishBundle(beam.DoFn):
    def process(self, x):
        yield x

    def finish_bundle(self):
        yield pvalue.TaggedOutput("stats", beam.transforms.window.GlobalWindows.windowed_value(1))


class BoundFirst(beam.DoFn):
    def process(self, x):
        out = pvalue.TaggedOutput("errors", x)
        yield out
        yield pvalue.TaggedOutput("debug", x)


class FromHelper(beam.DoFn):
    def route(self, x):
        return pvalue.TaggedOutput("errors", x)

    def process(self, x):
        yield self.route(x)
        yield pvalue.TaggedOutput("debug", x)


class ToTheMainName(beam.DoFn):
    def process(self, x):
        yield pvalue.TaggedOutput("valid", x)


def split(x):
    yield pvalue.TaggedOutput("odd" if x % 2 else "even", x)
    yield pvalue.TaggedOutput("odd", x)


def _found(step, read: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    p = beam.Pipeline()
    results = p | beam.Create([1]) | step
    for tag in read:
        _ = results[tag] | f"Read {tag}" >> beam.Map(print)
    return [(d.code, d.severity.value) for d in output_tag_diagnostics(p)]


def test_a_tag_spelled_otherwise_than_the_one_read_is_an_error():
    step = beam.ParDo(Constant()).with_outputs("invalid_rows", main="rows")
    assert _found(step, read=("invalid_rows",)) == [("BD333", "error")]
    # the tags come from the live DoFn, a global and a class constant too
    step = beam.ParDo(FromSelf("invalid")).with_outputs("invalid_rows")
    assert _found(step, read=("invalid_rows",)) == [("BD333", "error")]
    assert _found(beam.ParDo(FromGlobals()).with_outputs("bad", "other"), read=("other",)) == [
        ("BD333", "error")  # "skipped" is dropped, "other" always empty
    ]
    assert _found(beam.ParDo(InFinishBundle()).with_outputs("stat"), read=("stat",)) == [
        ("BD333", "error")
    ]


def test_dropped_elements_nobody_waits_for_are_a_warning():
    assert _found(beam.ParDo(Constant())) == [("BD333", "warning")]  # no with_outputs
    assert _found(beam.ParDo(Constant()).with_outputs("invalid_rows")) == [("BD333", "warning")]
    # the declared tag may come from a helper: unknown whether it stays empty
    step = beam.ParDo(ThroughHelper()).with_outputs("invalid_rows")
    assert _found(step, read=("invalid_rows",)) == [("BD333", "warning")]
    step = beam.ParDo(ReturnsAList()).with_outputs("other")
    assert _found(step, read=("other",)) == [("BD333", "error")]


def test_what_is_never_reported():
    assert _found(beam.ParDo(Constant()).with_outputs("invalid", main="rows")) == []
    # with_outputs() and the tag read from the result: the ParDo has it
    assert _found(beam.ParDo(FromSelf("late")).with_outputs(), read=("late",)) == []
    assert _found(beam.ParDo(FromGlobals()).with_outputs(BAD, Tags.SKIPPED)) == []
    assert _found(beam.ParDo(Computed()).with_outputs("type_int")) == []  # unknown tag
    assert _found(beam.FlatMap(split).with_outputs("odd", "even")) == []
    assert _found(beam.ParDo(InFinishBundle()).with_outputs("stats")) == []
    assert _found(beam.Map(lambda x: x)) == []


def test_a_flatmap_function_is_read_too():
    assert _found(beam.FlatMap(split).with_outputs("odd", "evens"), read=("evens",)) == [
        ("BD333", "error")
    ]


def test_what_the_code_surely_emits_decides_the_error():
    # a TaggedOutput bound to a name first is still read: "errors" is emitted, so only
    # "debug" is dropped, and nothing read is empty
    step = beam.ParDo(BoundFirst()).with_outputs("errors")
    assert _found(step, read=("errors",)) == [("BD333", "warning")]
    # a helper's result may be the declared tag's: not claimed always empty
    step = beam.ParDo(FromHelper()).with_outputs("errors")
    assert _found(step, read=("errors",)) == [("BD333", "warning")]


def test_a_taggedoutput_to_the_main_outputs_name():
    p = beam.Pipeline()
    results = p | beam.Create([1]) | beam.ParDo(ToTheMainName()).with_outputs("no", main="valid")
    _ = results.valid | beam.Map(print)
    (d,) = output_tag_diagnostics(p)
    assert d.severity.value == "error" and "name with_outputs gives the main output" in d.message
    assert "plain `yield x`" in d.fix
