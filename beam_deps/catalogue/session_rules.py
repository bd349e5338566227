"""Rules about your code on the worker: the main session and module state (BD2xx), classes
and identity (BD3xx).

A new rule goes in its family's block with an explanation, a fix, an example and its fixed
example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    # ---------------------------------------------------------------- BD2 the main session
    Rule(
        code="BD201",
        name="name-undefined-on-worker",
        severity=E,
        reported_by=("check",),
        summary="A global name used by your code will be undefined on the worker (NameError).",
        explanation="With the dill picklers, a function defined in your script keeps its globals as a "
        "reference to the worker's `__main__`, which is `apache_beam.runners.worker."
        "sdk_worker_main`, not your script. Any module, constant or helper defined or imported "
        "at the top of your script is missing there and the call fails with NameError, minutes "
        "after submission. The simulated worker resolved every global the function reads.",
        fix="Import inside the function or in `DoFn.setup()`, move the code into a module that is "
        "staged (`beam-deps stage`, `--setup_file`), use `--save_main_session` (dill only), or "
        "use the default cloudpickle pickler, which carries the globals.",
        example="import numpy as np\n\ndef scale(x):\n    return np.float64(x) * 2  # NameError: np\n",
        example_fixed="def scale(x):\n    import numpy as np\n    return np.float64(x) * 2\n",
    ),
    Rule(
        code="BD202",
        name="name-defined-by-accident",
        severity=W,
        reported_by=("check",),
        summary="A global name resolves on the worker only by accident.",
        explanation="The name is not carried by the payload, but the worker's `__main__` "
        "(`sdk_worker_main`) happens to import a module of the same name (json, os, sys, "
        "logging, re, time, ...). It works today and breaks when Beam changes its imports, or "
        "when the name means something else in your script.",
        fix="Import the module inside the function, or stage the code as a module.",
        example="import json  # job.py, run with --pickle_library=dill\n"
        "\n"
        "def parse(line):\n"
        "    return json.loads(line)  # found only because sdk_worker_main imports json\n",
        example_fixed="def parse(line):\n    import json\n    return json.loads(line)\n",
    ),
    Rule(
        code="BD203",
        name="save-main-session-ineffective",
        severity=W,
        reported_by=("check",),
        also=(I,),
        severity_note="You asked for `--save_main_session`: warning. Beam turned it on by itself (service runners with cloudpickle) and nothing needs doing: info.",
        summary="--save_main_session does not do what this pipeline expects.",
        explanation="With cloudpickle (the default since Beam 2.65) `--save_main_session` saves only the "
        "coder, logical-type and schema registries, not your script's globals (cloudpickle "
        "already carries the globals each function uses). It also takes effect only where a "
        "worker boot program downloads the staged `pickled_main_session`; in-process runners "
        "never load it.",
        fix="Do not rely on the flag for script classes: define them in a module that is staged "
        "(`beam-deps stage`), or register a coder for them; drop the flag if nothing else needs "
        "it. `check` says this only where something relies on the worker's `__main__` (a "
        "script class an element coder pickles by reference, BD302).",
        example="class Point(NamedTuple):  # defined in the script\n"
        "    x: int\n"
        "    y: int\n"
        "\n"
        "# meant to ship Point to the workers: with cloudpickle it does not\n"
        "options = PipelineOptions(save_main_session=True)\n"
        "p | beam.Create([1, 2]) | beam.Map(lambda i: (i % 2, Point(i, i))) | beam.GroupByKey()\n",
        example_fixed="from shapes import Point  # a staged module (beam-deps stage ships it)\n"
        "\n"
        "options = PipelineOptions()\n"
        "p | beam.Create([1, 2]) | beam.Map(lambda i: (i % 2, Point(i, i))) | beam.GroupByKey()\n",
    ),
    Rule(
        code="BD204",
        name="main-session-unpicklable",
        severity=E,
        reported_by=("check",),
        summary="--save_main_session cannot pickle your script's globals.",
        explanation="With dill, `--save_main_session` dumps the whole `__main__` module at submission. "
        "One unpicklable global (a client, a connection, a lock held by a library object) makes "
        "the dump fail, or worse, makes workers fail while loading it before any DoFn runs.",
        fix="Create the object inside a function (`run()`, or `DoFn.setup()` for what workers use) "
        "instead of at module level: code under `if __name__ == '__main__':` still makes "
        "globals. Or stop relying on the main session (imports inside functions, staged "
        "modules).",
        example="conn = sqlite3.connect('cache.db')  # a global: --save_main_session dumps it\n"
        "options = PipelineOptions(pickle_library='dill', save_main_session=True)\n",
        example_fixed="def run():\n"
        "    conn = sqlite3.connect('cache.db')  # local to run(): not in the main session\n"
        "    options = PipelineOptions(pickle_library='dill', save_main_session=True)\n"
        "    ...\n",
    ),
    Rule(
        code="BD205",
        name="module-state-not-shared",
        severity=W,
        also=(E,),
        severity_note="A global your script reads after the pipeline ran (a result it expects back): error. Otherwise (it may be a per-worker cache): warning.",
        reported_by=("check",),
        summary="A DoFn mutates module-level state that workers do not share.",
        explanation="Each worker process has its own copy of every module global. Appending to a global "
        "list (or a list your class holds, `Job.found.append(x)`), incrementing a global "
        "counter or filling a global cache in a DoFn changes only that worker's copy; the "
        "submitting program never sees it, so results read back after the pipeline are empty "
        "or wrong.",
        fix="Return results as PCollection elements, or use Beam metrics (`Metrics.counter`) for "
        "counts. A per-worker cache is fine if nothing reads it back; one made lazily "
        "(`global MODEL; if MODEL is None: MODEL = load()`) is not reported at all.",
        example="SEEN = []\n\ndef remember(x):\n    SEEN.append(x)  # only this worker's copy\n    return x\n",
        example_fixed="seen = p | beam.Create(data) | beam.Map(lambda x: x)  # a PCollection\n",
    ),
    Rule(
        code="BD206",
        name="launch-state-not-on-worker",
        severity=E,
        reported_by=("check",),
        summary="Worker code reads module state of your own module that was changed while the pipeline was built.",
        explanation="Modules, and the functions and classes of modules a worker can import, "
        "travel by reference: the worker imports your module afresh and reads its "
        "module-level values as the module itself sets them. A setting changed while the "
        "pipeline is built (`jobconfig.ENV = args.env`), a class attribute set at launch "
        "(`Settings.limit = 5`) or a module-level registry your script fills (a decorator "
        "registering a function of the script) exists only in the submitting process. "
        "Nothing fails: the workers use the defaults and the results are silently wrong. "
        "beam-deps compares what the worker code reads (never `__init__`, which runs where "
        "the pipeline is built) between the submitting process, once the pipeline is built, "
        "and two fresh imports of the module with the script's path and folder; a value that "
        "differs here and is the same in both fresh imports (so not a timestamp or a process "
        "id) is reported. A name the worker code writes itself (a per-worker cache) is not.",
        fix="Pass the value to the transform: an argument (`beam.Map(tag, env=args.env)`, a "
        "DoFn constructor argument stored on `self`), a pipeline option read in "
        "`DoFn.setup()`, or a side input; or make the module compute it itself when it is "
        "imported, the same way on every machine.",
        example="import jobconfig\n"
        "\n"
        "def tag(word):\n"
        "    return f'{word}@{jobconfig.ENV}'  # 'dev' on the workers\n"
        "\n"
        "jobconfig.ENV = args.env  # 'prod', in this process only\n"
        "words | beam.Map(tag)\n",
        example_fixed="def tag(word, env):\n"
        "    return f'{word}@{env}'\n"
        "\n"
        "words | beam.Map(tag, env=args.env)  # pickled with the transform\n",
    ),
    Rule(
        code="BD207",
        name="launch-setting-not-on-worker",
        severity=E,
        also=(W,),
        severity_note="An error where the results surely differ: numpy print options with worker code that makes an array and turns it into text (`str()`, `repr()`), the decimal context with worker code that divides a `Decimal(...)` or rounds (`quantize`, `sqrt`), a generator seeded at launch whose drawn numbers are part of what the worker code emits. A warning for the other settings and uses (a raised recursion limit with worker code that calls itself, a lifted limit on int digits: how deep it recurses and how long a number gets are the data's; a drawn shard key or a shuffle; an exact decimal sum is the same at any precision, a numpy scalar in an f-string prints the same).",
        reported_by=("check",),
        summary="Worker code depends on a process-wide setting that was changed while the pipeline was built.",
        explanation="`decimal.getcontext().prec = 4`, `np.set_printoptions(precision=2)`, "
        "`np.seterr(all='raise')`, `pd.set_option(...)` and `locale.setlocale(...)` change a "
        "setting of the process that runs them (the decimal context only in that thread). "
        "A worker is another process that imports the library afresh, so the code running "
        "there computes and formats with the library's defaults: nothing fails, the results "
        "are silently different (`1/3` is `0.3333333333333333333333333333` instead of "
        "`0.3333`, an array prints with 8 digits instead of 2). The interpreter's own limits "
        "are the same: after `sys.setrecursionlimit(10000)` or `sys.set_int_max_str_digits(0)` "
        "at launch a worker still stops at 1000 nested calls (`RecursionError`) and at 4300 "
        "digits (`ValueError: Exceeds the limit (4300 digits) for integer string "
        "conversion`). And `random.seed(42)` or `np.random.seed(42)` at launch seeds this "
        "process's generator only: worker code drawing from `random.randint` or "
        "`np.random.rand` gets other numbers on every run. beam-deps reads each setting "
        "before your script runs and again once the pipeline is built (and watches the "
        "seeding calls while it runs), and reports a changed one where the worker code "
        "depends on it: uses that library (for display settings: where it also makes text, "
        "with `str()`, an f-string or `.to_string()`), calls itself, turns ints into text, "
        "draws from the seeded generator; not where that code sets its own "
        "(`decimal.localcontext()`, `np.printoptions()`, `sys.setrecursionlimit()` or "
        "`random.seed()` in `setup()`), and not for a setting a module makes when it is "
        "imported, since a worker importing it makes it too.",
        fix="Make the setting where the code runs: in `DoFn.setup()` (once per worker), or "
        "locally where it is used (`with decimal.localcontext() as ctx: ctx.prec = 4`, "
        "`np.array2string(a, precision=2)`, `with np.printoptions(precision=2):`); pass the "
        "value as an argument or a pipeline option. For a seed, draw from a generator of "
        'your own: `random.Random(f"{seed}:{key}")` per element (the same numbers in any '
        "bundle and on any worker) or one made in `setup()`.",
        example="decimal.getcontext().prec = args.precision  # this process only\n"
        "\n"
        "def share(x):\n"
        "    return str(decimal.Decimal(x) / 3)  # 28 digits on the workers\n"
        "\n"
        "numbers | beam.Map(share)\n",
        example_fixed="def share(x, precision):\n"
        "    with decimal.localcontext() as ctx:\n"
        "        ctx.prec = precision\n"
        "        return str(decimal.Decimal(x) / 3)\n"
        "\n"
        "numbers | beam.Map(share, precision=args.precision)\n",
    ),
    # ---------------------------------------------------------------- BD3 classes and identity
    Rule(
        code="BD301",
        name="nested-class",
        severity=W,
        reported_by=("check",),
        also=(I,),
        severity_note="A DoFn or CombineFn class defined inside a function travels by value harmlessly (its instances are never compared or encoded as elements): info. Any other class: warning.",
        summary="A class defined inside a function or another class is pickled.",
        explanation="A class whose `__qualname__` contains `<locals>` cannot be found by name on the "
        "worker, so it is pickled by value: each payload gets its own copy of the class, "
        "`isinstance` checks against it fail across payloads, and some picklers (dill before "
        "Beam's nested-class support) refuse it.",
        fix="Define the class at module level in a module that is staged.",
        example="def run(argv=None):\n"
        "    @dataclasses.dataclass\n"
        "    class Point:  # defined inside run()\n"
        "        x: int\n"
        "        y: int\n"
        "\n"
        "    with beam.Pipeline(argv=argv) as p:\n"
        "        p | beam.Create([(1, 2)]) | beam.Map(lambda t: Point(*t))\n",
        example_fixed="from geometry import Point  # module level, in a staged module\n"
        "\n"
        "def run(argv=None):\n"
        "    with beam.Pipeline(argv=argv) as p:\n"
        "        p | beam.Create([(1, 2)]) | beam.Map(lambda t: Point(*t))\n",
    ),
    Rule(
        code="BD302",
        name="main-class-as-element",
        severity=E,
        reported_by=("check",),
        also=(W,),
        severity_note="Instances reach a coder for sure: error. beam-deps could not read the source of the transform that makes them, so they may reach the shuffle: warning.",
        summary="Instances of a class defined in your script travel as elements.",
        explanation="Elements that are not of a registered type are encoded with Beam's fallback pickle "
        "coder, which stores classes by reference. A class defined in your script lives in "
        "`__main__`, so the worker fails with \"AttributeError: Can't get attribute 'X' on "
        "<module 'apache_beam.runners.worker.sdk_worker_main'>\" when it decodes them. Emitting "
        "them fails on the worker even with no shuffle after: it encodes a sample of every "
        "output for its element counters (\"Can't pickle <class '__main__.X'>: attribute "
        'lookup X on __main__ failed"). Keys are no exception unless a GroupByKey or a '
        "combine reads the pairs directly: only such an input gets Beam's deterministic "
        "key coder, which writes an Enum, a NamedTuple or a frozen dataclass with its class "
        "by value; the keys of pairs going into a `CoGroupByKey` (whose own tagging step "
        "reads them first) or into a Map take the plain coder. A coder you register "
        "(`register_coder(X, RowCoder)`) is used only for a PCollection whose type names "
        "`X`: a step that makes or passes on instances without declaring it (no "
        "`.with_output_types(X)`, no return hint) leaves them to the fallback. On the DirectRunner "
        "`__main__` is your script, so it runs there.",
        fix="Define the class in a module that is staged (`beam-deps stage`), or register a coder "
        "for it (`beam.coders.registry.register_coder(X, XCoder)`); for a `typing.NamedTuple`, "
        "`register_coder(X, beam.coders.RowCoder)` makes its instances schema rows.",
        example="class Order(typing.NamedTuple):  # defined in the pipeline script\n"
        "    sku: str\n"
        "    qty: int\n"
        "\n"
        "orders = p | beam.Create([Order('apple', 3), Order('pear', 1)])  # Create encodes them\n"
        "pairs = skus | beam.Map(lambda sku: (sku, Order(sku, 1)))\n"
        "grouped = pairs | beam.GroupByKey()  # the shuffle encodes them too\n",
        example_fixed="class Order(typing.NamedTuple):\n"
        "    sku: str\n"
        "    qty: int\n"
        "\n"
        "beam.coders.registry.register_coder(Order, beam.coders.RowCoder)  # schema rows\n"
        "orders = p | beam.Create([Order('apple', 3), Order('pear', 1)])\n"
        "grouped = skus | beam.Map(lambda sku: (sku, Order(sku, 1))) | beam.GroupByKey()\n"
        "# or: from shop.models import Order, a module staged with `beam-deps stage`\n",
    ),
    Rule(
        code="BD303",
        name="identity-by-value",
        severity=W,
        reported_by=("check",),
        also=(E,),
        severity_note="The class exists twice (the script also imported as a module): warning, instances of one are not instances of the other. The re-created class already makes pickling fail, so Beam cannot submit the pipeline: error.",
        summary='A class is pickled by value although it is also importable ("foo is not foo").',
        explanation="When a class travels by value, the worker rebuilds a new class object with the same "
        "name. Instances then fail `isinstance` against the importable class, Enum members "
        "compare unequal (`Color.RED is not Color.RED`), and dataclass or NamedTuple equality "
        "across the two copies is False. Pickle then reports \"Can't pickle <class 'X'>: it's "
        'not the same object as X" when an instance of one copy meets the other.',
        fix="Define the class once in an importable, staged module and import it from there in "
        "your script; do not define it in `__main__`.",
        example="# pipeline.py, run as `python pipeline.py`: its classes live in __main__\n"
        "class Color(enum.Enum):\n"
        "    RED = 1\n"
        "\n"
        "# transforms.py, imported by pipeline.py\n"
        "from pipeline import Color  # runs pipeline.py again as module `pipeline`: a second Color\n"
        "keep_red = beam.Filter(lambda c: c is Color.RED)  # False for __main__.Color.RED\n",
        example_fixed="# colors.py: the one definition, in a staged module\n"
        "class Color(enum.Enum):\n"
        "    RED = 1\n"
        "\n"
        "# pipeline.py and transforms.py\n"
        "from colors import Color\n",
    ),
    Rule(
        code="BD304",
        name="class-by-value",
        severity=I,
        reported_by=("check",),
        summary="A class defined in your script is pickled by value.",
        explanation="cloudpickle serialises classes defined in `__main__` by value: the class body travels "
        "with every payload that uses it. This works, but every payload rebuilds its own copy "
        "of the class.",
        fix="Fine for small pipelines; for shared types, move them to a staged module.",
        example="class Color(enum.Enum):  # defined in the script: every payload carries a copy\n"
        "    RED = 1\n"
        "    BLUE = 2\n"
        "\n"
        "names = codes | beam.Map(lambda c: Color(c).name)\n",
        example_fixed="from palette import Color  # a staged module: pickled by reference\n"
        "\n"
        "names = codes | beam.Map(lambda c: Color(c).name)\n",
    ),
    Rule(
        code="BD305",
        name="function-in-element",
        severity=E,
        reported_by=("check",),
        summary="A function travels inside the elements across a shuffle.",
        explanation="At a shuffle (GroupByKey, CombinePerKey, Reshuffle) the worker encodes each element. "
        "A value with no coder of its own goes through Beam's fallback coder, the standard "
        "`pickle`, whatever `--pickle_library` says, and the standard pickle refers to a "
        "function by name: a lambda or a `def` made inside your code fails with \"Can't "
        "pickle local object 'F.<locals>.g'\", a function of your script with \"attribute "
        "lookup g on __main__ failed\" (the worker's `__main__` is Beam's). A function "
        "picked from a dispatch table of your script (`HANDLERS[kind]`, "
        "`FORMATTERS.get(kind)`) counts when every entry is one of your script's functions.",
        fix="Send data, not code: emit what the function needs (a name, a factor) and apply a "
        "function of the consuming transform after the shuffle, or look the function up by "
        "name in a dict that the consuming transform carries.",
        example="class Route(beam.DoFn):\n"
        "    def process(self, row):\n"
        "        def scale(x):\n"
        "            return x * row[1]\n"
        "        yield row[0], scale  # a local function inside the element\n"
        "\n"
        "routed | beam.GroupByKey()\n",
        example_fixed="class Route(beam.DoFn):\n"
        "    def process(self, row):\n"
        "        yield row[0], row[1]  # the factor, not a function\n"
        "\n"
        "routed | beam.GroupByKey() | beam.MapTuple(lambda k, fs: [10 * f for f in fs])\n",
    ),
    Rule(
        code="BD306",
        name="value-changed-by-coder",
        severity=E,
        also=(W,),
        severity_note="A value the coder changes on every call (a float under a declared `int`), or a schema's tuple field the code after the shuffle hashes or compares: error. A changed value on a branch only some inputs take (None under `bool` in `a if c else None`): warning. A schema's tuple field whose use beam-deps cannot read, or a mapping's `get` without a default (None only where the data lacks the key): warning.",
        reported_by=("check",),
        summary="The coder a declared type picks gives back a value of another type.",
        explanation="Beam picks an element's coder from its declared type, and some coders do not give "
        "back what they were given. `int` picks `VarIntCoder`, which truncates a float "
        "(2.7 arrives as 2) without an error; `bool` picks `BooleanCoder`, which gives None "
        "back as False and any other value as its truth. A `typing.NamedTuple` with `RowCoder` (a "
        "schema) gives a `Tuple[...]` field back as a `list` (Beam 2.77 and older; 2.78 gives a "
        "tuple), which is unhashable (a dict "
        "key or a set member fails with \"TypeError: unhashable type: 'list'\") and never "
        "equal to a tuple. Between fused steps nothing is encoded, so the change appears only "
        "at a shuffle that encodes the elements (a `GroupByKey`; a combine per key is lifted "
        "before its shuffle, so accumulators cross it), and often only on a cluster. Reported where the declared type says so "
        "and the code shows the value (a literal, or an expression of one type whatever its "
        "inputs, such as a true division returned under `-> int`, or an item of a table of "
        "your script whose values all have one type, `WEIGHTS[kind]`; beam-deps puts it "
        "through Beam's own coder): an error, "
        "the results are wrong. For a schema's tuple field: an error where the code after the "
        "shuffle hashes or compares the field (a set member, a dict key, `==`), nothing where "
        "it converts every read (`tuple(row.span)`, iterating it), a warning where beam-deps "
        "cannot tell.",
        fix="Declare the type the values have (`-> float`, `Tuple[str, float]`); for a schema, "
        "convert the field back (`tuple(row.span)`) after the shuffle, or declare it "
        "`Sequence[int]` to say it is a list.",
        example="def halve(kv) -> Tuple[str, int]:\n"
        "    return kv[0], kv[1] / 2  # a float, encoded as an int: truncated\n"
        "\n"
        "pairs | beam.Map(halve) | beam.GroupByKey() | beam.MapTuple(lambda k, vs: (k, sum(vs)))\n",
        example_fixed="def halve(kv) -> Tuple[str, float]:\n"
        "    return kv[0], kv[1] / 2\n"
        "\n"
        "pairs | beam.Map(halve) | beam.GroupByKey() | beam.MapTuple(lambda k, vs: (k, sum(vs)))\n",
    ),
    Rule(
        code="BD307",
        name="class-rebuilt-without-bases",
        severity=E,
        reported_by=("check",),
        summary="dill 0.3.6+ rebuilds a transform class of your script without its bases.",
        explanation="dill 0.3.6 and newer (`--pickle_library=dill_unsafe`) pickle a class of "
        "`__main__` by value and rebuild it on the worker from its `__orig_bases__` when it has "
        "one. A subclass of `beam.PTransform` (a `typing.Generic`) inherits PTransform's, so it "
        "is rebuilt with PTransform's own bases (`WithTypeHints`, `HasDisplayData`, `Generic`): "
        "`PTransform` and your own base classes are gone from it there. Code that runs on the "
        "worker and reads what the class inherits (`self.label`, a helper of your base "
        "transform) fails with \"AttributeError: 'X' object has no attribute 'y'\", with or "
        "without `--save_main_session`. cloudpickle and dill 0.3.1.1 keep the bases.",
        fix="In code that runs on the worker, read only what the class defines itself: define "
        "the helper on the class (or as a function), read `self.label` and other inherited "
        "attributes in `expand()` and pass the value; or move the transform into a staged "
        "module (pickled by reference), or use cloudpickle (Beam's default).",
        example="class TextTransform(beam.PTransform):\n"
        "    def clean(self, word):\n"
        "        return word.lower()\n"
        "\n"
        "class CleanWords(TextTransform):\n"
        "    def words(self, line):\n"
        "        return [self.clean(w) for w in line.split()]  # no attribute 'clean' there\n"
        "\n"
        "    def expand(self, pcoll):\n"
        "        return pcoll | beam.FlatMap(self.words)\n",
        example_fixed="class CleanWords(beam.PTransform):\n"
        "    def clean(self, word):  # the class's own method travels with it\n"
        "        return word.lower()\n"
        "\n"
        "    def words(self, line):\n"
        "        return [self.clean(w) for w in line.split()]\n"
        "\n"
        "    def expand(self, pcoll):\n"
        "        return pcoll | beam.FlatMap(self.words)\n",
    ),
    Rule(
        code="BD308",
        name="value-refused-by-coder",
        severity=E,
        also=(W,),
        severity_note="A value the code gives on every call (a literal, an expression of one type, the end of a Map's `def` that never returns a value): error. A value on a branch only some inputs take (inside an `if`, an `except`, one side of `a if c else b`, the end of a `def` that returns a value on another path), or a mapping's `get` without a default: warning, since the data decides whether a worker meets it.",
        reported_by=("check",),
        summary="The coder a declared type picks cannot encode a value the code emits.",
        explanation="Beam picks an element's coder from its declared type (a return annotation "
        "such as `-> Tuple[str, int]`, or `.with_output_types(...)`), and at a shuffle every "
        "element is encoded with it; everywhere else the worker encodes each transform's "
        "output with it to estimate its size (always the first elements of a bundle, then a "
        "sample). A value it cannot encode makes the job fail, reported against the "
        "transform that produced it, on the DirectRunner too once such a value comes: None "
        'under `int` ("TypeError: an '
        "integer is required\"), bytes under `str` (\"AttributeError: 'bytes' object has no "
        'attribute \'encode\'"), a str under `bytes` ("TypeError: Expected bytes, got str"), '
        "and a Map whose function returns None on some path (a parse function that skips bad "
        'lines with `if ...: return k, v` and no `else`) under a pair type ("TypeError: '
        "'NoneType' object is not iterable\"). Reported where the declared type says it "
        "and the code shows the value: a literal (`None`), an expression of one type "
        "whatever its inputs (`s.encode()`, an f-string, `str(x)`), or the end of a Map's "
        "`def` reached without a `return`. It is an error where every call gives such a "
        "value, and a warning where only some inputs do (a branch of an `if`, an `except`, "
        "the end of a `def` that returns a value on another path, a mapping's `.get(key)` "
        "without a default): the data decides whether a worker meets it. beam-deps puts the "
        "value through Beam's own coder, "
        "so the message is the worker's.",
        fix="Declare the type the values really have (`Optional[int]` for a value that may be "
        "None, `bytes` for encoded text), or make the code emit that type; to drop bad input, "
        "use `beam.FlatMap` and `yield` only the good elements (or `beam.Filter` before the "
        "shuffle) instead of returning None from a `Map`.",
        example="def parse(line) -> Tuple[str, int]:\n"
        "    name, count = line.split(',')\n"
        "    if count.isdigit():\n"
        "        return name, int(count)\n"
        "    # a bad line: the function returns None\n"
        "\n"
        "lines | beam.Map(parse) | beam.GroupByKey()\n",
        example_fixed="def parse(line) -> Iterable[Tuple[str, int]]:\n"
        "    name, count = line.split(',')\n"
        "    if count.isdigit():\n"
        "        yield name, int(count)\n"
        "\n"
        "lines | beam.FlatMap(parse) | beam.GroupByKey()\n",
    ),
    Rule(
        code="BD310",
        name="key-not-deterministic",
        severity=E,
        also=(W,),
        severity_note="A key every call gives: error. A key on a branch only some inputs take: warning.",
        reported_by=("check",),
        summary="A grouping key of a type Beam's deterministic coder refuses or changes.",
        explanation="A shuffle (GroupByKey, CombinePerKey, Count.PerKey, Count.PerElement, "
        "Distinct) groups equal keys by their bytes, so Beam encodes each key with a "
        "deterministic coder. For a key whose type is not declared it takes Python's own "
        "scalars (int, float, str, bytes, bool, None), tuples and lists of them, Enum "
        "members, NamedTuples and frozen dataclasses. A `datetime.date` or `datetime`, a "
        "`Decimal`, a `frozenset` or a dataclass that is not frozen is refused by every "
        "version, and a numpy scalar (`np.int64(x)`, `np.floor(x / 10)`) from Beam 2.62 on "
        "(\"Unable to deterministically encode '1' of type '<class 'numpy.int64'>', please "
        "provide a type hint for the input of 'GroupByKey'\"). Beam 2.61 on Python 3.11+ "
        "encodes a numpy scalar key by its empty state: every "
        "key arrives as 0 and keys that differ are grouped together, silently. Reported "
        "where the code fixes the key's type: a call of numpy's scalar types or functions, "
        "a `datetime` constructor or `.date()` (also of a variable set once, `ts = "
        "datetime.strptime(...)`), `Decimal(...)`, `frozenset(...)`, a dataclass of yours; "
        "and the keys of `Create` values that go straight into a shuffle. Beam's steps that "
        "hand each element on as it is (a `Reshuffle`, a `WindowInto`) may stand between "
        "the code and the shuffle. beam-deps puts a "
        "key of that type through Beam's own coder, so the message is the worker's for "
        "the Beam you have. With `--allow_non_deterministic_key_coders` Beam pickles the keys "
        "instead, and nothing is claimed.",
        fix="Make the key a Python value: `int(k)` or `k.item()` for a numpy scalar, "
        "`d.isoformat()` for a date, `str(amount)` for a Decimal, `tuple(sorted(s))` for a "
        "frozenset; or declare the dataclass `@dataclass(frozen=True)`.",
        example="def bucket(x):\n"
        "    return np.floor(x / 10), 1  # a numpy.float64 key\n"
        "\n"
        "values | beam.Map(bucket) | beam.CombinePerKey(sum)\n",
        example_fixed="def bucket(x):\n"
        "    return int(np.floor(x / 10)), 1  # a Python int key\n"
        "\n"
        "values | beam.Map(bucket) | beam.CombinePerKey(sum)\n",
    ),
    Rule(
        code="BD309",
        name="map-emits-none",
        severity=E,
        also=(W,),
        severity_note="An error where a sink or your own code reads the Nones. A warning where only Beam's own steps read them (a `Count` or a `Reshuffle` may only count or move them).",
        reported_by=("check",),
        summary="A Map whose function returns nothing feeds a later step: every element is None.",
        explanation="`beam.Map` emits exactly one element per input, whatever its function "
        "returns. A function that only has an effect returns None: `print`, `logging.info`, "
        "`rows.append(x)`, a `def` with no `return` value. At the end of a chain that is "
        "harmless (`| beam.Map(print)` to look at the elements), but a step that reads the "
        "Map's output gets None for every element: `WriteToText` writes the text 'None' once "
        "per element, a step that uses the element fails on it (\"'NoneType' object is not "
        'subscriptable"). Reported where the function surely returns None and a later '
        "step reads the output.",
        fix="Return the element (`beam.Map(lambda x: print(x) or x)` prints and keeps it), "
        "use `beam.FlatMap` and `yield` what goes on, or move the `beam.Map(print)` to a "
        "branch of its own (`elements | beam.Map(print)` next to the main chain).",
        example="words | beam.Map(str.upper) | beam.Map(print) | beam.io.WriteToText(out)\n",
        example_fixed="upper = words | beam.Map(str.upper)\n"
        "upper | beam.Map(print)  # a branch of its own: nothing reads its Nones\n"
        "upper | beam.io.WriteToText(out)\n",
    ),
]
