"""The diagnostic catalogue: one table, the single source of truth.

`beam-deps explain`, the renderers and the website's rule pages all read this table, so
they can never disagree. Codes are grouped by family (the hundreds digit):

* BD0xx  the tool itself
* BD1xx  pickling on the submitting side
* BD2xx  the main session
* BD3xx  classes and identity
* BD4xx  dependencies and version skew
* BD5xx  staging and worker boot
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beam_deps.diagnostics import DOCS_URL, Diagnostic, Severity


@dataclass(frozen=True)
class Rule:
    """One entry of the catalogue: the single source for `explain`, the website and renderers."""

    code: str
    name: str
    severity: Severity
    family: str
    summary: str
    explanation: str
    fix: str
    example: str = ""
    example_fixed: str = ""

    @property
    def url(self) -> str:
        return f"{DOCS_URL}{self.code}/"


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

FAMILIES = {
    "BD0": "The tool itself",
    "BD1": "Pickling on the submitting side",
    "BD2": "The main session",
    "BD3": "Classes and identity",
    "BD4": "Dependencies and version skew",
    "BD5": "Staging and worker boot",
}

_RULES = [
    # ---------------------------------------------------------------- BD0 the tool
    Rule(
        "BD001",
        "analysis-incomplete",
        I,
        "BD0",
        "Part of the analysis could not be completed.",
        "beam-deps hit an internal limit or an object that resisted inspection (for example a "
        "property that raises, or a structure larger than the inspection budget). What was "
        "analysed is still reported; what was not is named in the message so nothing is "
        "silently skipped.",
        "Usually nothing to do. If the message names a part of your object, check it by hand "
        "or run with --debug and report the case.",
        "$ beam-deps check job.py --worker-image gcr.io/my-proj/etl-worker:latest\n"
        "job.py:31: BD001 [info] worker image gcr.io/my-proj/etl-worker:latest is not a Beam SDK image name (apache/beam_pythonX.Y_sdk:VERSION), so its Python and apache-beam versions were not compared with yours\n",
        "$ docker run --rm --entrypoint pip gcr.io/my-proj/etl-worker:latest freeze > worker-freeze.txt\n"
        "$ beam-deps check job.py --worker-image gcr.io/my-proj/etl-worker:latest \\\n"
        "    --worker-python 3.11 --worker-requirements worker-freeze.txt\n",
    ),
    Rule(
        "BD002",
        "transform-construction-failed",
        E,
        "BD0",
        "Building a transform raised an error that is not about pickling.",
        "While the pipeline was being constructed, applying a transform raised. The pipeline "
        "cannot be submitted until it constructs; beam-deps records the error and keeps "
        "building so that every other problem is still reported. The most common case is an "
        "input that does not exist where you run the check: Beam's file-based reads "
        "(`ReadFromText`, `ReadFromParquet`...) match their pattern when they are built.",
        "Fix the error the message quotes: Beam raised it at the line shown (run the script "
        "with `python` to see the whole traceback). For an input that does not exist here, "
        "pass real inputs after `--` or build the read with `validate=False`.",
        "# the files exist only on the cluster's shared disk, not where you run the check\n"
        "lines = p | 'Read' >> beam.io.ReadFromText('/mnt/shared/orders-*.csv')\n",
        "# do not match the pattern while building: the files appear at run time\n"
        "lines = p | 'Read' >> beam.io.ReadFromText('/mnt/shared/orders-*.csv', validate=False)\n",
    ),
    Rule(
        "BD003",
        "arguments-ignored",
        W,
        "BD0",
        "Beam options given on the command line never reach the pipeline.",
        "`beam.Pipeline()` without `options` or `argv` builds its options from an empty list, "
        "not from `sys.argv`, and a script may also pass its own list. Options such as "
        "`--runner`, `--requirements_file` or `--extra_package` (the ones `beam-deps stage` "
        "prints) then have no effect: the job runs with the defaults and ships nothing.",
        "Build the options from the command line: `beam.Pipeline(argv=sys.argv[1:])`, or "
        "`PipelineOptions(pipeline_args)` with what argparse did not consume.",
        "with beam.Pipeline() as p:  # python job.py --extra_package=dist/x.whl: ignored\n"
        "    ...\n",
        "with beam.Pipeline(argv=sys.argv[1:]) as p:\n    ...\n",
    ),
    # ---------------------------------------------------------------- BD1 pickling
    Rule(
        "BD101",
        "unpicklable-object",
        E,
        "BD1",
        "Part of the object cannot be pickled.",
        "Everything a worker runs is pickled on your machine when the pipeline is built and "
        "again when it is submitted. One unpicklable part anywhere in a DoFn, its arguments, "
        "its closure or the globals it uses makes the whole payload fail (Beam reports only "
        "the first one, as 'Unable to pickle fn ...'). The path shows where the part is.",
        "Do not capture the object: create it on the worker in `DoFn.setup()` (or lazily in "
        "`process`) and keep only what is needed to build it (a path, a URL, a config dict).",
        "class Enrich(beam.DoFn):\n"
        "    def __init__(self):\n"
        "        self.conn = sqlite3.connect('db.sqlite')  # cannot be pickled\n",
        "class Enrich(beam.DoFn):\n"
        "    def __init__(self, path):\n"
        "        self.path = path\n"
        "    def setup(self):\n"
        "        self.conn = sqlite3.connect(self.path)\n",
    ),
    Rule(
        "BD102",
        "excessive-recursion",
        E,
        "BD1",
        "The object graph is too deep to pickle.",
        "Picklers recurse once per level of nesting. A long linked structure (a linked list, "
        "a deep tree, a chain of wrapped objects) exceeds Python's recursion limit and the "
        "submission fails with RecursionError or 'Could not pickle object as excessively deep "
        "recursion required'. The message gives the depth and the repeating chain.",
        "Flatten the structure (store a list instead of a chain of nodes), build it on the "
        "worker in `setup()`, or pass it as a side input so it travels as data.",
        "node = None\nfor i in range(100_000):\n    node = Node(i, next=node)\n"
        "beam.Map(lambda x: x in node)\n",
        "values = set(range(100_000))\nbeam.Map(lambda x, values: x in values, values)\n",
    ),
    Rule(
        "BD103",
        "generator-captured",
        E,
        "BD1",
        "A generator or iterator in the middle of iteration is captured.",
        "Generators cannot be pickled ('cannot pickle generator object'); Beam's dill support "
        "rejects them outright. Other iterators pickle as a snapshot, so on the worker they "
        "start from wherever your machine left them, and each worker gets its own copy.",
        "Capture the data (a list or tuple), or the function that makes the generator, and "
        "create the generator inside `process`.",
        "rows = (r for r in read_rows())\nbeam.Map(lambda x: next(rows))\n",
        "rows = list(read_rows())\nbeam.Map(lambda x, rows=rows: rows[x])\n",
    ),
    Rule(
        "BD104",
        "lock-recreated",
        W,
        "BD1",
        "A lock, condition or event is captured: each worker gets a new, unrelated one.",
        "Beam registers reducers so that `threading.Lock` and `RLock` pickle as brand-new, "
        "unlocked locks. The pickle succeeds, but the lock no longer synchronises anything "
        "with the submitting process or with other workers: each DoFn copy has its own.",
        "Create the lock in `DoFn.setup()`. To coordinate across workers use Beam state, "
        "side inputs or an external service, not a lock.",
        "class Counter(beam.DoFn):\n    def __init__(self):\n        self.lock = threading.Lock()\n",
        "class Counter(beam.DoFn):\n    def setup(self):\n        self.lock = threading.Lock()\n",
    ),
    Rule(
        "BD105",
        "open-file-captured",
        W,
        "BD1",
        "An open file is captured.",
        "A file opened for reading is pickled by content: the worker gets a copy of what the "
        "file held on your machine at submission, not the file (and a large file makes a "
        "large payload). A file opened for writing, or a closed file, cannot be pickled at all.",
        "Capture the path and open the file on the worker (in `setup()` or `process`), or "
        "read the data with a Beam IO such as `ReadFromText`.",
        "fh = open('lookup.csv')\nbeam.Map(lambda x: lookup(fh, x))\n",
        "beam.Map(lambda x, path='gs://bucket/lookup.csv': lookup(path, x))\n",
    ),
    Rule(
        "BD106",
        "connection-captured",
        E,
        "BD1",
        "A socket, database connection or cursor, or a client holding one, is captured.",
        "Sockets, `sqlite3` connections and cursors, DB-API connections and SSL contexts wrap "
        "operating-system resources that exist only in your process. They cannot be pickled, "
        "and a reconnecting wrapper would still point at a host the worker may not reach. A "
        "library's client (a database, HTTP or cloud client holding connections, locks or "
        "background threads) fails somewhere inside; it is reported once, at the client your "
        "code holds, with the inner part that fails in the message.",
        "Keep connection parameters on the DoFn and connect in `DoFn.setup()`; close in "
        "`DoFn.teardown()`.",
        "class Write(beam.DoFn):\n    def __init__(self):\n        self.sock = socket.create_connection(ADDR)\n",
        "class Write(beam.DoFn):\n    def setup(self):\n        self.sock = socket.create_connection(ADDR)\n",
    ),
    Rule(
        "BD107",
        "thread-or-executor-captured",
        E,
        "BD1",
        "A thread, thread pool or process pool is captured.",
        "Threads and executors cannot be pickled, and one that did would not be running on "
        "the worker. Objects that own one (many client libraries do) fail the same way.",
        "Start threads and pools in `DoFn.setup()` and shut them down in `DoFn.teardown()`.",
        "class Fetch(beam.DoFn):\n    def __init__(self):\n        self.pool = ThreadPoolExecutor(8)\n",
        "class Fetch(beam.DoFn):\n    def setup(self):\n        self.pool = ThreadPoolExecutor(8)\n",
    ),
    Rule(
        "BD108",
        "queue-copied",
        W,
        "BD1",
        "A queue is captured: each worker gets its own copy.",
        "`queue.Queue` and friends pickle (Beam recreates their locks), but the worker gets a "
        "frozen copy of the items queued at submission. Nothing put on it by a worker is ever "
        "seen by your program or by other workers; a multiprocessing queue cannot be pickled.",
        "Pass data through PCollections and side inputs, not queues; create per-worker queues "
        "in `setup()`.",
        "done = queue.Queue()\n"
        "p | beam.Create(ids) | beam.Map(lambda i: done.put(fetch(i)))\n"
        "# after run(), done is still empty: each worker filled its own copy\n",
        "fetched = p | beam.Create(ids) | beam.Map(fetch)\n"
        "fetched | beam.io.WriteToText('gs://bucket/fetched')\n",
    ),
    Rule(
        "BD109",
        "large-payload",
        W,
        "BD1",
        "The pickled payload is very large.",
        "Each payload is embedded in the pipeline proto, sent to the runner and unpickled by "
        "every worker for every bundle's DoFn instance. Large payloads slow submission, can "
        "exceed runner limits (Dataflow rejects jobs whose request is over about 20 MB) and use "
        "worker memory. Usually a large list, array or model was captured by accident.",
        "Load large data on the worker in `setup()` from storage, or pass it as a side input.",
        "model = load_model()  # 300 MB\nbeam.Map(lambda x: model.predict(x))\n",
        "class Predict(beam.DoFn):\n    def setup(self):\n        self.model = load_model()\n",
    ),
    Rule(
        "BD110",
        "secret-captured",
        W,
        "BD1",
        "A value that looks like a secret is pickled into the payload.",
        "Pipeline payloads are stored in the job graph, shown in runner UIs and kept in logs "
        "and templates. A value equal to one of your environment variables with a secret-like "
        "name, shaped like an access key, a private key or a token (a Stripe key, an "
        "`Authorization: Bearer` header), or held under a secret's name (a `DB_PASSWORD` "
        "global a function reads, a `password` key or attribute) is readable by anyone who "
        "can read the job. The message never shows the value.",
        "Read secrets on the worker (a secret manager, the worker's environment) in "
        "`DoFn.setup()` rather than capturing the value.",
        "API_KEY = os.environ['API_KEY']\nbeam.Map(lambda x: call(x, API_KEY))\n",
        "class Call(beam.DoFn):\n    def setup(self):\n        self.key = fetch_secret('api-key')\n",
    ),
    Rule(
        "BD111",
        "pipeline-object-captured",
        W,
        "BD1",
        "A Pipeline or PCollection is captured by code that runs on workers.",
        "Beam pickles a Pipeline as the string 'Pickled pipeline stub.' and a PCollection as an "
        "invalid placeholder, so the pickle succeeds, but on the worker the object is useless: "
        "there is no pipeline to apply transforms to and no data in the PCollection.",
        "Pass a PCollection's contents as a side input (`beam.pvalue.AsList(pcoll)`, "
        "`AsDict`, `AsSingleton`) instead of capturing the PCollection.",
        "lookup = p | 'Lookup' >> beam.Create([1, 2])\nbeam.Filter(lambda x: x in lookup)\n",
        "lookup = p | 'Lookup' >> beam.Create([1, 2])\n"
        "beam.Filter(lambda x, keep: x in keep, beam.pvalue.AsList(lookup))\n",
    ),
    # ---------------------------------------------------------------- BD2 main session
    Rule(
        "BD201",
        "name-undefined-on-worker",
        E,
        "BD2",
        "A global name used by your code will be undefined on the worker (NameError).",
        "With the dill picklers, a function defined in your script keeps its globals as a "
        "reference to the worker's `__main__`, which is `apache_beam.runners.worker."
        "sdk_worker_main`, not your script. Any module, constant or helper defined or imported "
        "at the top of your script is missing there and the call fails with NameError, minutes "
        "after submission. The simulated worker resolved every global the function reads.",
        "Import inside the function or in `DoFn.setup()`, move the code into a module that is "
        "staged (`beam-deps stage`, `--setup_file`), use `--save_main_session` (dill only), or "
        "use the default cloudpickle pickler, which carries the globals.",
        "import numpy as np\n\ndef scale(x):\n    return np.float64(x) * 2  # NameError: np\n",
        "def scale(x):\n    import numpy as np\n    return np.float64(x) * 2\n",
    ),
    Rule(
        "BD202",
        "name-defined-by-accident",
        W,
        "BD2",
        "A global name resolves on the worker only by accident.",
        "The name is not carried by the payload, but the worker's `__main__` "
        "(`sdk_worker_main`) happens to import a module of the same name (json, os, sys, "
        "logging, re, time, ...). It works today and breaks when Beam changes its imports, or "
        "when the name means something else in your script.",
        "Import the module inside the function, or stage the code as a module.",
        "import json  # job.py, run with --pickle_library=dill\n"
        "\n"
        "def parse(line):\n"
        "    return json.loads(line)  # found only because sdk_worker_main imports json\n",
        "def parse(line):\n    import json\n    return json.loads(line)\n",
    ),
    Rule(
        "BD203",
        "save-main-session-ineffective",
        W,
        "BD2",
        "--save_main_session does not do what this pipeline expects.",
        "With cloudpickle (the default since Beam 2.65) `--save_main_session` saves only the "
        "coder, logical-type and schema registries, not your script's globals (cloudpickle "
        "already carries the globals each function uses). It also takes effect only where a "
        "worker boot program downloads the staged `pickled_main_session`; in-process runners "
        "never load it.",
        "Drop the flag, or, if your code relies on it, make the code self-contained: imports "
        "inside functions, or modules staged with `beam-deps stage`.",
        "import numpy as np\n"
        "\n"
        "def scale(x):\n"
        "    return np.float64(x) * 2\n"
        "\n"
        "options = PipelineOptions(save_main_session=True)  # meant to ship np: cloudpickle does\n",
        "import numpy as np\n"
        "\n"
        "def scale(x):\n"
        "    return np.float64(x) * 2  # cloudpickle carries np with scale\n"
        "\n"
        "options = PipelineOptions()\n",
    ),
    Rule(
        "BD204",
        "main-session-unpicklable",
        E,
        "BD2",
        "--save_main_session cannot pickle your script's globals.",
        "With dill, `--save_main_session` dumps the whole `__main__` module at submission. "
        "One unpicklable global (a client, a connection, a lock held by a library object) makes "
        "the dump fail, or worse, makes workers fail while loading it before any DoFn runs.",
        "Create the object inside a function (`run()`, or `DoFn.setup()` for what workers use) "
        "instead of at module level: code under `if __name__ == '__main__':` still makes "
        "globals. Or stop relying on the main session (imports inside functions, staged "
        "modules).",
        "conn = sqlite3.connect('cache.db')  # a global: --save_main_session dumps it\n"
        "options = PipelineOptions(pickle_library='dill', save_main_session=True)\n",
        "def run():\n"
        "    conn = sqlite3.connect('cache.db')  # local to run(): not in the main session\n"
        "    options = PipelineOptions(pickle_library='dill', save_main_session=True)\n"
        "    ...\n",
    ),
    Rule(
        "BD205",
        "module-state-not-shared",
        W,
        "BD2",
        "A DoFn mutates module-level state that workers do not share.",
        "Each worker process has its own copy of every module global. Appending to a global "
        "list, incrementing a global counter or filling a global cache in a DoFn changes only "
        "that worker's copy; the submitting program never sees it, so results read back after "
        "the pipeline are empty or wrong.",
        "Return results as PCollection elements, or use Beam metrics (`Metrics.counter`) for "
        "counts. A per-worker cache is fine if nothing reads it back.",
        "SEEN = []\n\ndef remember(x):\n    SEEN.append(x)  # only this worker's copy\n    return x\n",
        "seen = p | beam.Create(data) | beam.Map(lambda x: x)  # a PCollection\n",
    ),
    # ---------------------------------------------------------------- BD3 classes and identity
    Rule(
        "BD301",
        "nested-class",
        W,
        "BD3",
        "A class defined inside a function or another class is pickled.",
        "A class whose `__qualname__` contains `<locals>` cannot be found by name on the "
        "worker, so it is pickled by value: each payload gets its own copy of the class, "
        "`isinstance` checks against it fail across payloads, and some picklers (dill before "
        "Beam's nested-class support) refuse it.",
        "Define the class at module level in a module that is staged.",
        "def run(argv=None):\n"
        "    @dataclasses.dataclass\n"
        "    class Point:  # defined inside run()\n"
        "        x: int\n"
        "        y: int\n"
        "\n"
        "    with beam.Pipeline(argv=argv) as p:\n"
        "        p | beam.Create([(1, 2)]) | beam.Map(lambda t: Point(*t))\n",
        "from geometry import Point  # module level, in a staged module\n"
        "\n"
        "def run(argv=None):\n"
        "    with beam.Pipeline(argv=argv) as p:\n"
        "        p | beam.Create([(1, 2)]) | beam.Map(lambda t: Point(*t))\n",
    ),
    Rule(
        "BD302",
        "main-class-as-element",
        E,
        "BD3",
        "Instances of a class defined in your script travel as elements.",
        "Elements that are not of a registered type are encoded with Beam's fallback pickle "
        "coder, which stores classes by reference. A class defined in your script lives in "
        "`__main__`, so the worker fails with \"AttributeError: Can't get attribute 'X' on "
        "<module 'apache_beam.runners.worker.sdk_worker_main'>\" when it decodes them.",
        "Define the class in a module that is staged (`beam-deps stage`), or register a coder "
        "for it (`beam.coders.registry.register_coder(X, XCoder)`); for a `typing.NamedTuple`, "
        "`register_coder(X, beam.coders.RowCoder)` makes its instances schema rows.",
        "class Order:  # defined in the pipeline script\n"
        "    def __init__(self, sku, qty):\n"
        "        self.sku, self.qty = sku, qty\n"
        "\n"
        "orders = p | beam.Create([Order('apple', 3), Order('pear', 1)])\n",
        "from shop.models import Order  # a module staged with `beam-deps stage`\n"
        "\n"
        "orders = p | beam.Create([Order('apple', 3), Order('pear', 1)])\n",
    ),
    Rule(
        "BD303",
        "identity-by-value",
        W,
        "BD3",
        'A class is pickled by value although it is also importable ("foo is not foo").',
        "When a class travels by value, the worker rebuilds a new class object with the same "
        "name. Instances then fail `isinstance` against the importable class, Enum members "
        "compare unequal (`Color.RED is not Color.RED`), and dataclass or NamedTuple equality "
        "across the two copies is False. Pickle then reports \"Can't pickle <class 'X'>: it's "
        'not the same object as X" when an instance of one copy meets the other.',
        "Define the class once in an importable, staged module and import it from there in "
        "your script; do not define it in `__main__`.",
        "# pipeline.py, run as `python pipeline.py`: its classes live in __main__\n"
        "class Color(enum.Enum):\n"
        "    RED = 1\n"
        "\n"
        "# transforms.py, imported by pipeline.py\n"
        "from pipeline import Color  # runs pipeline.py again as module `pipeline`: a second Color\n"
        "keep_red = beam.Filter(lambda c: c is Color.RED)  # False for __main__.Color.RED\n",
        "# colors.py: the one definition, in a staged module\n"
        "class Color(enum.Enum):\n"
        "    RED = 1\n"
        "\n"
        "# pipeline.py and transforms.py\n"
        "from colors import Color\n",
    ),
    Rule(
        "BD304",
        "class-by-value",
        I,
        "BD3",
        "A class defined in your script is pickled by value.",
        "cloudpickle serialises classes defined in `__main__` by value: the class body travels "
        "with every payload that uses it. This works, but every payload rebuilds its own copy "
        "of the class.",
        "Fine for small pipelines; for shared types, move them to a staged module.",
        "class Color(enum.Enum):  # defined in the script: every payload carries a copy\n"
        "    RED = 1\n"
        "    BLUE = 2\n"
        "\n"
        "names = codes | beam.Map(lambda c: Color(c).name)\n",
        "from palette import Color  # a staged module: pickled by reference\n"
        "\n"
        "names = codes | beam.Map(lambda c: Color(c).name)\n",
    ),
    # ---------------------------------------------------------------- BD4 dependencies
    Rule(
        "BD401",
        "module-not-on-worker",
        E,
        "BD4",
        "A module the payload needs is installed here but not on the worker.",
        "The payload refers to this module by name (pickled by reference, or imported by a "
        "function). It is installed in your environment, but neither the worker image nor the "
        "staged requirements provide it, so the worker fails with ModuleNotFoundError when it "
        "unpickles or runs the code.",
        "Stage it: `beam-deps stage SCRIPT` writes a requirements file pinned to your "
        "installed versions, or add it to `--requirements_file` or to your custom container.",
        "def similarity(pair):\n"
        "    from rapidfuzz import fuzz  # installed here, not in the worker image\n"
        "    return fuzz.ratio(*pair)\n",
        "$ beam-deps run job.py -- --runner=DataflowRunner --project=my-proj --region=europe-west1\n"
        "# stages rapidfuzz pinned to the version installed here, then submits\n",
    ),
    Rule(
        "BD402",
        "local-code-not-staged",
        E,
        "BD4",
        "Local code (a module next to your script) is not shipped to the worker.",
        "Modules next to your script are importable on your machine because the script's "
        "folder is on `sys.path`. Workers do not have your folder, so they fail with "
        "ModuleNotFoundError. (DirectRunner and in-process tests hide this.)",
        "Ship the code: `beam-deps stage` builds a wheel of your local modules, or use "
        "`--setup_file` with a `setup.py`, or `--extra_package`.",
        "from helpers import normalize  # helpers.py, next to job.py\n"
        "\n"
        "names = lines | beam.Map(normalize)\n",
        "$ beam-deps stage job.py\n"
        "staged into beam-deps-staging (environment 351fdac23243)\n"
        "  local_wheel   wheels/etl_local-0.0.0+a83b8552fa94-py3-none-any.whl\n"
        "  ...\n",
    ),
    Rule(
        "BD403",
        "module-missing",
        E,
        "BD4",
        "A module the payload needs is not installed anywhere.",
        "The module could not be imported in the simulated worker and is not installed in "
        "your environment either: the code would fail on the worker with ModuleNotFoundError.",
        "Install the distribution that provides it and stage it, or remove the import.",
        "def geocode(address):\n"
        "    import geopy  # installed neither here nor on the worker\n"
        "    ...\n",
        "$ pip install geopy==2.4.1    # installed here, so it can be pinned and staged\n"
        "$ beam-deps run job.py -- --runner=DataflowRunner --project=my-proj\n",
    ),
    Rule(
        "BD404",
        "editable-install",
        W,
        "BD4",
        "A needed distribution is an editable or local-path install.",
        "An editable install (`pip install -e`) or a local directory install cannot be "
        "reinstalled on a worker from a requirement line: the worker has neither your "
        "checkout nor the package on an index.",
        "`beam-deps stage` builds a wheel snapshot of it and ships it as local code; or build "
        "a wheel yourself and pass `--extra_package`.",
        "$ pip install -e ../textlib\n"
        "$ beam-deps stage job.py\n"
        "... BD404 [info] textlib is an editable install (file:///home/me/textlib); staged as a wheel snapshot instead of a requirement\n",
        "$ python -m build --wheel ../textlib\n"
        "$ python job.py --extra_package=../textlib/dist/textlib-0.1.0-py3-none-any.whl\n",
    ),
    Rule(
        "BD405",
        "python-version-skew",
        E,
        "BD4",
        "The worker's Python minor version differs from yours.",
        "Beam checks that the submitting and the worker Python minor versions agree; pickled "
        "code objects are not portable across minor versions. Workers refuse the job with "
        "'Pipeline construction environment and pipeline runtime environment are not "
        "compatible'.",
        "Submit from the same Python minor version as the worker image, or choose the image "
        "that matches your Python (`--sdk_container_image`).",
        "# you build the pipeline with Python 3.11\n"
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.10_sdk:2.77.0')\n",
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.77.0')\n",
    ),
    Rule(
        "BD406",
        "beam-version-skew",
        E,
        "BD4",
        "The worker's apache-beam version differs from yours.",
        "Workers compare their Beam version with the one that built the pipeline and refuse "
        "to run a pipeline built by another version: payloads refer to Beam internals by name.",
        "Use the worker image that matches your installed apache-beam, or pin apache-beam to "
        "the image's version.",
        "# apache-beam 2.77.0 is installed here\n"
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.76.0')\n",
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.77.0')\n",
    ),
    Rule(
        "BD407",
        "dill-version",
        E,
        "BD4",
        "--pickle_library=dill needs dill 0.3.1.1 on both sides.",
        "Beam's `dill` option is supported only with dill 0.3.1.1 (`apache-beam[dill]`); "
        "pickles made by another dill version do not load reliably. `dill_unsafe` accepts any "
        "dill, but then the worker must have the same dill version as you.",
        "`pip install 'apache-beam[dill]'` here and on the worker, or use `dill_unsafe` with "
        "matching versions, or switch to the default cloudpickle.",
        "$ pip install dill    # the latest dill, not 0.3.1.1\n"
        "$ beam-deps check job.py -- --pickle_library=dill\n"
        "job.py:12: BD407 [error] --pickle_library=dill is supported only with dill 0.3.1.1; you have dill 0.3.9\n",
        "$ pip install 'apache-beam[dill]==2.77.0'    # dill 0.3.1.1\n"
        "$ beam-deps check job.py -- --pickle_library=dill\n",
    ),
    Rule(
        "BD408",
        "pickler-mismatch",
        E,
        "BD4",
        "The payload was made by a different pickle library than the worker will use.",
        "A dill payload read by cloudpickle fails with \"No module named '__builtin__'\" or "
        "similar: each library stores functions its own way. This happens when the pickle "
        "library differs between submission and worker, or dill is missing on the worker.",
        "Pass the same `--pickle_library` the pipeline was built with, and install the same "
        "library on the worker.",
        "$ beam-deps check job.py --worker-requirements worker-freeze.txt -- --pickle_library=dill\n"
        "job.py:7: BD408 [error] the pipeline is pickled with dill but the worker cannot load it (ModuleNotFoundError: No module named 'dill'), so it cannot read any payload\n",
        "$ cat requirements.txt\n"
        "dill==0.3.1.1\n"
        "$ beam-deps check job.py --worker-requirements worker-freeze.txt -- \\\n"
        "    --pickle_library=dill --requirements_file=requirements.txt\n",
    ),
    Rule(
        "BD409",
        "requirement-conflict",
        E,
        "BD4",
        "Two declared requirements cannot be satisfied together.",
        "A Beam worker has one Python environment per pipeline. Two transforms (or a transform "
        "and the worker image) that need incompatible versions of the same distribution cannot "
        "both be satisfied; pip would pick one and the other transform breaks.",
        "Agree on one version, or split the work into two pipelines with their own images.",
        "@beam_deps.requires('numpy>=2')\n"
        "class Embed(beam.DoFn): ...\n"
        "\n"
        "@beam_deps.requires('numpy<2')  # no numpy satisfies both\n"
        "class LegacyScore(beam.DoFn): ...\n",
        "@beam_deps.requires('numpy>=2')\n"
        "class Embed(beam.DoFn): ...\n"
        "\n"
        "@beam_deps.requires('numpy>=2')  # ported to numpy 2\n"
        "class LegacyScore(beam.DoFn): ...\n",
    ),
    Rule(
        "BD410",
        "pin-differs-from-image",
        W,
        "BD4",
        "A staged requirement pins another version than the worker image has.",
        "Staging reinstalls this distribution over the worker image's copy. Replacing a "
        "package the image (and apache-beam) depends on can break the worker at start-up.",
        "Use the image's version locally, or build a custom worker image.",
        "$ grep pyarrow worker-freeze.txt    # pip freeze of the worker image\n"
        "pyarrow==18.1.0\n"
        "$ cat requirements.txt\n"
        "pyarrow==17.0.0\n"
        "$ beam-deps check job.py --worker-requirements worker-freeze.txt -- --requirements_file=requirements.txt\n",
        "$ cat requirements.txt\n"
        "pyarrow==18.1.0    # the image's version (or no line at all: the image has it)\n",
    ),
    Rule(
        "BD411",
        "unmapped-module",
        W,
        "BD4",
        "An imported module cannot be mapped to an installed distribution.",
        "The module is importable here but no installed distribution claims it (it may come "
        "from `PYTHONPATH`, a `.pth` file, or a package installed without metadata), so it "
        "cannot be pinned in requirements and will be missing on the worker.",
        "Install it as a proper distribution (pip install), or keep it in your project so it "
        "is staged as local code.",
        "$ export PYTHONPATH=~/shared-libs    # geoutils/ is there, installed by no distribution\n"
        "$ beam-deps stage job.py\n"
        "job.py:5: BD411 [warning] module 'geoutils' is not provided by any installed distribution, so it cannot be pinned and will be missing on the worker\n",
        "$ pip install ~/shared-libs/geoutils    # a project with a pyproject.toml\n"
        "$ beam-deps stage job.py\n",
    ),
    Rule(
        "BD412",
        "worker-unpickle-failed",
        E,
        "BD4",
        "The simulated worker could not unpickle the payload.",
        "The exact bytes Beam would ship were unpickled in a fresh interpreter that has only "
        "what a worker has, and it raised. The worker would fail the same way before "
        "processing any element.",
        "Read the error: usually a missing module (stage it) or a class that exists only in "
        "your script (move it into a staged module).",
        "class Vocab:\n"
        "    def __init__(self, path='vocab.txt'):\n"
        "        self.path = path\n"
        "        self.words = set(open(path).read().split())\n"
        "\n"
        "    def __setstate__(self, state):  # runs on the worker, where vocab.txt is not\n"
        "        self.__init__(state['path'])  # FileNotFoundError\n",
        "class Vocab:\n"
        "    def __init__(self, path='vocab.txt'):\n"
        "        self.words = set(open(path).read().split())  # the words travel in the payload\n",
    ),
    Rule(
        "BD413",
        "staged-code-not-inspected",
        I,
        "BD4",
        "Local code the pipeline stages could not be inspected exactly.",
        "The simulated worker gets what your `--setup_file` and `--extra_package` options "
        "ship: beam-deps builds the wheel a worker would install and reads its modules and "
        "its declared dependencies. When that is not possible (the project or sdist does not "
        "build, the file is missing or of an unknown kind, a wheel holds compiled extensions "
        "that cannot be imported from the wheel file), the message says what was done "
        "instead, so BD401 and BD402 findings about that code may be wrong.",
        "Run `python -m build` on the project (or sdist) to see why it does not build and fix "
        "it, or pass a built wheel with `--extra_package`.",
        "# setup.py: VERSION is not in the sdist, so the wheel cannot be built from it\n"
        "setup(name='mypipeline', version=open('VERSION').read(), py_modules=['transforms'])\n",
        "setup(name='mypipeline', version='1.0', py_modules=['transforms'])\n",
    ),
    Rule(
        "BD414",
        "requirements-file-unreadable",
        E,
        "BD4",
        "The pipeline's `--requirements_file` does not exist or cannot be read.",
        "Beam's stager copies the requirements file when the pipeline is submitted and stops "
        "with `RuntimeError: The file ... cannot be found` when the path does not name a "
        "file. A relative path is resolved from the directory you submit from, not from the "
        "script's folder, so a pipeline that works from one directory fails from another. A "
        "file it includes with `-r` or `-c` that is missing, or a file that cannot be read "
        "as text, makes pip fail the same way.",
        "Pass the path of an existing requirements file (absolute, or built from the script's "
        "own location), or drop `--requirements_file` if the worker image has everything the "
        "pipeline needs.",
        "# submitted from another directory: requirements.txt is not there\n"
        "options = PipelineOptions(requirements_file='requirements.txt')\n",
        "HERE = pathlib.Path(__file__).parent\n"
        "options = PipelineOptions(requirements_file=str(HERE / 'requirements.txt'))\n",
    ),
    # ---------------------------------------------------------------- BD5 staging and boot
    Rule(
        "BD501",
        "staged-file-mismatch",
        E,
        "BD5",
        "A staged file does not match the manifest.",
        "The sha256 of a staged file differs from the one recorded at staging time, or the "
        "file is missing. Installing it could run code nobody staged; the boot refuses.",
        "Stage again with `beam-deps stage` and submit the new staging directory.",
        "$ beam-deps stage pipeline.py --out build/staging\n"
        "$ echo 'requests==2.32.4' >> build/staging/requirements.txt    # edited after staging\n"
        "$ beam-deps-boot --setup-only --staged build/staging\n"
        "beam-deps-boot[setup]: error: BD501 staged file build/staging/requirements.txt does not match the manifest (found sha256 0abdca43214a..., the manifest says 094c8c9e96d0...); ...\n",
        "$ beam-deps stage pipeline.py --out build/staging    # stage again: a new manifest\n"
        "$ beam-deps-boot --setup-only --staged build/staging\n",
    ),
    Rule(
        "BD502",
        "wheel-incompatible",
        E,
        "BD5",
        "A staged wheel cannot be installed on the worker's platform or Python.",
        "Binary wheels are built for one platform and Python version. A wheel downloaded for "
        "your laptop (macOS, arm64) does not install on a Linux x86_64 worker.",
        "Stage with `--wheelhouse` for the worker's platform and Python, or let the worker "
        "install from the index.",
        "$ beam-deps stage job.py --wheelhouse    # wheels for Linux x86_64, the default\n"
        "# ...but the workers are arm64 (aarch64) machines:\n"
        "beam-deps-boot[worker_0]: error: BD502 staged wheel orjson-3.10.7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl does not install on this worker (Python 3.11, cp311-cp311-manylinux_2_36_aarch64); ...\n",
        "$ beam-deps stage job.py --wheelhouse --worker-python 3.11 \\\n"
        "    --worker-platform manylinux2014_aarch64\n",
    ),
    Rule(
        "BD503",
        "artifacts-unavailable",
        E,
        "BD5",
        "The worker could not get its provision information or staged artifacts.",
        "`beam-deps-boot` asks the runner's provision service for the pipeline options and "
        "the list of staged files, then downloads them from the artifact retrieval service. "
        "If either endpoint cannot be reached, or a download breaks off, the worker has "
        "nothing trustworthy to install and does not start.",
        "Check that the worker can reach the runner at the endpoint named in the message "
        "(network, firewall, the job still running), then restart the worker.",
        "# a worker pool in a container without the host's network: the runner's\n"
        "# endpoints (localhost:PORT) point at the container itself\n"
        "beam-deps-boot[worker_0]: error: BD503 cannot reach the provision endpoint localhost:41327 (no answer within 120s); ...\n",
        "$ docker run --network=host my-worker-image \\\n"
        "    python -m apache_beam.runners.worker.worker_pool_main --service-port=50000 \\\n"
        "    --container_executable=/usr/local/bin/beam-deps-boot\n",
    ),
    Rule(
        "BD504",
        "environment-install-failed",
        E,
        "BD5",
        "Installing the staged packages on the worker failed.",
        "The staged files matched the manifest, but the installer (uv or pip, from the "
        "verified staged wheels; requirements staged without a wheel come from the package "
        "index) could not build the worker environment: a wheel that is not a valid zip, a "
        "requirement found neither staged nor on the index, or a dependency the worker image "
        "does not satisfy. The half-built environment is removed so the next worker starts clean.",
        "Read the installer's message in the log line; stage again (with `--wheelhouse` for "
        "an offline worker) or add the missing package to the worker image.",
        "$ beam-deps stage job.py --worker-requirements image-v1-freeze.txt    # v1 has oauthlib\n"
        "# ...but the workers run image v2, which dropped oauthlib:\n"
        "beam-deps-boot[worker_0]: error: BD504 the staged packages need what neither the staging nor the worker image provides: requests-oauthlib 2.0.0 needs oauthlib>=3.0.0, missing; ...\n",
        "$ docker run --rm --entrypoint pip my-worker:v2 freeze > image-v2-freeze.txt\n"
        "$ beam-deps stage job.py --worker-requirements image-v2-freeze.txt    # stages oauthlib\n",
    ),
    Rule(
        "BD505",
        "environment-cache-unwritable",
        E,
        "BD5",
        "The worker cannot write its environment cache.",
        "`beam-deps-boot` installs each staged environment once per machine into a cache "
        "directory (`--cache-dir` or `BEAM_DEPS_CACHE_DIR`, default under the user's cache "
        "directory) and reuses it for later workers. The directory could not be created or "
        "written, so nothing was installed.",
        "Point `BEAM_DEPS_CACHE_DIR` at a writable directory on the worker (for a container, "
        "a path the container user owns), or fix the permissions named in the message.",
        "# the worker container runs with a read-only root filesystem\n"
        "beam-deps-boot[worker_0]: error: BD505 cannot write the environment cache /root/.cache/beam-deps/envs (Read-only file system); ...\n",
        "# the worker image's Dockerfile; mount a writable volume there (e.g. an emptyDir)\n"
        "ENV BEAM_DEPS_CACHE_DIR=/var/cache/beam-deps\n",
    ),
    # ---------------------------------------------------------------- BD42x staging
    Rule(
        "BD420",
        "declared-version-not-installed",
        W,
        "BD4",
        "A declared requirement excludes the version installed here, or is not installed here.",
        "`@beam_deps.requires(...)`, `requires_base(...)`, a line of the pipeline's "
        "`--requirements_file` or a dependency of the local project asks for a version that "
        "is not the one installed where the pipeline is built and checked. Workers install "
        "the declared version, so they run code that was never imported here: payloads that "
        "refer to its classes by name may not load, and behaviour may differ. A declared "
        "distribution that is not installed here at all cannot be pinned: it is staged as "
        "written, and workers install whatever version the package index resolves.",
        "Install the declared version locally (`pip install 'NAME==VERSION'`), or change the "
        "declaration or requirements line to the version you test with.",
        "@beam_deps.requires('pandas==2.2.3')  # but pandas 2.1.4 is installed\n"
        "class ToFrame(beam.DoFn): ...\n",
        "@beam_deps.requires('pandas==2.1.4')\nclass ToFrame(beam.DoFn): ...\n",
    ),
    Rule(
        "BD421",
        "wheelhouse-incomplete",
        W,
        "BD4",
        "A staged requirement has no binary wheel for the worker's platform.",
        "With `--wheelhouse`, beam-deps downloads a wheel of every staged requirement for the "
        "worker's platform and Python so workers install offline. No wheel exists for this "
        "one (only an sdist, or a VCS/URL requirement), so workers will resolve it from the "
        "index at start-up, and may have to build it.",
        "Build a wheel yourself (`pip wheel NAME`) and pass it with `--extra_package`, use a "
        "version that publishes wheels, or install it in a custom worker image.",
        "$ pip install docopt==0.6.2    # PyPI has only an sdist of it\n"
        "$ beam-deps stage job.py --wheelhouse\n"
        "... BD421 [warning] no binary wheel of docopt==0.6.2 for the worker's platform is in the wheelhouse; workers will install it from the index\n",
        "$ pip uninstall -y docopt && pip install docopt-ng    # the same docopt module, as a wheel\n"
        "$ beam-deps stage job.py --wheelhouse\n",
    ),
    Rule(
        "BD422",
        "local-module-excluded",
        W,
        "BD4",
        "A local module the pipeline imports is excluded from staging.",
        "The module is next to your script and your code imports it, but the exclusion rules "
        "left it out of the local-code wheel: it is ignored by `.gitignore`, or its name looks "
        "like a secret or a cache. Workers will fail with ModuleNotFoundError.",
        "Un-ignore the file (or rename it) if it is code that must ship; if it holds secrets, "
        "read them on the worker from a secret manager instead of importing them.",
        "$ cat .gitignore\n"
        "local_settings.py\n"
        "$ beam-deps stage job.py    # job.py does `from local_settings import TABLE`\n"
        "... BD422 [warning] local module 'local_settings' (local_settings.py) is imported but excluded from staging (ignored by .gitignore: local_settings.py); the worker will not have it\n",
        "$ mv local_settings.py pipeline_settings.py    # code that must ship, under a name not ignored\n"
        "$ sed -i 's/from local_settings/from pipeline_settings/' job.py\n"
        "$ beam-deps stage job.py\n",
    ),
]

_RULES.sort(key=lambda r: r.code)  # families stay together whatever order entries were added
RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def rule(code: str) -> Rule:
    """The catalogue entry for ``code``; a KeyError names the unknown code."""
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown diagnostic code {code!r}") from None


def all_rules() -> list[Rule]:
    return list(_RULES)


def diagnostic(
    code: str,
    message: str,
    *,
    severity: Severity | str | None = None,
    path: str | None = None,
    file: str | None = None,
    line: int | None = None,
    transform: str | None = None,
    fix: str | None = None,
    **extra: Any,
) -> Diagnostic:
    """Build a diagnostic whose defaults (severity, fix, url) come from the catalogue."""
    entry = rule(code)
    return Diagnostic(
        code=code,
        severity=Severity(severity) if severity is not None else entry.severity,
        message=message,
        path=path,
        file=file,
        line=line,
        transform=transform,
        fix=fix if fix is not None else entry.fix,
        url=entry.url,
        extra=extra,
    )
