"""Rules about dependencies and version skew (BD4xx): what the worker has against what the
pipeline needs.

A new rule goes in its family's block with an explanation, a fix, an example and its fixed
example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    # ---------------------------------------------------------------- BD4 dependencies and version skew
    Rule(
        code="BD401",
        name="module-not-on-worker",
        severity=E,
        also=(W,),
        severity_note="A package installed in this interpreter's environment, on a runner whose workers are processes of this interpreter: warning (they import it). Anything else: error.",
        reported_by=("check",),
        summary="A module the payload needs is installed here but not on the worker.",
        explanation="The payload refers to this module by name (pickled by reference, or imported by a "
        "function). It is installed in your environment, but neither the worker image nor the "
        "staged requirements provide it, so the worker fails with ModuleNotFoundError when it "
        "unpickles or runs the code. On a runner whose workers are processes of this "
        "interpreter (DirectRunner, PROCESS, EXTERNAL, LOOPBACK) a package installed in this "
        "environment is imported there, so it is a warning: the run works, a runner with its "
        "own workers (Dataflow, Docker) would not have it. A package this process reaches only "
        "through `PYTHONPATH` or a `sys.path` change stays an error there too.",
        fix="Stage it: `beam-deps stage SCRIPT` writes a requirements file pinned to your "
        "installed versions, or add it to `--requirements_file` or to your custom container.",
        example="def similarity(pair):\n"
        "    from rapidfuzz import fuzz  # installed here, not in the worker image\n"
        "    return fuzz.ratio(*pair)\n",
        example_fixed="$ beam-deps run job.py -- --runner=DataflowRunner --project=my-proj --region=europe-west1\n"
        "# stages rapidfuzz pinned to the version installed here, then submits\n",
    ),
    Rule(
        code="BD402",
        name="local-code-not-staged",
        severity=E,
        reported_by=("check",),
        summary="Local code (a module next to your script) is not shipped to the worker.",
        explanation="Modules next to your script are importable on your machine because the script's "
        "folder is on `sys.path`. Workers do not have your folder, so they fail with "
        "ModuleNotFoundError. (DirectRunner and in-process tests hide this.)",
        fix="Ship the code: `beam-deps stage` builds a wheel of your local modules, or use "
        "`--setup_file` with a `setup.py`, or `--extra_package`.",
        example="from helpers import normalize  # helpers.py, next to job.py\n"
        "\n"
        "names = lines | beam.Map(normalize)\n",
        example_fixed="$ beam-deps stage job.py\n"
        "staged into beam-deps-staging (environment 351fdac23243)\n"
        "  local_wheel   wheels/etl_local-0.0.0+a83b8552fa94-py3-none-any.whl\n"
        "  ...\n",
    ),
    Rule(
        code="BD403",
        name="module-missing",
        severity=E,
        reported_by=("check", "stage"),
        also=(W,),
        severity_note="`check`'s simulated worker failed to import it for a payload: error. `stage` found an import that did not run while the pipeline was built (inside a function) of a module not installed here, so it cannot be staged and may come from the worker image: warning.",
        summary="A module the payload needs is not installed anywhere.",
        explanation="The module could not be imported in the simulated worker and is not installed in "
        "your environment either: the code would fail on the worker with ModuleNotFoundError.",
        fix="Install the distribution that provides it and stage it, or remove the import.",
        example="def geocode(address):\n"
        "    import geopy  # installed neither here nor on the worker\n"
        "    ...\n",
        example_fixed="$ pip install geopy==2.4.1    # installed here, so it can be pinned and staged\n"
        "$ beam-deps run job.py -- --runner=DataflowRunner --project=my-proj\n",
    ),
    Rule(
        code="BD404",
        name="editable-install",
        severity=I,
        reported_by=("stage",),
        summary="A needed distribution is an editable or local-path install.",
        explanation="An editable install (`pip install -e`) or a local directory install cannot be "
        "reinstalled on a worker from a requirement line: the worker has neither your "
        "checkout nor the package on an index.",
        fix="`beam-deps stage` builds a wheel snapshot of it and ships it as local code; or build "
        "a wheel yourself and pass `--extra_package`.",
        example="$ pip install -e ../textlib\n"
        "$ beam-deps stage job.py\n"
        "... BD404 [info] textlib is an editable install (file:///home/me/textlib); staged as a wheel snapshot instead of a requirement\n",
        example_fixed="$ python -m build --wheel ../textlib\n"
        "$ python job.py --extra_package=../textlib/dist/textlib-0.1.0-py3-none-any.whl\n",
    ),
    Rule(
        code="BD405",
        name="python-version-skew",
        severity=E,
        reported_by=("check", "stage"),
        summary="The worker's Python minor version differs from yours.",
        explanation="Beam checks that the submitting and the worker Python minor versions agree; pickled "
        "code objects are not portable across minor versions. Workers refuse the job with "
        "'Pipeline construction environment and pipeline runtime environment are not "
        "compatible'.",
        fix="Submit from the same Python minor version as the worker image, or choose the image "
        "that matches your Python (`--sdk_container_image`).",
        example="# you build the pipeline with Python 3.11\n"
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.10_sdk:2.77.0')\n",
        example_fixed="options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.77.0')\n",
    ),
    Rule(
        code="BD406",
        name="beam-version-skew",
        severity=E,
        reported_by=("check",),
        summary="The worker's apache-beam version differs from yours.",
        explanation="Workers compare their Beam version with the one that built the pipeline and refuse "
        "to run a pipeline built by another version: payloads refer to Beam internals by name.",
        fix="Use the worker image that matches your installed apache-beam, or pin apache-beam to "
        "the image's version.",
        example="# apache-beam 2.77.0 is installed here\n"
        "options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.76.0')\n",
        example_fixed="options = PipelineOptions(sdk_container_image='apache/beam_python3.11_sdk:2.77.0')\n",
    ),
    Rule(
        code="BD407",
        name="dill-version",
        severity=E,
        reported_by=("check",),
        summary="--pickle_library=dill needs dill 0.3.1.1 on both sides.",
        explanation="Beam's `dill` option is supported only with dill 0.3.1.1 (`apache-beam[dill]`); "
        "pickles made by another dill version do not load reliably. `dill_unsafe` accepts any "
        "dill, but then the worker must have the same dill version as you.",
        fix="`pip install 'apache-beam[dill]'` here and on the worker, or use `dill_unsafe` with "
        "matching versions, or switch to the default cloudpickle.",
        example="$ pip install dill    # the latest dill, not 0.3.1.1\n"
        "$ beam-deps check job.py -- --pickle_library=dill\n"
        "job.py:12: BD407 [error] --pickle_library=dill is supported only with dill 0.3.1.1; you have dill 0.3.9\n",
        example_fixed="$ pip install 'apache-beam[dill]==2.77.0'    # dill 0.3.1.1\n"
        "$ beam-deps check job.py -- --pickle_library=dill\n",
    ),
    Rule(
        code="BD408",
        name="pickler-mismatch",
        severity=E,
        reported_by=("check",),
        summary="The payload was made by a different pickle library than the worker will use.",
        explanation="A dill payload read by cloudpickle fails with \"No module named '__builtin__'\" or "
        "similar: each library stores functions its own way. This happens when the pickle "
        "library differs between submission and worker, or dill is missing on the worker.",
        fix="Pass the same `--pickle_library` the pipeline was built with, and install the same "
        "library on the worker.",
        example="$ beam-deps check job.py --worker-requirements worker-freeze.txt -- --pickle_library=dill\n"
        "job.py:7: BD408 [error] the pipeline is pickled with dill but the worker cannot load it (ModuleNotFoundError: No module named 'dill'), so it cannot read any payload\n",
        example_fixed="$ cat requirements.txt\n"
        "dill==0.3.1.1\n"
        "$ beam-deps check job.py --worker-requirements worker-freeze.txt -- \\\n"
        "    --pickle_library=dill --requirements_file=requirements.txt\n",
    ),
    Rule(
        code="BD409",
        name="requirement-conflict",
        severity=E,
        reported_by=("check", "stage"),
        summary="Two declared requirements cannot be satisfied together.",
        explanation="A Beam worker has one Python environment per pipeline. Two transforms (or a transform "
        "and the worker image) that need incompatible versions of the same distribution cannot "
        "both be satisfied; pip would pick one and the other transform breaks. On a runner that "
        "starts workers per environment (PortableRunner, Flink, Spark with EXTERNAL, DOCKER or "
        "PROCESS workers) conflicting transforms get environments of their own under "
        "`beam-deps run`, and this is not reported; on the DirectRunner and Dataflow it is.",
        fix="Agree on one version; or run on a portable runner with `beam-deps run` "
        "(per-transform environments, see the dependencies page); or split the work into two "
        "pipelines with their own images.",
        example="@beam_deps.requires('numpy>=2')\n"
        "class Embed(beam.DoFn): ...\n"
        "\n"
        "@beam_deps.requires('numpy<2')  # no numpy satisfies both\n"
        "class LegacyScore(beam.DoFn): ...\n",
        example_fixed="@beam_deps.requires('numpy>=2')\n"
        "class Embed(beam.DoFn): ...\n"
        "\n"
        "@beam_deps.requires('numpy>=2')  # ported to numpy 2\n"
        "class LegacyScore(beam.DoFn): ...\n",
    ),
    Rule(
        code="BD410",
        name="pin-differs-from-image",
        severity=W,
        reported_by=("check", "stage"),
        summary="A staged requirement pins another version than the worker image has.",
        explanation="Staging reinstalls this distribution over the worker image's copy. Replacing a "
        "package the image (and apache-beam) depends on can break the worker at start-up.",
        fix="Use the image's version locally, or build a custom worker image.",
        example="$ grep pyarrow worker-freeze.txt    # pip freeze of the worker image\n"
        "pyarrow==18.1.0\n"
        "$ cat requirements.txt\n"
        "pyarrow==17.0.0\n"
        "$ beam-deps check job.py --worker-requirements worker-freeze.txt -- --requirements_file=requirements.txt\n",
        example_fixed="$ cat requirements.txt\n"
        "pyarrow==18.1.0    # the image's version (or no line at all: the image has it)\n",
    ),
    Rule(
        code="BD411",
        name="unmapped-module",
        severity=W,
        reported_by=("stage",),
        summary="An imported module cannot be mapped to an installed distribution.",
        explanation="The module is importable here but no installed distribution claims it (it may come "
        "from `PYTHONPATH`, a `.pth` file, or a package installed without metadata), so it "
        "cannot be pinned in requirements and will be missing on the worker.",
        fix="Install it as a proper distribution (pip install), or keep it in your project so it "
        "is staged as local code.",
        example="$ export PYTHONPATH=~/shared-libs    # geoutils/ is there, installed by no distribution\n"
        "$ beam-deps stage job.py\n"
        "job.py:5: BD411 [warning] module 'geoutils' is not provided by any installed distribution, so it cannot be pinned and will be missing on the worker\n",
        example_fixed="$ pip install ~/shared-libs/geoutils    # a project with a pyproject.toml\n"
        "$ beam-deps stage job.py\n",
    ),
    Rule(
        code="BD412",
        name="worker-unpickle-failed",
        severity=E,
        reported_by=("check",),
        summary="The simulated worker could not unpickle the payload.",
        explanation="The exact bytes Beam would ship were unpickled in a fresh interpreter that has only "
        "what a worker has, and it raised. The worker would fail the same way before "
        "processing any element.",
        fix="Read the error: usually a missing module (stage it) or a class that exists only in "
        "your script (move it into a staged module).",
        example="class Vocab:\n"
        "    def __init__(self, path='vocab.txt'):\n"
        "        self.path = path\n"
        "        self.words = set(open(path).read().split())\n"
        "\n"
        "    def __setstate__(self, state):  # runs on the worker, where vocab.txt is not\n"
        "        self.__init__(state['path'])  # FileNotFoundError\n",
        example_fixed="class Vocab:\n"
        "    def __init__(self, path='vocab.txt'):\n"
        "        self.words = set(open(path).read().split())  # the words travel in the payload\n",
    ),
    Rule(
        code="BD413",
        name="staged-code-not-inspected",
        severity=I,
        reported_by=("check",),
        summary="Local code the pipeline stages could not be inspected exactly.",
        explanation="The simulated worker gets what your `--setup_file` and `--extra_package` options "
        "ship: beam-deps builds the wheel a worker would install and reads its modules and "
        "its declared dependencies. When that is not possible (the project or sdist does not "
        "build, the file is missing or of an unknown kind, a wheel holds compiled extensions "
        "that cannot be imported from the wheel file), the message says what was done "
        "instead, so BD401 and BD402 findings about that code may be wrong.",
        fix="Run `python -m build` on the project (or sdist) to see why it does not build and fix "
        "it, or pass a built wheel with `--extra_package`.",
        example="# setup.py: VERSION is not in the sdist, so the wheel cannot be built from it\n"
        "setup(name='mypipeline', version=open('VERSION').read(), py_modules=['transforms'])\n",
        example_fixed="setup(name='mypipeline', version='1.0', py_modules=['transforms'])\n",
    ),
    Rule(
        code="BD414",
        name="requirements-file-unreadable",
        severity=E,
        reported_by=("check",),
        summary="The pipeline's `--requirements_file` does not exist or cannot be read.",
        explanation="Beam's stager copies the requirements file when the pipeline is submitted and stops "
        "with `RuntimeError: The file ... cannot be found` when the path does not name a "
        "file. A relative path is resolved from the directory you submit from, not from the "
        "script's folder, so a pipeline that works from one directory fails from another. A "
        "file it includes with `-r` or `-c` that is missing, or a file that cannot be read "
        "as text, makes pip fail the same way.",
        fix="Pass the path of an existing requirements file (absolute, or built from the script's "
        "own location), or drop `--requirements_file` if the worker image has everything the "
        "pipeline needs.",
        example="# submitted from another directory: requirements.txt is not there\n"
        "options = PipelineOptions(requirements_file='requirements.txt')\n",
        example_fixed="HERE = pathlib.Path(__file__).parent\n"
        "options = PipelineOptions(requirements_file=str(HERE / 'requirements.txt'))\n",
    ),
    Rule(
        code="BD423",
        name="setup-file-unusable",
        severity=E,
        reported_by=("check",),
        summary="The pipeline's `--setup_file` does not exist or is not a setup.py/pyproject.toml.",
        explanation="Beam's stager builds the package of `--setup_file` when the job is submitted, "
        "after the pipeline was built, and stops with `RuntimeError: The file ... cannot be "
        "found` when the path names no file, or with `The --setup_file option expects the full "
        "path to a file named setup.py or pyproject.toml` for any other name. A relative path "
        "is resolved from the directory you submit from, not from the script's folder.",
        fix="Pass the path of the project's setup.py or pyproject.toml (absolute, or built from the "
        "script's own location), or stage the local code with `beam-deps stage`.",
        example="# submitted from another directory: setup.py is not there\n"
        "options = PipelineOptions(setup_file='./setup.py')\n",
        example_fixed="HERE = pathlib.Path(__file__).parent\n"
        "options = PipelineOptions(setup_file=str(HERE / 'setup.py'))\n",
    ),
    Rule(
        code="BD415",
        name="worker-image-not-modelled",
        severity=I,
        reported_by=("check",),
        summary="The worker image's Python and packages are not known exactly, so the comparison with it is partial.",
        explanation="For Beam's SDK container images (`apache/beam_pythonX.Y_sdk:VERSION`) beam-deps "
        "knows the Python version and the installed packages, and compares them with what your "
        "pipeline needs. A custom image name says neither, so Python and Beam versions are not "
        "compared with yours; for a Beam release it has no package list for, the nearest list "
        "it has is used. Said once, so the comparison is never silently partial.",
        fix="Describe the image: `--worker-python` and `--worker-requirements` with the image's "
        "`pip freeze`.",
        example="$ beam-deps check job.py --worker-image gcr.io/my-proj/etl-worker:latest\n"
        "job.py:31: BD415 [info] worker image gcr.io/my-proj/etl-worker:latest is not a Beam SDK image name (apache/beam_pythonX.Y_sdk:VERSION), so its Python and apache-beam versions were not compared with yours\n",
        example_fixed="$ docker run --rm --entrypoint pip gcr.io/my-proj/etl-worker:latest freeze > worker-freeze.txt\n"
        "$ beam-deps check job.py --worker-image gcr.io/my-proj/etl-worker:latest \\\n"
        "    --worker-python 3.11 --worker-requirements worker-freeze.txt\n",
    ),
    Rule(
        code="BD420",
        name="declared-version-not-installed",
        severity=W,
        reported_by=("check", "stage"),
        summary="A declared requirement excludes the version installed here, or is not installed here.",
        explanation="`@beam_deps.requires(...)`, `requires_base(...)`, a line of the pipeline's "
        "`--requirements_file` or a dependency of the local project asks for a version that "
        "is not the one installed where the pipeline is built and checked. Workers install "
        "the declared version, so they run code that was never imported here: payloads that "
        "refer to its classes by name may not load, and behaviour may differ. A declared "
        "distribution that is not installed here at all cannot be pinned: it is staged as "
        "written, and workers install whatever version the package index resolves.",
        fix="Install the declared version locally (`pip install 'NAME==VERSION'`), or change the "
        "declaration or requirements line to the version you test with.",
        example="@beam_deps.requires('pandas==2.2.3')  # but pandas 2.1.4 is installed\n"
        "class ToFrame(beam.DoFn): ...\n",
        example_fixed="@beam_deps.requires('pandas==2.1.4')\nclass ToFrame(beam.DoFn): ...\n",
    ),
    Rule(
        code="BD421",
        name="wheelhouse-incomplete",
        severity=W,
        reported_by=("stage",),
        summary="A staged requirement has no binary wheel for the worker's platform.",
        explanation="With `--wheelhouse`, beam-deps downloads a wheel of every staged requirement for the "
        "worker's platform and Python so workers install offline. No wheel exists for this "
        "one (only an sdist, or a VCS/URL requirement), so workers will resolve it from the "
        "index at start-up, and may have to build it.",
        fix="Build a wheel yourself (`pip wheel NAME`) and pass it with `--extra_package`, use a "
        "version that publishes wheels, or install it in a custom worker image.",
        example="$ pip install docopt==0.6.2    # PyPI has only an sdist of it\n"
        "$ beam-deps stage job.py --wheelhouse\n"
        "... BD421 [warning] no binary wheel of docopt==0.6.2 for the worker's platform is in the wheelhouse; workers will install it from the index\n",
        example_fixed="$ pip uninstall -y docopt && pip install docopt-ng    # the same docopt module, as a wheel\n"
        "$ beam-deps stage job.py --wheelhouse\n",
    ),
    Rule(
        code="BD422",
        name="local-module-excluded",
        severity=W,
        reported_by=("stage",),
        summary="A local module the pipeline imports is excluded from staging.",
        explanation="The module is next to your script and your code imports it, but the exclusion rules "
        "left it out of the local-code wheel: it is ignored by `.gitignore`, or its name looks "
        "like a secret or a cache. Workers will fail with ModuleNotFoundError.",
        fix="Un-ignore the file (or rename it) if it is code that must ship; if it holds secrets, "
        "read them on the worker from a secret manager instead of importing them.",
        example="$ cat .gitignore\n"
        "local_settings.py\n"
        "$ beam-deps stage job.py    # job.py does `from local_settings import TABLE`\n"
        "... BD422 [warning] local module 'local_settings' (local_settings.py) is imported but excluded from staging (ignored by .gitignore: local_settings.py); the worker will not have it\n",
        example_fixed="$ mv local_settings.py pipeline_settings.py    # code that must ship, under a name not ignored\n"
        "$ sed -i 's/from local_settings/from pipeline_settings/' job.py\n"
        "$ beam-deps stage job.py\n",
    ),
]
