"""Rules about what a step's known elements or its function's shape make of the output
(BD334-BD336): a Filter that drops everything, a dict where a GroupByKey wants a pair, a
timestamp in milliseconds.

Kept apart from ``element_rules`` for size only; a new rule goes in with an explanation, a
fix, an example and its fixed example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W = Severity.ERROR, Severity.WARNING

RULES = [
    Rule(
        code="BD334",
        name="filter-drops-everything",
        severity=E,
        reported_by=("check",),
        summary="A Filter whose function returns nothing drops every element.",
        explanation="`beam.Filter` keeps an element only when its function returns a true "
        "value. A function that decides but never says so (`if x > 0: print(x)`, a `def` "
        "with no `return` value, `print`) returns None for every element, so the step drops "
        "them all: nothing fails, and every step after it, a sink included, gets no "
        "elements. Reported where the function surely returns None and a later step reads "
        "the Filter's output, or where every `return` gives a false constant (`return "
        "False`) and the end of the function, which returns None, may be reached.",
        fix="Return the decision (`return x > 0`, or `beam.Filter(lambda x: x > 0)`).",
        example="def positive(x):\n"
        "    if x > 0:\n"
        "        logging.info('keep %s', x)  # and no return: None, so dropped\n"
        "\n"
        "numbers | beam.Filter(positive) | beam.io.WriteToText(out)\n",
        example_fixed="def positive(x):\n    return x > 0\n",
    ),
    Rule(
        code="BD335",
        name="dict-into-group-by-key",
        severity=E,
        reported_by=("check",),
        summary="A GroupByKey (or CombinePerKey) gets dicts where it reads (key, value) pairs.",
        explanation="A GroupByKey reads each element as a (key, value) pair, and the worker "
        "encodes it with the shuffle's pair coder, which iterates it: a dict gives its keys. "
        "A dict of two keys becomes the pair of its key names (`{'user': 'a', 'n': 1}` is "
        "grouped under the key `'user'` with the value `'n'`), silently; a dict of any other "
        'size fails at the step that made it with "ValueError: Number of components does '
        'not match number of coders". The classic is `beam.Map(json.loads)` followed by a '
        "`GroupByKey` or a `CombinePerKey`. Reported where the pipeline's own elements (a "
        "`Create`'s, a local text input's) are run through the steps before the shuffle; "
        "which of the two outcomes is Beam's own coder's, on the element.",
        fix="Key the elements first: `beam.Map(lambda d: (d['user'], d))`, or "
        "`beam.GroupBy(lambda d: d['user'])`.",
        example="events | beam.Map(json.loads) | beam.GroupByKey()\n",
        example_fixed="events | beam.Map(json.loads) | beam.Map(lambda d: (d['user'], d))"
        " | beam.GroupByKey()\n",
    ),
    Rule(
        code="BD336",
        name="timestamp-in-milliseconds",
        severity=E,
        reported_by=("check",),
        summary="Elements are stamped with an epoch in milliseconds where Beam takes seconds, "
        "and then windowed.",
        explanation="`TimestampedValue(e, ts)` and `Timestamp(ts)` take seconds since 1970. "
        "Pub/Sub, Kafka, JavaScript and many JSON events give milliseconds, and Beam accepts "
        "the number as a moment tens of thousands of years from now. Nothing fails, but the "
        "elements are 1000 times further apart than meant: `FixedWindows(60)` puts each one "
        "in a window of its own, and every count or sum per window is of one element. "
        "Reported where the pipeline's own elements are run through the stamping step, a "
        "timestamp is past the year 5000 (more than 10**11 seconds, which every epoch in "
        "milliseconds since 1973 is), and a WindowInto of Beam's windows follows that puts "
        "them in more windows than the same stamps read as milliseconds (windows sized in "
        "milliseconds too are left alone).",
        fix="Divide by 1000: `TimestampedValue(e, e['ts'] / 1000)` (or "
        "`Timestamp.from_utc_datetime`/`Timestamp(micros=ts * 1000)`).",
        example="events | beam.Map(lambda e: TimestampedValue(e, e['ts']))  # ms\n",
        example_fixed="events | beam.Map(lambda e: TimestampedValue(e, e['ts'] / 1000))\n",
    ),
    Rule(
        code="BD337",
        name="finish-bundle-global-window",
        severity=E,
        reported_by=("check",),
        summary="A DoFn's finish_bundle emits into the global window while its input is in "
        "fixed, sliding or session windows.",
        explanation="What `finish_bundle` emits must say its own window, and Beam's "
        "documentation shows `WindowedValue(batch, timestamp, [GlobalWindow()])` (or "
        "`GlobalWindows.windowed_value(batch)`). The step's output keeps its input's "
        "windowing, so after a `WindowInto(FixedWindows(60))` its window coder encodes "
        'interval windows only, and the worker fails when the bundle ends: "TypeError: '
        "Cannot convert GlobalWindow to apache_beam.utils.windowed_value._IntervalWindowBase"
        "\" (apache/beam#25014). The DirectRunner's tests with unwindowed data pass.",
        fix="Keep each element's window in `process` (a `window=beam.DoFn.WindowParam` "
        "argument) and emit the batch of each window with it: `WindowedValue(batch, "
        "window.max_timestamp(), [window])`; or batch with `GroupIntoBatches` or "
        "`beam.BatchElements`, which keep windows.",
        example="def finish_bundle(self):\n"
        "    yield WindowedValue(self.batch, 0, [GlobalWindow()])  # input in FixedWindows\n",
        example_fixed="def process(self, x, window=beam.DoFn.WindowParam):\n"
        "    self.batches.setdefault(window, []).append(x)\n"
        "\n"
        "def finish_bundle(self):\n"
        "    for w, batch in self.batches.items():\n"
        "        yield WindowedValue(batch, w.max_timestamp(), [w])\n",
    ),
    Rule(
        code="BD338",
        name="flatmap-of-group-pairs",
        severity=E,
        reported_by=("check",),
        summary="A FlatMap passes on a grouping step's (key, group) pairs as they are, so "
        "it emits each key and each group as separate elements.",
        explanation="`GroupByKey`, `GroupIntoBatches`, `CoGroupByKey`, `CombinePerKey` and "
        "`GroupBy` emit (key, group) pairs. `beam.FlatMap(lambda x: x)` right after one is "
        "meant to go back to single elements, but FlatMap iterates what its function "
        "returns, and that is the pair: it emits the key, then the whole group, as two "
        "elements. With a dummy `None` key the output is a line `None` and a line "
        "`['a', 'b', 'c']` (apache/beam#28716). Nothing fails. Reported where the FlatMap's "
        "function returns its argument itself (or `list`/`tuple`/`iter` of it) and its "
        "input is one of those grouping steps' output.",
        fix="Iterate the group: `beam.FlatMap(lambda kv: kv[1])`, or "
        "`beam.FlatMapTuple(lambda key, group: group)`.",
        example="pairs | beam.GroupIntoBatches(30) | beam.FlatMap(lambda x: x)\n",
        example_fixed="pairs | beam.GroupIntoBatches(30) | beam.FlatMap(lambda kv: kv[1])\n",
    ),
    Rule(
        code="BD339",
        name="state-on-unkeyed-input",
        severity=E,
        reported_by=("check",),
        summary="A DoFn with state or timers is applied to elements that are not (key, value) "
        "pairs.",
        explanation="Beam keeps a DoFn's state and timers per key and window, so a stateful "
        "DoFn (one with a `StateSpec` or `TimerSpec` parameter) needs keyed input: the "
        "worker unpacks each element into a key and a value before `process` runs, and a "
        'word, a row or a number fails there with "ValueError: Input value to a stateful '
        "DoFn or KeyParam must be a KV tuple; instead, got 'the'.\" (apache/beam#20520). "
        "Reported where the pipeline's own elements (a `Create`'s, a local text input's) "
        "reach the step.",
        fix="Key the elements first (`beam.Map(lambda word: (word, 1))`, or a fixed key "
        "`(None, x)` for one state for all), and read the value from the pair in `process`.",
        example="words | beam.ParDo(CountWithState())  # state needs (key, value)\n",
        example_fixed="words | beam.Map(lambda w: (w, 1)) | beam.ParDo(CountWithState())\n",
    ),
]
