"""Rules about your code: the tool itself (BD0xx) and pickling on the submitting side (BD1xx);
the main session and identity families are in ``session_rules``.

A new rule goes in its family's block with an explanation, a fix, an example and its fixed
example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    # ---------------------------------------------------------------- BD0 the tool itself
    Rule(
        code="BD001",
        name="analysis-incomplete",
        severity=I,
        reported_by=("check", "stage"),
        summary="Part of the analysis could not be completed.",
        explanation="beam-deps hit an internal limit or an object that resisted inspection (for example a "
        "property that raises, or a structure larger than the inspection budget). What was "
        "analysed is still reported; what was not is named in the message so nothing is "
        "silently skipped.",
        fix="Usually nothing to do. If the message names a part of your object, check it by hand "
        "or run with --debug and report the case.",
        example="$ beam-deps check job.py\n"
        "job.py:14: BD001 [info] ParDo(Score) has too many parts to inspect them all for hazards; some may be unreported\n",
        example_fixed="# Score loads its lookup table in setup(): a small payload, inspected in full\n"
        "$ beam-deps check job.py\n",
    ),
    Rule(
        code="BD002",
        name="transform-construction-failed",
        severity=E,
        reported_by=("check",),
        summary="Building a transform raised an error that is not about pickling.",
        explanation="While the pipeline was being constructed, applying a transform raised. The pipeline "
        "cannot be submitted until it constructs; beam-deps records the error and keeps "
        "building so that every other problem is still reported. The most common case is an "
        "input that does not exist where you run the check: Beam's file-based reads "
        "(`ReadFromText`, `ReadFromParquet`...) match their pattern when they are built.",
        fix="Fix the error the message quotes: Beam raised it at the line shown (run the script "
        "with `python` to see the whole traceback). For an input that does not exist here, "
        "pass real inputs after `--` or build the read with `validate=False`.",
        example="# the files exist only on the cluster's shared disk, not where you run the check\n"
        "lines = p | 'Read' >> beam.io.ReadFromText('/mnt/shared/orders-*.csv')\n",
        example_fixed="# do not match the pattern while building: the files appear at run time\n"
        "lines = p | 'Read' >> beam.io.ReadFromText('/mnt/shared/orders-*.csv', validate=False)\n",
    ),
    Rule(
        code="BD003",
        name="arguments-ignored",
        severity=W,
        reported_by=("check",),
        summary="Beam options given on the command line never reach the pipeline.",
        explanation="`beam.Pipeline()` without `options` or `argv` builds its options from an empty list, "
        "not from `sys.argv`, and a script may also pass its own list. Options such as "
        "`--runner`, `--requirements_file` or `--extra_package` (the ones `beam-deps stage` "
        "prints) then have no effect: the job runs with the defaults and ships nothing.",
        fix="Build the options from the command line: `beam.Pipeline(argv=sys.argv[1:])`, or "
        "`PipelineOptions(pipeline_args)` with what argparse did not consume.",
        example="with beam.Pipeline() as p:  # python job.py --extra_package=dist/x.whl: ignored\n"
        "    ...\n",
        example_fixed="with beam.Pipeline(argv=sys.argv[1:]) as p:\n    ...\n",
    ),
    Rule(
        code="BD004",
        name="script-stopped-after-run",
        severity=W,
        reported_by=("check",),
        summary="The script raised after a pipeline's run(), so what it builds afterwards was not checked.",
        explanation="beam-deps builds pipelines but runs none: `run()` returns a result with no output, "
        "metrics or state. Code after it that reads the job's output files or metrics fails "
        "under the check, and the script stops there. The pipelines built so far were checked; "
        "any pipeline the script would build after that line was not.",
        fix="Guard the code that reads results (e.g. `if not os.environ.get('BEAM_DEPS_CHECK'):`), "
        "or check each pipeline from its own script or function.",
        example="p.run().wait_until_finish()\n"
        "print(open('out/counts-00000-of-00001').read())  # nothing ran: no such file\n"
        "with beam.Pipeline() as p2:  # never built, so never checked\n"
        "    p2 | beam.Create([1])\n",
        example_fixed="p.run().wait_until_finish()\n"
        "if not os.environ.get('BEAM_DEPS_CHECK'):  # set while beam-deps checks the script\n"
        "    print(open('out/counts-00000-of-00001').read())\n"
        "with beam.Pipeline() as p2:\n"
        "    p2 | beam.Create([1])\n",
    ),
    Rule(
        code="BD005",
        name="runner-not-installed",
        severity=W,
        reported_by=("check",),
        summary="The pipeline's runner cannot be created here: the extra it comes from is not installed.",
        explanation="Beam creates the runner named by `--runner` when the pipeline object is built. A "
        "runner from an optional extra (DataflowRunner needs `apache-beam[gcp]`) raises "
        "ImportError where that extra is missing, so submitting from this machine would fail "
        "right there. beam-deps checks the pipeline without the runner. A runner name Beam "
        "does not know at all is BD002, an error.",
        fix="Install the runner's extra where you submit (e.g. `apache-beam[gcp]` for "
        "DataflowRunner).",
        example="$ pip install apache-beam    # without the gcp extra\n"
        "$ beam-deps check job.py -- --runner=DataflowRunner\n",
        example_fixed="$ pip install 'apache-beam[gcp]'\n"
        "$ beam-deps check job.py -- --runner=DataflowRunner\n",
    ),
    Rule(
        code="BD006",
        name="unused-ignore-comment",
        severity=W,
        reported_by=("check",),
        summary="A `# beam-deps: ignore` comment silences nothing.",
        explanation="An ignore comment is kept after the problem it silenced was fixed, or it was put "
        "on a line where no finding is (the finding is at the line that captured the object, "
        "or at the line applying the transform). Such a comment would silently hide the next, "
        "different problem on that line. As ruff's RUF100 does for `# noqa`, each comment (and "
        "each code it lists) that silenced no finding in this run is reported. A code that "
        "`--select`/`--ignore` left out of the run, or that only `beam-deps stage` reports, is "
        "never called unused; nothing is said when part of the analysis stopped early (BD001).",
        fix="Remove the comment, or the codes in it that no longer fire; put a comment that is "
        "still needed on the line the finding points at.",
        example="# the lock this comment silenced was moved to setup(): nothing is left to silence\n"
        "nums | 'Inc' >> beam.ParDo(Inc())  # beam-deps: ignore[BD104]\n",
        example_fixed="nums | 'Inc' >> beam.ParDo(Inc())\n",
    ),
    # ---------------------------------------------------------------- BD1 pickling on the submitting side
    Rule(
        code="BD101",
        name="unpicklable-object",
        severity=E,
        reported_by=("check",),
        summary="Part of the object cannot be pickled.",
        explanation="Everything a worker runs is pickled on your machine when the pipeline is built and "
        "again when it is submitted. One unpicklable part anywhere in a DoFn, its arguments, "
        "its closure or the globals it uses makes the whole payload fail (Beam reports only "
        "the first one, as 'Unable to pickle fn ...'). The path shows where the part is.",
        fix="Do not capture the object: create it on the worker in `DoFn.setup()` (or lazily in "
        "`process`) and keep only what is needed to build it (a path, a URL, a config dict).",
        example="class Enrich(beam.DoFn):\n"
        "    def __init__(self):\n"
        "        self.conn = sqlite3.connect('db.sqlite')  # cannot be pickled\n",
        example_fixed="class Enrich(beam.DoFn):\n"
        "    def __init__(self, path):\n"
        "        self.path = path\n"
        "    def setup(self):\n"
        "        self.conn = sqlite3.connect(self.path)\n",
    ),
    Rule(
        code="BD102",
        name="excessive-recursion",
        severity=E,
        reported_by=("check",),
        summary="The object graph is too deep to pickle.",
        explanation="Picklers recurse once per level of nesting. A long linked structure (a linked list, "
        "a deep tree, a chain of wrapped objects) exceeds Python's recursion limit and the "
        "submission fails with RecursionError or 'Could not pickle object as excessively deep "
        "recursion required'. The message gives the depth and the repeating chain.",
        fix="Flatten the structure (store a list instead of a chain of nodes), build it on the "
        "worker in `setup()`, or pass it as a side input so it travels as data.",
        example="node = None\nfor i in range(100_000):\n    node = Node(i, next=node)\n"
        "beam.Map(lambda x: x in node)\n",
        example_fixed="values = set(range(100_000))\nbeam.Map(lambda x, values: x in values, values)\n",
    ),
    Rule(
        code="BD103",
        name="generator-captured",
        severity=E,
        reported_by=("check",),
        also=(W,),
        severity_note="A generator cannot be pickled: error. Another iterator (a `map`, `filter`, `zip`...) pickles as a snapshot of its position: warning.",
        summary="A generator or iterator in the middle of iteration is captured.",
        explanation="Generators cannot be pickled ('cannot pickle generator object'); Beam's dill support "
        "rejects them outright. Other iterators pickle as a snapshot, so on the worker they "
        "start from wherever your machine left them, and each worker gets its own copy.",
        fix="Capture the data (a list or tuple), or the function that makes the generator, and "
        "create the generator inside `process`.",
        example="rows = (r for r in read_rows())\nbeam.Map(lambda x: next(rows))\n",
        example_fixed="rows = list(read_rows())\nbeam.Map(lambda x, rows=rows: rows[x])\n",
    ),
    Rule(
        code="BD104",
        name="lock-recreated",
        severity=W,
        reported_by=("check",),
        also=(E,),
        severity_note="A new, unlocked lock: warning. An `RLock` pickled by dill (a logging "
        "handler's lock, a `threading.Condition`), which code running on the worker uses: "
        "error, the job hangs.",
        summary="A lock, condition or event is captured: each worker gets a new, unrelated one.",
        explanation="Beam registers reducers so that `threading.Lock` and `RLock` pickle as brand-new, "
        "unlocked locks. The pickle succeeds, but the lock no longer synchronises anything "
        "with the submitting process or with other workers: each DoFn copy has its own. "
        "dill (every version, Beam's default pickler up to 2.64) rebuilds an `RLock` wrongly: "
        "taken by no thread, so the first `acquire()` on the worker waits for ever. A DoFn "
        "that keeps a `logging.StreamHandler` made in `__init__` and logs through it in "
        "`process` hangs the job, with no error in any log.",
        fix="Create the lock in `DoFn.setup()`. To coordinate across workers use Beam state, "
        "side inputs or an external service, not a lock.",
        example="class Counter(beam.DoFn):\n    def __init__(self):\n        self.lock = threading.Lock()\n",
        example_fixed="class Counter(beam.DoFn):\n    def setup(self):\n        self.lock = threading.Lock()\n",
    ),
    Rule(
        code="BD105",
        name="open-file-captured",
        severity=W,
        reported_by=("check",),
        also=(E,),
        severity_note="A file open for reading pickles by content, or is reopened by its absolute path with dill (empty on a machine without it): warning. A file open for writing, or closed, cannot be pickled, and dill reopens a relative path in the worker's own folder, where it silently gets an empty file: error.",
        summary="An open file is captured.",
        explanation="A file opened for reading is pickled by content: the worker gets a copy of what the "
        "file held on your machine at submission, not the file (and a large file makes a "
        "large payload). A file opened for writing, or a closed file, cannot be pickled at all. "
        "Under dill's `--save_main_session` a file handle among the script's globals, closed "
        "or not, is reopened with its mode whenever the session loads: mode 'w' empties the "
        "file, on your machine as Beam saves the session and on every worker (dill#552).",
        fix="Capture the path and open the file on the worker (in `setup()` or `process`), or "
        "read the data with a Beam IO such as `ReadFromText`.",
        example="fh = open('lookup.csv')\nbeam.Map(lambda x: lookup(fh, x))\n",
        example_fixed="beam.Map(lambda x, path='gs://bucket/lookup.csv': lookup(path, x))\n",
    ),
    Rule(
        code="BD106",
        name="connection-captured",
        severity=E,
        reported_by=("check",),
        summary="A socket, database connection or cursor, or a client holding one, is captured.",
        explanation="Sockets, `sqlite3` connections and cursors, DB-API connections and SSL contexts wrap "
        "operating-system resources that exist only in your process. They cannot be pickled, "
        "and a reconnecting wrapper would still point at a host the worker may not reach. A "
        "library's client (a database, HTTP or cloud client holding connections, locks or "
        "background threads) fails somewhere inside; it is reported once, at the client your "
        "code holds, with the inner part that fails in the message.",
        fix="Keep connection parameters on the DoFn and connect in `DoFn.setup()`; close in "
        "`DoFn.teardown()`.",
        example="class Write(beam.DoFn):\n    def __init__(self):\n        self.sock = socket.create_connection(ADDR)\n",
        example_fixed="class Write(beam.DoFn):\n    def setup(self):\n        self.sock = socket.create_connection(ADDR)\n",
    ),
    Rule(
        code="BD107",
        name="thread-or-executor-captured",
        severity=E,
        reported_by=("check",),
        also=(W,),
        severity_note="A thread pool, or an object owning threads, cannot be pickled: error. A bare `threading.Thread` pickles as a thread that never runs: warning.",
        summary="A thread, thread pool or process pool is captured.",
        explanation="Threads and executors cannot be pickled, and one that did would not be running on "
        "the worker. Objects that own one (many client libraries do) fail the same way.",
        fix="Start threads and pools in `DoFn.setup()` and shut them down in `DoFn.teardown()`.",
        example="class Fetch(beam.DoFn):\n    def __init__(self):\n        self.pool = ThreadPoolExecutor(8)\n",
        example_fixed="class Fetch(beam.DoFn):\n    def setup(self):\n        self.pool = ThreadPoolExecutor(8)\n",
    ),
    Rule(
        code="BD108",
        name="queue-copied",
        severity=W,
        reported_by=("check",),
        also=(E,),
        severity_note="A `queue.Queue` pickles as a copy: warning. A multiprocessing queue cannot be pickled at all: error.",
        summary="A queue is captured: each worker gets its own copy.",
        explanation="`queue.Queue` and friends pickle (Beam recreates their locks), but the worker gets a "
        "frozen copy of the items queued at submission. Nothing put on it by a worker is ever "
        "seen by your program or by other workers; a multiprocessing queue cannot be pickled.",
        fix="Pass data through PCollections and side inputs, not queues; create per-worker queues "
        "in `setup()`.",
        example="done = queue.Queue()\n"
        "p | beam.Create(ids) | beam.Map(lambda i: done.put(fetch(i)))\n"
        "# after run(), done is still empty: each worker filled its own copy\n",
        example_fixed="fetched = p | beam.Create(ids) | beam.Map(fetch)\n"
        "fetched | beam.io.WriteToText('gs://bucket/fetched')\n",
    ),
    Rule(
        code="BD109",
        name="large-payload",
        severity=W,
        reported_by=("check",),
        summary="The pickled payload is very large.",
        explanation="Each payload is embedded in the pipeline proto, sent to the runner and unpickled by "
        "every worker for every bundle's DoFn instance. Large payloads slow submission, can "
        "exceed runner limits (Dataflow rejects jobs whose request is over about 20 MB) and use "
        "worker memory. Usually a large list, array or model was captured by accident.",
        fix="Load large data on the worker in `setup()` from storage, or pass it as a side input.",
        example="model = load_model()  # 300 MB\nbeam.Map(lambda x: model.predict(x))\n",
        example_fixed="class Predict(beam.DoFn):\n    def setup(self):\n        self.model = load_model()\n",
    ),
    Rule(
        code="BD110",
        name="secret-captured",
        severity=W,
        reported_by=("check",),
        summary="A value that looks like a secret is pickled into the payload.",
        explanation="Pipeline payloads are stored in the job graph, shown in runner UIs and kept in logs "
        "and templates. A value equal to one of your environment variables with a secret-like "
        "name (not one that names a place: `PWD`, an agent socket, a path that exists), shaped like an access key, a private key or a token (a Stripe key, an "
        "`Authorization: Bearer` header), or held under a secret's name (a `DB_PASSWORD` "
        "global a function reads, a `password` key or attribute), or a URL that carries "
        "credentials (`scheme://user:password@host`, such as a database or broker connection "
        "string) is readable by anyone who can read the job. The message never shows the "
        "value, and a URL's password is masked.",
        fix="Read secrets on the worker (a secret manager, the worker's environment) in "
        "`DoFn.setup()` rather than capturing the value.",
        example="API_KEY = os.environ['API_KEY']\nbeam.Map(lambda x: call(x, API_KEY))\n",
        example_fixed="class Call(beam.DoFn):\n    def setup(self):\n        self.key = fetch_secret('api-key')\n",
    ),
    Rule(
        code="BD111",
        name="pipeline-object-captured",
        severity=W,
        also=(E,),
        severity_note="A PCollection that code running on the worker reads (`self.rates` in a DoFn's `process`, a closure made in a composite's `expand()`, a lambda's own variable: `lambda e: e in allowed`): error, it fails there. Captured but not read there: warning.",
        reported_by=("check",),
        summary="A Pipeline or PCollection is captured by code that runs on workers.",
        explanation="Beam pickles a Pipeline as the string 'Pickled pipeline stub.' and a PCollection as an "
        "invalid placeholder, so the pickle succeeds, but on the worker the object is useless: "
        "there is no pipeline to apply transforms to and no data in the PCollection.",
        fix="Pass a PCollection's contents as a side input (`beam.pvalue.AsList(pcoll)`, "
        "`AsDict`, `AsSingleton`) instead of capturing the PCollection.",
        example="lookup = p | 'Lookup' >> beam.Create([1, 2])\nbeam.Filter(lambda x: x in lookup)\n",
        example_fixed="lookup = p | 'Lookup' >> beam.Create([1, 2])\n"
        "beam.Filter(lambda x, keep: x in keep, beam.pvalue.AsList(lookup))\n",
    ),
    Rule(
        code="BD112",
        name="loop-variable-late-binding",
        severity=E,
        reported_by=("check",),
        summary="Transforms built in a loop share the loop variable: every one sees its last value.",
        explanation="A lambda or nested function reads an enclosing variable when it runs, not when it "
        "is made. Functions made in a loop that read the loop variable all share one cell, so "
        "when the pipeline runs (after the loop) each transform sees the value of the last "
        "iteration: a pipeline that builds one transform per column processes the last column "
        "again and again. Nothing fails, the results are silently wrong, locally and on "
        "every runner. beam-deps reports it when several transforms of one pipeline have "
        "functions that share the cell of a variable the loop assigns: at least one of them "
        "computes with another iteration's value, so it is an error, like BD206. A loop at "
        'the script\'s top level (a pipeline built under `if __name__ == "__main__":`) '
        "makes the variable a global, which every copy reads: cloudpickle and dill's main "
        "session carry its last value (dill without the session: a NameError, BD201).",
        fix="Bind the value when the function is made: a default argument (`lambda row, "
        "col=col: row[col]`), `functools.partial(f, col)`, or an extra argument of the "
        "transform (`beam.Map(f, col)`).",
        example="for col in ['price', 'qty']:\n"
        "    out[col] = rows | f'Get{col}' >> beam.Map(lambda row: row[col])  # always 'qty'\n",
        example_fixed="for col in ['price', 'qty']:\n"
        "    out[col] = rows | f'Get{col}' >> beam.Map(lambda row, col=col: row[col])\n",
    ),
    Rule(
        code="BD115",
        name="state-dropped-by-getstate",
        severity=E,
        reported_by=("check",),
        summary="Worker code reads an attribute the object's own __getstate__ leaves out.",
        explanation="A `__getstate__` that drops a client from the pickled state "
        "(`state.pop('session')`) keeps it out of the payload, but the worker's copy is "
        "made from that state: without a `__setstate__`, or code on the worker that makes "
        "it again, the attribute is simply not there, and the first `self.session.get(...)` "
        "fails with \"AttributeError: 'Enricher' object has no attribute 'session'\", on "
        "every pickler. beam-deps calls the class's `__getstate__` on the object in the "
        "payload, as pickling did, and reports an attribute it leaves out that code running "
        "on the worker reads and never sets.",
        fix="Make the client on the worker: in `setup()` of a DoFn, in a `__setstate__` that "
        "rebuilds it, or lazily (`if self.session is None: ...`, with `state['session'] = "
        "None` in `__getstate__`).",
        example="class Enricher:\n"
        "    def __init__(self):\n"
        "        self.session = requests.Session()\n"
        "    def __getstate__(self):\n"
        "        state = dict(self.__dict__)\n"
        "        state.pop('session')  # not on the worker either\n"
        "        return state\n"
        "    def __call__(self, url):\n"
        "        return self.session.get(url).status_code\n",
        example_fixed="class Enricher:\n"
        "    def __getstate__(self):\n"
        "        state = dict(self.__dict__)\n"
        "        state.pop('session')\n"
        "        return state\n"
        "    def __setstate__(self, state):\n"
        "        self.__dict__.update(state)\n"
        "        self.session = requests.Session()  # made again on the worker\n",
    ),
    Rule(
        code="BD114",
        name="local-file-opened-on-worker",
        severity=E,
        reported_by=("check",),
        also=(W,),
        severity_note="A relative path, or an absolute path on a runner whose workers run on other machines (Dataflow, a portable runner with Docker): error. An absolute path of this machine where the runner's workers are local processes (DirectRunner, Prism, LOOPBACK): warning, it works only there.",
        summary="Code that runs on the worker opens a file that exists only on the submitting machine.",
        explanation="A DoFn's `setup()`, `start_bundle()` or `process()` (or a function given to "
        "`Map`) runs on the worker, not where you start the pipeline. A relative path is "
        "looked up in the worker's own working folder, and an absolute path of your machine "
        "(your home, project or temporary folder) does not exist on another machine: the "
        "worker fails with FileNotFoundError. The DirectRunner hides it, because its workers "
        "run in your process and folder. beam-deps reports it only where it can read the path "
        "from the payload (a string in the code, a string or Path attribute of the DoFn such "
        "as a constructor argument, a global string, a variable of the function's closure, "
        "an extra argument of the step (`ParDo(Fn(), path)`, `Map(fn, path=...)`) or a "
        "parameter's default, `os.path.join`/`Path` of those, or a path passed to a helper "
        'of your own that opens it, as `open_file(PATH, "r")`), the '
        "opener is `open()` (`io`, `codecs`) for reading, `Path.open/read_text/read_bytes`, "
        "`pandas.read_*` or `numpy.load/loadtxt/genfromtxt/fromfile`, and the file exists here "
        "outside the interpreter's and installed packages' folders. `__init__` runs where the "
        "pipeline is built, so opening a file there is fine. A file-based source "
        "(`ReadFromText`, `ReadFromAvro`, `ReadFromParquet`...) given such a path is the same "
        "mistake, silently: Beam finds the file where the pipeline is built, the worker "
        "matches the pattern again where it reads, finds nothing, and the job succeeds with "
        "empty results. It is claimed where the runner starts its workers apart (Dataflow, "
        "a container, a PROCESS or EXTERNAL environment); the DirectRunner reads in your "
        "folder.",
        fix="Read the file while building the pipeline and pass its contents as a side input "
        "(`beam.pvalue.AsDict`/`AsList`) or a constructor argument; or ship it with "
        "`--files_to_stage` (Beam 2.64+; workers find it in "
        "`$SEMI_PERSISTENT_DIRECTORY/staged/`); or put it in storage every worker reads (a "
        "`gs://` path) and open it with `apache_beam.io.filesystems.FileSystems.open`.",
        example="class Classify(beam.DoFn):\n"
        "    def setup(self):\n"
        "        with open('lookup.csv') as f:  # the worker's folder has no lookup.csv\n"
        "            self.kinds = dict(line.strip().split(',') for line in f)\n",
        example_fixed="with open('lookup.csv') as f:  # read here, at construction\n"
        "    rows = [tuple(line.strip().split(',')) for line in f]\n"
        "kinds = p | 'Table' >> beam.Create(rows)\n"
        "animals | beam.Map(classify, kinds=beam.pvalue.AsDict(kinds))\n",
    ),
    Rule(
        code="BD116",
        name="metric-updated-off-thread",
        severity=E,
        reported_by=("check",),
        summary="A step hands a function to another thread (an executor, a Thread), and "
        "that function updates a Beam metric: every such update is dropped.",
        explanation="Beam counts a metric in the container of the bundle being processed, "
        "which it finds through the current thread's state: a `counter.inc()` made on a "
        "thread the DoFn started finds none and is dropped, without a word "
        "(apache/beam#21217). A DoFn that submits work to a `ThreadPoolExecutor` and counts "
        "inside the submitted function reports 0 for that counter, however many elements "
        "it processed. Reported where the step's own code hands the function to a thread "
        "(`.submit(f, ...)`, `threading.Thread(target=f)`, a pool's `map`) and the function "
        "updates a Beam metric it reads as a global, a DoFn attribute or an argument. A "
        "metric made with `process_wide=True` is not reported.",
        fix="Update the metric on the bundle's thread: have the thread's function return "
        "what to count, and count it in `process` (`counter.inc(future.result())`).",
        example="def fetch(url, counter):\n"
        "    counter.inc()  # on the pool's thread: dropped\n"
        "    return download(url)\n"
        "\n"
        "class Fetch(beam.DoFn):\n"
        "    def setup(self):\n"
        "        self.pool = ThreadPoolExecutor(8)\n"
        "    def process(self, url):\n"
        "        yield self.pool.submit(fetch, url, FETCHED).result()\n",
        example_fixed="class Fetch(beam.DoFn):\n"
        "    def setup(self):\n"
        "        self.pool = ThreadPoolExecutor(8)\n"
        "    def process(self, url):\n"
        "        page = self.pool.submit(download, url).result()\n"
        "        FETCHED.inc()  # on the bundle's thread\n"
        "        yield page\n",
    ),
    Rule(
        code="BD117",
        name="rebuilt-by-inherited-reduce",
        severity=E,
        reported_by=("check",),
        summary="The worker rebuilds your subclass with a pickling recipe (`__reduce__`) it "
        "inherits from a library class, so its own attributes get other values.",
        explanation="Pickle rebuilds an object the way its class says: `__reduce__` returns "
        "the callable and the arguments to rebuild it with. A library class that defines "
        "one writes it for its own constructor: Beam's `ApproximateQuantilesCombineFn` "
        "returns `(self.__class__, (num_quantiles, buffer_size, num_buffers, ...))`. A "
        "subclass with another `__init__` inherits that recipe, so the worker calls your "
        "class with the base's arguments in the base's order. Nothing fails: your "
        "attributes just hold other values (a metric key that is now `101`, an index that "
        "is now `True`) and the results are silently wrong (apache/beam#26716). Beam pickles "
        "the step when it is built, so every runner shows it. beam-deps pickles the object "
        "and loads it back with the pipeline's pickler, and compares the attributes your "
        "classes set and the worker code reads.",
        fix="Write the recipe for your class: a `__reduce__` that returns your own "
        "constructor's arguments (`return (type(self), (self._metric_key, "
        "self._num_quantiles, ...))`); or wrap the library object instead of subclassing it "
        "(a CombineFn of your own that holds one and delegates to it).",
        example="class Median(ApproximateQuantilesCombineFn):\n"
        "    def __init__(self, key, num_quantiles=101):\n"
        "        spec = ApproximateQuantilesCombineFn.create(num_quantiles)._spec\n"
        "        super().__init__(num_quantiles, spec.buffer_size, spec.num_buffers)\n"
        "        self.key = key  # on the worker: num_quantiles's value\n",
        example_fixed="class Median(ApproximateQuantilesCombineFn):\n"
        "    ...\n"
        "    def __reduce__(self):\n"
        "        return (type(self), (self.key, self._num_quantiles))\n",
    ),
]
