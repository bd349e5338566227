"""Rules about what steps do to their elements on the worker (BD314-BD321): a step that
returns one value where Beam iterates, a shared accumulator, values no coder carries, a
singleton side input of several elements, a timestamp without a time zone.

Kept apart from ``session_rules`` (the rest of the BD3xx family) for size only; a new rule
goes in its family's block with an explanation, a fix, an example and its fixed example
(tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    Rule(
        code="BD314",
        name="one-value-where-beam-iterates",
        severity=E,
        also=(W,),
        severity_note="An error where every value the function returns is such a value. A "
        "warning where it is one return of several (only the data decides which runs), and "
        "for a Map of a generator function whose output nothing reads.",
        reported_by=("check",),
        summary="A DoFn's process or a FlatMap returns one value where Beam iterates the "
        "result, or a Map's function yields.",
        explanation="Beam loops over what a DoFn's `process` (or a `FlatMap`'s function) "
        "returns and emits each item. `return {'name': n}` instead of `yield` is the classic "
        "slip: Beam 2.76 and newer refuse a dict, str or bytes on the first element "
        '("TypeError: Returning a dict from a ParDo or FlatMap is not allowed"); older '
        "Beams emit a dict's keys, a string's characters or the bytes' integers, silently. A "
        "number fails on every Beam (\"'int' object is not iterable\"). The other way "
        "round, `beam.Map` emits what its function returns, so a function that `yield`s "
        "emits one generator object per input. Reported where the code fixes the returned "
        "value's type (a dict display, an f-string, `len(...)`...).",
        fix="`yield` the element (or `return [element]`) from `process`; use `beam.Map` for "
        "one output per input; use `beam.FlatMap` for a function that yields.",
        example="class ToRecord(beam.DoFn):\n"
        "    def process(self, line):\n"
        "        name, n = line.split(',')\n"
        "        return {'name': name, 'n': int(n)}  # Beam iterates the dict\n",
        example_fixed="class ToRecord(beam.DoFn):\n"
        "    def process(self, line):\n"
        "        name, n = line.split(',')\n"
        "        yield {'name': name, 'n': int(n)}\n",
    ),
    Rule(
        code="BD315",
        name="shared-accumulator",
        severity=E,
        reported_by=("check",),
        summary="A CombineFn's create_accumulator returns one object it holds, which "
        "add_input changes in place.",
        explanation="Beam calls `create_accumulator()` once per key and bundle and expects "
        "a new accumulator each time. Returning a list, dict or set the CombineFn already "
        "holds (`return self.empty`, made in `__init__`, or a global) hands every key and "
        "bundle the same object: when `add_input` changes it in place (`acc.append(x)`), "
        "the keys' inputs mix in it and merges count them again. The results are silently "
        "wrong on every runner; a DirectRunner test with one key may still look right.",
        fix="Make a new accumulator each time: `return []` (or `list(self.initial)`, "
        "`dict(self.defaults)`).",
        example="class Collect(beam.CombineFn):\n"
        "    def __init__(self):\n"
        "        self.empty = []\n"
        "    def create_accumulator(self):\n"
        "        return self.empty  # one list for every key\n",
        example_fixed="class Collect(beam.CombineFn):\n"
        "    def create_accumulator(self):\n"
        "        return []  # a new list each time\n",
    ),
    Rule(
        code="BD316",
        name="unencodable-value-in-element",
        severity=E,
        also=(W,),
        severity_note="An error where a later step reads the output; a warning where "
        "nothing does, or where only one return of several emits it.",
        reported_by=("check",),
        summary="A step emits a dict view (d.keys(), d.values(), d.items()) or a generator "
        "inside its elements.",
        explanation="A worker encodes a sample of every output with the output's coder "
        "(element counters: always the first ten elements), shuffle or not, and at a "
        "shuffle it encodes every element. Beam's fallback coder is the standard pickle, "
        "whatever `--pickle_library` says, and it refuses a view of a dict "
        "(\"TypeError: cannot pickle 'dict_keys' object\"). A generator is worse: where "
        "Beam infers an iterable type, its coder iterates the generator, so the next step "
        "or the other side of a GroupByKey gets it empty, silently (`a=` instead of "
        "`a=x,y`); where it cannot, the pickle refuses it. In-process tests that never "
        "encode an element pass. Reported for a generator expression, a call of your own "
        "generator function, and a view of a variable, an item or a dict the function "
        "builds.",
        fix="Emit a list: `list(d.keys())`, `sorted(d)`, `list(d.items())`, "
        "`[w.lower() for w in words]` instead of `(w.lower() for w in words)`.",
        example="pairs = rows | beam.Map(lambda d: (d['user'], d.keys()))\n"
        "pairs | beam.GroupByKey()\n",
        example_fixed="pairs = rows | beam.Map(lambda d: (d['user'], sorted(d.keys())))\n"
        "pairs | beam.GroupByKey()\n",
    ),
    Rule(
        code="BD317",
        name="side-input-view-mismatch",
        severity=E,
        reported_by=("check",),
        summary="A side input view that does not fit its PCollection: AsSingleton of several "
        "elements, AsDict of elements that are not pairs.",
        explanation="`beam.pvalue.AsSingleton(pcoll)` gives each call of the step the one "
        "element of `pcoll`. The worker reads the side input when the step first needs it "
        'and fails on a second element: "ValueError: PCollection of size 2 with more than '
        'one element accessed as a singleton view". The usual slip is a side PCollection '
        "never reduced to one value: a `Create` of the candidate values, or a `Map` over "
        "them where a `CombineGlobally` was meant. `AsDict(pcoll)` builds `dict(elements)`, "
        "so each element must be a (key, value) pair; a PCollection of rows (dicts) fails "
        '("ValueError: dictionary update sequence element #0 has length 3; 2 is required"), '
        "or, for rows of two fields, silently maps one field's name to the other's. "
        "Reported where the construction decides it: a `Create` of several values (of "
        "dicts, numbers), followed only by steps that emit one element per input (`Map`, "
        "`MapTuple`, `WindowInto`), or a `Map` whose function returns dicts.",
        fix="For AsSingleton, reduce the side PCollection to one value "
        "(`beam.CombineGlobally(max)`, `beam.combiners.ToList()`), or read it whole with "
        "`AsList`/`AsIter`. For AsDict, key the rows first: "
        "`rows | beam.Map(lambda r: (r['id'], r))`.",
        example="limits = p | 'Limits' >> beam.Create([5, 7])\n"
        "nums | beam.Filter(lambda x, t: x > t, t=beam.pvalue.AsSingleton(limits))\n",
        example_fixed="limit = p | 'Limits' >> beam.Create([5, 7]) | beam.CombineGlobally(max)\n"
        "nums | beam.Filter(lambda x, t: x > t, t=beam.pvalue.AsSingleton(limit))\n",
    ),
    Rule(
        code="BD318",
        name="naive-datetime-timestamp",
        severity=E,
        reported_by=("check",),
        summary="TimestampedValue of a datetime without a time zone.",
        explanation="`beam.window.TimestampedValue(value, ts)` turns `ts` into a Beam "
        "timestamp: seconds since the epoch, a `Timestamp`, or a `datetime` that says it is "
        "UTC. A naive datetime, which is what `datetime.strptime(s, '%Y-%m-%d %H:%M')`, "
        "`datetime.now()`, `datetime.utcnow()` and `datetime.fromtimestamp(t)` give, fails "
        'on the worker on the first element: "ValueError: dt has no timezone info" (an '
        'aware datetime in another zone: "dt not in UTC"). Reported where the timestamp '
        "argument, or a variable set once from it, is one of those calls with no time zone "
        "argument (for `strptime`, a literal format without `%z`).",
        fix="Give seconds (`dt.timestamp()` of an aware datetime, `calendar.timegm(...)`), "
        "or a UTC datetime: `datetime.strptime(s, fmt).replace(tzinfo=timezone.utc)`, "
        "`datetime.now(timezone.utc)`.",
        example="when = datetime.strptime(row['when'], '%Y-%m-%d %H:%M')\n"
        "yield beam.window.TimestampedValue(row, when)\n",
        example_fixed="when = datetime.strptime(row['when'], '%Y-%m-%d %H:%M')\n"
        "yield beam.window.TimestampedValue(row, when.replace(tzinfo=timezone.utc))\n",
    ),
    Rule(
        code="BD319",
        name="combine-method-returns-nothing",
        severity=E,
        reported_by=("check",),
        summary="A CombineFn method whose result Beam reads returns nothing (add_input "
        "without `return acc`).",
        explanation="Beam keeps what `add_input` returns as the accumulator, and reads what "
        "`create_accumulator`, `merge_accumulators` and `extract_output` return. An "
        "`add_input` that appends to its accumulator and forgets `return acc` hands None to "
        "the next call: \"AttributeError: 'NoneType' object has no attribute 'append'\" on "
        "the worker; an `extract_output` without a return makes every result None, "
        "silently. Reported where the method has no `return` with a value and its end is "
        "reached.",
        fix="Return the accumulator: `acc.append(x)` then `return acc` (and return the "
        "merged accumulator and the output).",
        example="class Collect(beam.CombineFn):\n"
        "    def add_input(self, acc, x):\n"
        "        acc.append(x)  # returns None: the next call gets None\n",
        example_fixed="class Collect(beam.CombineFn):\n"
        "    def add_input(self, acc, x):\n"
        "        acc.append(x)\n"
        "        return acc\n",
    ),
    Rule(
        code="BD320",
        name="finish-bundle-plain-value",
        severity=E,
        reported_by=("check",),
        summary="A DoFn's finish_bundle emits a plain value instead of a WindowedValue.",
        explanation="Elements that `process` emits get the window and timestamp of the "
        "element being processed. `finish_bundle` runs after the bundle's last element, "
        "when there is none, so Beam requires each value it emits to be a `WindowedValue` "
        "that says its own window and timestamp. A batching DoFn that buffers elements in "
        "`process` and yields the batch (or its items) from `finish_bundle` fails on the "
        'worker when the bundle ends: "RuntimeError: Finish Bundle should only output '
        "WindowedValue type but got <class 'str'>\". Reported where a value `finish_bundle` "
        "yields surely is plain: a literal or display, text made by a join or an f-string, "
        "the buffer itself, or an item of a buffer that holds elements.",
        fix="Wrap it: `yield GlobalWindows.windowed_value(batch)` (from "
        "`apache_beam.transforms.window`) in the global window, or keep each element's "
        "window and timestamp in `process` (a `beam.DoFn.WindowParam` argument) and yield "
        "`WindowedValue(batch, timestamp, [window])`; or batch with `beam.BatchElements`, "
        "`GroupIntoBatches`.",
        example="def finish_bundle(self):\n    yield '|'.join(self.batch)  # a str: refused\n",
        example_fixed="def finish_bundle(self):\n"
        "    yield GlobalWindows.windowed_value('|'.join(self.batch))\n",
    ),
    Rule(
        code="BD321",
        name="cogroup-input-not-pairs",
        severity=E,
        reported_by=("check",),
        summary="An input of a CoGroupByKey whose elements are not (key, value) pairs.",
        explanation="CoGroupByKey tags each input's elements with a step that unpacks each "
        "element into a key and a value. An input that was never keyed (a PCollection of "
        "lines or rows where `Map(lambda row: (row['id'], row))` was forgotten) fails "
        'there on the worker: "TypeError: ...add_tag.<locals>.<lambda>() takes 2 '
        'positional arguments but 7 were given"; values of two items (two-character '
        "strings, two-field rows) are split silently, the first item taken as the key. "
        "Beam's type check stops the same mistake before a GroupByKey while the pipeline "
        "is built, not before a CoGroupByKey. Reported where every element is surely not "
        "a pair: a `Create` of strings, dicts or numbers, or a `Map` whose function "
        "returns dicts.",
        fix="Key the input first: `lines | beam.Map(lambda line: tuple(line.split(':', 1)))`, "
        "`rows | beam.Map(lambda row: (row['id'], row))`.",
        example="phones = p | beam.Create(['ann:111', 'bob:222'])\n"
        "{'e': emails, 'p': phones} | beam.CoGroupByKey()\n",
        example_fixed="phones = p | beam.Create(['ann:111', 'bob:222'])\n"
        "keyed = phones | beam.Map(lambda s: tuple(s.split(':', 1)))\n"
        "{'e': emails, 'p': keyed} | beam.CoGroupByKey()\n",
    ),
    Rule(
        code="BD322",
        name="state-coder-mismatch",
        severity=E,
        reported_by=("check",),
        summary="A stateful DoFn writes a value its state cell's coder cannot encode.",
        explanation="A state spec says how the worker stores the cell: "
        '`ReadModifyWriteStateSpec("last", VarIntCoder())` encodes every `last.write(v)` '
        "with `VarIntCoder`, and a `BagStateSpec` or `SetStateSpec` every `add(v)`. A spec "
        "copied from a counting example and then given the element's text fails on the "
        'worker at the first write: "TypeError: an integer is required". Nothing checks it '
        "while the pipeline is built. Reported where the value written is surely known: a "
        "literal, text the code makes (an f-string, `str(x)`), or the element or one of its "
        "fields (`k, v = element`) when the step's input is a `Create`; each goes through "
        "the spec's own coder. A write inside an `if` or a loop is reported only when every "
        "value fails.",
        fix="Declare the cell with a coder of what you store (`StrUtf8Coder()` for text, "
        "`PickleCoder()` or `FastPrimitivesCoder()` for mixed values), or write the value "
        "the coder takes (`last.write(int(v))`).",
        example="class LastSeen(beam.DoFn):\n"
        '    LAST = ReadModifyWriteStateSpec("last", VarIntCoder())\n'
        "\n"
        "    def process(self, kv, last=beam.DoFn.StateParam(LAST)):\n"
        "        key, name = kv\n"
        "        last.write(name)  # a str: TypeError on the worker\n",
        example_fixed="class LastSeen(beam.DoFn):\n"
        '    LAST = ReadModifyWriteStateSpec("last", StrUtf8Coder())\n'
        "\n"
        "    def process(self, kv, last=beam.DoFn.StateParam(LAST)):\n"
        "        key, name = kv\n"
        "        last.write(name)\n",
    ),
    Rule(
        code="BD323",
        name="step-function-arguments",
        severity=E,
        reported_by=("check",),
        summary="A step's function needs more arguments than Beam calls it with.",
        explanation="`beam.Map(fn, *args, **kwargs)` (and FlatMap, Filter) calls "
        "`fn(element, *args, **kwargs)`, and a DoFn's `process` gets the element and the "
        "ParDo's extra arguments; Beam fills a parameter of its own (the window, the "
        "timestamp, a state cell) only where its default says which "
        "(`window=beam.DoFn.WindowParam`). `beam.Map(lambda k, v: ...)` over (key, value) "
        "pairs, where `MapTuple` was meant, and `process(self, element, window)` without "
        'the default fail on the worker at the first element: "TypeError: <lambda>() '
        "missing 1 required positional argument: 'v'\". A function given to "
        "`CombinePerKey` or `CombineGlobally` is called with one iterable of values, so a "
        "two-parameter `latest(a, b)` fails the same way. Nothing checks it while the "
        "pipeline is built. Reported where the function's own signature cannot be bound "
        "to one element and the step's extra arguments; `MapTuple`, whose argument count "
        "is the element's, is left alone.",
        fix="Use `beam.MapTuple(lambda k, v: ...)` (or unpack one argument: "
        '`beam.Map(lambda kv: f"{kv[0]}={kv[1]}")`); give a DoFn parameter Beam fills its '
        "default (`window=beam.DoFn.WindowParam`, `timestamp=beam.DoFn.TimestampParam`); "
        "or pass the missing value with the step (`beam.Map(fn, limit)`).",
        example='pairs | beam.Map(lambda name, count: f"{name}={count}")\n',
        example_fixed='pairs | beam.MapTuple(lambda name, count: f"{name}={count}")\n',
    ),
    Rule(
        code="BD324",
        name="lifecycle-method-misspelled",
        severity=E,
        also=(W,),
        severity_note="An error where a method Beam calls reads an attribute only the "
        "misspelled method sets (the worker fails there); a warning otherwise (the code "
        "silently never runs).",
        reported_by=("check",),
        summary="A DoFn method meant as setup, start_bundle, finish_bundle or teardown is "
        "spelled otherwise (setUp, startBundle, tearDown), so Beam never calls it.",
        explanation="Beam calls a DoFn's `setup`, `start_bundle`, `process`, "
        "`finish_bundle` and `teardown` by those exact names. unittest's or Java's spelling "
        "(`setUp`, `startBundle`, `tearDown`) defines a method nobody calls: nothing fails "
        "while the pipeline is built, and on the worker what it was to prepare is missing "
        "(\"AttributeError: 'Enrich' object has no attribute 'table'\") or the cleanup never "
        "runs. Reported for a method whose name, lowercased and without underscores, is a "
        "lifecycle method's, where the class defines no method of that name and its own "
        "code never calls the near-miss. The same for a `setup` (or `teardown`...) of a class "
        "that is not a DoFn, a PTransform whose step runs one of its methods "
        "(`beam.FlatMap(self._read)`): Beam calls those on DoFns only (oppia/oppia#24934).",
        fix="Rename it to Beam's name (`def setup(self):`).",
        example="class Enrich(beam.DoFn):\n"
        "    def setUp(self):  # never called\n"
        "        self.table = load_table()\n",
        example_fixed="class Enrich(beam.DoFn):\n"
        "    def setup(self):\n"
        "        self.table = load_table()\n",
    ),
    Rule(
        code="BD325",
        name="combine-function-reads-a-list",
        severity=E,
        reported_by=("check",),
        summary="A function given to a combine takes the length or an item of its argument, "
        "which is an iterable of inputs and partial results, not a list.",
        explanation="`beam.CombineGlobally(fn)` and `beam.CombinePerKey(fn)` call a plain "
        "function with an iterable of inputs and of its own earlier results: Beam combines "
        "parts of the data on several workers and merges the partial results with the same "
        "function, so it must be associative and commutative, like `sum`, `min` or `max`. "
        '`len`, or `sum(vs) / len(vs)` for a mean, fails on the worker: "TypeError: '
        "object of type '_ReiterableChain' has no len()\" (an index: \"is not "
        'subscriptable"); and the count of partial counts, or the mean of partial means, '
        "would not be the whole's anyway. Reported for `len` itself and for a function of "
        "yours that calls `len()` on its argument or indexes it.",
        fix="Use Beam's combiners (`beam.combiners.Count.Globally()`, `Count.PerKey()`, "
        "`beam.combiners.Mean.PerKey()`), or a CombineFn whose accumulator keeps what the "
        "result needs (a sum and a count for a mean).",
        example="numbers | beam.CombineGlobally(len)\n",
        example_fixed="numbers | beam.combiners.Count.Globally()\n",
    ),
    Rule(
        code="BD326",
        name="flatten-mixed-windows",
        severity=E,
        reported_by=("check",),
        summary="A Flatten merges inputs in different kinds of windows.",
        explanation="A PCollection has one windowing. `Flatten` of an input in `FixedWindows` "
        "and one in the global window makes one PCollection whose windows a single coder "
        "must encode, and the worker decodes one input's windows with the other's coder: "
        '"Invalid PaneInfoEncoding" or another decoding error, at run time only. '
        "Reported where the inputs' windowing needs different window coders; fixed windows "
        "of different sizes share one and are not.",
        fix="Window every input the same way before the Flatten "
        "(`| beam.WindowInto(FixedWindows(60))` on the input in the global window).",
        example="(clicks_in_fixed_windows, views_in_global_window) | beam.Flatten()\n",
        example_fixed="views = views | beam.WindowInto(FixedWindows(60))\n"
        "(clicks_in_fixed_windows, views) | beam.Flatten()\n",
    ),
    Rule(
        code="BD327",
        name="windows-without-timestamps",
        severity=E,
        reported_by=("check",),
        summary="Elements that all carry one timestamp are put into windows, and grouped.",
        explanation="Windows group elements by their timestamps. A `Create`'s elements all "
        "carry the same one (the minimum timestamp), and Map, FlatMap and Filter keep it, so "
        "`WindowInto(FixedWindows(60))` right after them puts every element in one window: a "
        "count per window is the count of all, silently. `BatchElements` in the global "
        "window does the same to the timestamps elements had: it stamps each batch at the "
        "end of the global window, so elements unbatched and then windowed all land in one "
        "window (apache/beam#27937). Reported where every step between the `Create` (or the "
        "batching) and the `WindowInto` is a Map, FlatMap, Filter or DoFn of yours whose code "
        "names no timestamp, and a grouping (GroupByKey, a combine per key) follows.",
        fix="Give each element its event time before windowing: `| beam.Map(lambda e: "
        "beam.window.TimestampedValue(e, e['ts']))` (seconds since the epoch, or a datetime "
        "with a time zone). For `BatchElements`, window first and batch after: batches in "
        "windows keep to their window.",
        example="events | beam.WindowInto(FixedWindows(60)) | beam.CombinePerKey(sum)\n",
        example_fixed="(events\n"
        " | beam.Map(lambda e: beam.window.TimestampedValue(e, e[1]))\n"
        " | beam.WindowInto(FixedWindows(60)) | beam.CombinePerKey(sum))\n",
    ),
    Rule(
        code="BD328",
        name="schema-field-not-on-elements",
        severity=E,
        reported_by=("check",),
        summary="GroupBy, aggregate_field or Select names a field the elements do not have "
        "(dicts have keys, not attributes).",
        explanation='`beam.GroupBy("k")`, `.aggregate_field("v", sum, "total")` and '
        '`beam.Select("k")` read a field named by a string as an attribute of each '
        "element: a `beam.Row` or a `typing.NamedTuple` has it, a dict does not. Rows read "
        "from JSON, or a Create of dicts, fail on the worker at the first element: "
        "\"AttributeError: 'dict' object has no attribute 'k'\". Reported where the "
        "elements are surely without the attribute: a Create's values, or a Map of "
        "`json.loads` or of a function that returns dicts.",
        fix="Make the elements rows first (`| beam.Map(lambda d: beam.Row(**d))`), or "
        'group by a function (`beam.GroupBy(lambda d: d["k"])`).',
        example='rows_as_dicts | beam.GroupBy("k").aggregate_field("v", sum, "total")\n',
        example_fixed="(rows_as_dicts\n"
        " | beam.Map(lambda d: beam.Row(**d))\n"
        ' | beam.GroupBy("k").aggregate_field("v", sum, "total"))\n',
    ),
    Rule(
        code="BD329",
        name="step-raises-on-known-elements",
        severity=E,
        reported_by=("check",),
        summary="A step raises on an element the pipeline itself provides (a Create's "
        "value, a line of a local input file, or what earlier steps make of them).",
        explanation="Where the elements exist before the job does (a `Create`'s values, the "
        "first 1000 lines of a text file on this machine), check runs the steps on them: "
        "Map, FlatMap, Filter, MapTuple and FlatMapTuple of the user's functions, through "
        "Beam's own wrappers, a DoFn whose constructor alone makes what `process` reads, and "
        "a `Partition` through Beam's own partitioning code. Where every element is known, it "
        "goes on through side inputs (`AsDict`, `AsList`, `AsSingleton`...: Beam's own view "
        "of them), a `GroupByKey` (the worker's groups, keyed by the encoded key), a "
        "`CoGroupByKey` (a join whose one side lacks a key gives that side an empty list), "
        "a `Reshuffle`, a `Flatten` of inputs all known, and "
        "`CombinePerKey`/`CombineGlobally`/`Count` (Beam's combining code, on a builtin, one "
        "of Beam's combiners or the user's CombineFn). A step that raises here raises on the "
        "worker at the same element, minutes after submission: "
        '`int(line.split(",")[0])` on a header line ("ValueError: invalid literal for '
        "int() with base 10: 'id'\"), a UTF-8 byte-order mark left in the first line, "
        "`line.decode()` on a str, a key missing from a side input's dict, `emails[0]` on "
        "the empty side of a join, `sum` over "
        "amounts left as text, a partition function that returns 3 of 3 partitions "
        '("PartitionFn specified out-of-bounds partition index: 3 not in [0, 3)"). Claimed '
        "only for an exception the data makes (raised by the user's code, Beam's wrapper or "
        "a pure standard module such as `json`), never one an environment makes "
        "(`OSError`, `ImportError`, `NameError`); a DoFn with a `setup`, a side input or "
        "shuffle of elements not all known, and a value a coder changes are not followed, "
        "and what does not finish in 3 seconds per source is not claimed.",
        fix="Make the function handle that element: skip a header with "
        "`ReadFromText(..., skip_header_lines=1)`, filter out what it cannot read, or send "
        "it to a dead-letter output (`beam.pvalue.TaggedOutput`); a partition function "
        "returns 0 to `num_partitions - 1`.",
        example='(p | beam.io.ReadFromText("orders.csv")\n'
        ' | beam.Map(lambda line: int(line.split(",")[1])))\n',
        example_fixed='(p | beam.io.ReadFromText("orders.csv", skip_header_lines=1)\n'
        ' | beam.Map(lambda line: int(line.split(",")[1])))\n',
    ),
    Rule(
        code="BD330",
        name="text-input-unreadable",  # kept: configs select rules by name
        severity=E,
        reported_by=("check",),
        summary="A local input that the worker's read fails on: text compressed otherwise "
        "than its name says or not UTF-8, Avro records the rows Beam derives cannot hold.",
        explanation="`ReadFromText` picks the decompression from the file name (`.gz`, "
        "`.bz2`, `.zst`, `.xz`...) and decodes each line as UTF-8. Plain text named `.gz` "
        'fails ("zlib.error: Error -3 while decompressing data: incorrect header check"); '
        'gzip bytes named `.txt`, or a latin-1 file, fail decoding ("UnicodeDecodeError: '
        "'utf-8' codec can't decode byte 0x8b\"). For files on this machine check reads them "
        "with the source Beam ships, as the worker will (up to 4 MB of each of 5 files), "
        "and reports what that read raises. `ReadFromAvro(..., as_rows=True)` derives the "
        "row schema from the Avro types without their logical types: a `timestamp-millis` "
        "field (BigQuery's export of a TIMESTAMP) is INT64 in the schema and a datetime in "
        'the record, and the worker fails ("TypeError: an integer is required", '
        "apache/beam#31656); check converts and encodes the first records of local Avro "
        "files as the worker does.",
        fix="Name the file after its compression, or pass `compression_type=` "
        "(`CompressionTypes.GZIP`, `CompressionTypes.UNCOMPRESSED`); convert a file that is "
        "not UTF-8 (`iconv -f latin1 -t utf-8`), or read bytes with "
        "`coder=coders.BytesCoder()` and decode them in a Map. For Avro rows, read dicts "
        "(no `as_rows`) and build the rows in a Map, converting the logical-type fields.",
        example='p | beam.io.ReadFromText("orders.csv.gz")  # plain text under a .gz name\n',
        example_fixed='p | beam.io.ReadFromText("orders.csv.gz",\n'
        "                            compression_type=CompressionTypes.UNCOMPRESSED)\n",
    ),
    Rule(
        code="BD331",
        name="generator-return-dropped",
        severity=E,
        reported_by=("check",),
        summary="A DoFn's process (or a FlatMap's function) yields, and also returns "
        "elements, which Beam never reads.",
        explanation="A function with a `yield` anywhere in it is a generator function: "
        "`return [a, b]` in it does not emit `a` and `b`. Python puts the value in "
        "`StopIteration` and Beam, which only iterates the generator, drops it: every input "
        "that takes that `return` loses its outputs, silently, on every runner and pickler "
        '(apache/beam#22969). Beam logs one line when the pipeline is built ("Using yield '
        'and return in the process method ... can lead to unexpected behavior"), easy to '
        "miss. A `return` of nothing (`return`, `return None`, `return []`) is fine.",
        fix="`yield from [a, b]` (then a bare `return` to stop), or yield each item; or "
        "drop every `yield` and return a list on every path.",
        example="class Explode(beam.DoFn):\n"
        "    def process(self, row):\n"
        "        if isinstance(row[1], list):\n"
        "            return [(row[0], v) for v in row[1]]  # dropped: process yields\n"
        "        yield row\n",
        example_fixed="class Explode(beam.DoFn):\n"
        "    def process(self, row):\n"
        "        if isinstance(row[1], list):\n"
        "            yield from [(row[0], v) for v in row[1]]\n"
        "            return\n"
        "        yield row\n",
    ),
    Rule(
        code="BD332",
        name="side-input-of-another-pipeline",
        severity=E,
        reported_by=("check",),
        summary="A step's side input is a PCollection of another Pipeline object.",
        explanation="Beam refuses a main input of another `Pipeline` when the step is "
        "applied, but not a side input. A script that builds two pipelines (`p` and "
        "`pipeline`) and reads `AsDict` of one in a step of the other fails when it runs: "
        "no step of the running pipeline produces the side input, and translating the step "
        "fails (\"KeyError: 'ref_PCollection_PCollection_9'\") before any worker starts.",
        fix="Build the side input from the same pipeline object as the step that reads it "
        "(`accounts = p | 'Accounts' >> beam.Create(rows)`), and drop the second pipeline.",
        example="p = beam.Pipeline(options=options)\n"
        "pipeline = beam.Pipeline(options=options)  # a second pipeline\n"
        "accounts = pipeline | beam.Create(rows)\n"
        "orders = p | beam.Create(data) | beam.Map(join, beam.pvalue.AsDict(accounts))\n",
        example_fixed="p = beam.Pipeline(options=options)\n"
        "accounts = p | beam.Create(rows)\n"
        "orders = p | beam.Create(data) | beam.Map(join, beam.pvalue.AsDict(accounts))\n",
    ),
    Rule(
        code="BD333",
        name="output-tag-undeclared",
        severity=E,
        also=(W,),
        severity_note="An error when the step also declares a tag that a later step reads "
        "and its code never emits to (that output is always empty). A warning otherwise: "
        "a plain ParDo with no `with_outputs`, or tags nobody reads.",
        reported_by=("check",),
        summary="A step emits TaggedOutput to a tag its ParDo does not declare: the elements "
        "are dropped.",
        explanation="`yield pvalue.TaggedOutput('invalid', x)` reaches the output tagged "
        "`'invalid'` only if the ParDo has it: a tag given to `.with_outputs(...)`, or read "
        "from its result (`results.invalid` after `.with_outputs()`). For any other tag the "
        "worker makes a receiver with no consumer and the elements vanish, with no error "
        "and no log line, on every runner (apache/beam#19437). The classic shape is a "
        "dead-letter tag spelled `'invalid'` in the DoFn and `'invalid_rows'` in "
        "`with_outputs`: the job succeeds and the dead-letter output is always empty. Only "
        "tags whose value the code fixes are compared (a constant, `self.TAG`, a global).",
        fix="Use one name for the tag in both places, best a constant: `INVALID = "
        "'invalid'`, then `TaggedOutput(INVALID, x)` and `.with_outputs(INVALID, main='rows')`.",
        example="class Validate(beam.DoFn):\n"
        "    def process(self, line):\n"
        "        if not line.strip():\n"
        "            yield beam.pvalue.TaggedOutput('invalid', line)  # dropped\n"
        "        else:\n"
        "            yield line\n"
        "\n"
        "results = lines | beam.ParDo(Validate()).with_outputs('invalid_rows', main='rows')\n"
        "results.invalid_rows | WriteToText(errors)  # always empty\n",
        example_fixed="INVALID = 'invalid'\n"
        "class Validate(beam.DoFn):\n"
        "    def process(self, line):\n"
        "        if not line.strip():\n"
        "            yield beam.pvalue.TaggedOutput(INVALID, line)\n"
        "        else:\n"
        "            yield line\n"
        "results = lines | beam.ParDo(Validate()).with_outputs(INVALID, main='rows')\n"
        "results[INVALID] | WriteToText(errors)\n",
    ),
]
