"""The simulated worker: a fresh `python -I` that has only what a Beam worker has."""

from __future__ import annotations

import importlib
import json
import operator
import sys

import pytest
from conftest import HAS_DILL

from beam_deps.beam import profile
from beam_deps.check.detectors.worker_findings import classify_missing, findings_to_diagnostics
from beam_deps.check.simulated.probe import ProbeInput, Staged, WorkerProbe
from beam_deps.pickling import bytecode as probe_bytecode
from beam_deps.pickling import dumps, references, required_modules
from beam_deps.pickling import walk as probe_walk


@pytest.fixture(scope="module")
def probe():
    """One simulated worker for the whole module, as `check` uses one per run."""
    with WorkerProbe() as worker:
        yield worker


def payload(obj, library="cloudpickle", index=0) -> ProbeInput:
    data = dumps(obj, library)
    return ProbeInput(index, data, modules=required_modules(references(data)))


def check(probe, *objects, library="cloudpickle", staged=None):
    _, results = probe.check(
        [payload(o, library, i) for i, o in enumerate(objects)], library=library, staged=staged
    )
    return [results[i] for i in range(len(objects))]


def test_worker_image_is_apache_beam_and_its_dependencies(probe):
    image = probe.ready()["image"]
    assert "apache-beam" in image and "grpcio" in image and "protobuf" in image
    assert "pytest" not in image and "beam-deps" not in image


def test_stdlib_and_image_modules_load_anything_else_fails_like_on_a_worker(probe):
    import grpc

    ok_stdlib, ok_image, not_on_worker = check(
        probe, json.dumps, grpc.insecure_channel, pytest.approx
    )
    assert ok_stdlib == [] and ok_image == []
    assert {"kind": "unpickle", "missing": "_pytest"}.items() <= not_on_worker[0].items()
    (diag,) = findings_to_diagnostics(not_on_worker, subject="approx", library="cloudpickle")
    assert diag.code == "BD401" and "installed here (pytest " in diag.message


def test_local_code_is_missing_unless_staged(probe, tmp_path, monkeypatch):
    (tmp_path / "localmod_for_probe.py").write_text("def f(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("localmod_for_probe")
    try:
        (missing,) = check(probe, module.f)
        staged = Staged(modules=["localmod_for_probe"], paths=[str(tmp_path)])
        (found,) = check(probe, module.f, staged=staged)
    finally:
        sys.modules.pop("localmod_for_probe", None)
    assert missing and missing[0]["missing"] == "localmod_for_probe"
    assert found == []
    (diag,) = findings_to_diagnostics(
        missing, subject="f", library="cloudpickle", search_path=[str(tmp_path)]
    )
    assert diag.code == "BD402"


def test_imports_inside_functions_are_resolved_on_the_worker(probe):
    def uses_missing(x):
        import beam_deps_surely_missing_module  # noqa: F401

        return x

    (findings,) = check(probe, uses_missing)
    (finding,) = findings
    assert finding["kind"] == "import" and finding["module"] == "beam_deps_surely_missing_module"
    assert finding["line"] == uses_missing.__code__.co_firstlineno + 1
    (diag,) = findings_to_diagnostics(findings, subject="uses_missing", library="cloudpickle")
    assert diag.code == "BD403"


MUTABLE = []


def test_module_state_mutation_is_reported(probe):
    def remember(x):
        MUTABLE.append(x)
        return x

    (findings,) = check(probe, remember)
    assert [f["kind"] for f in findings] == ["mutation"]
    (diag,) = findings_to_diagnostics(findings, subject="remember", library="cloudpickle")
    assert diag.code == "BD205" and "MUTABLE" in diag.message


def test_classification_of_missing_modules(tmp_path):
    assert classify_missing("pytest")[0] == "BD401"
    assert classify_missing("beam_deps_no_such_thing")[0] == "BD403"
    (tmp_path / "mine_here.py").write_text("")
    assert classify_missing("mine_here", search_path=[str(tmp_path)])[0] == "BD402"


def test_worker_requirements_replace_the_default_image(tmp_path):
    with WorkerProbe(["apache-beam", "pytest"]) as worker:
        assert "pytest" in worker.ready()["image"]
        (findings,) = check(worker, pytest.approx)
    assert findings == []


@pytest.mark.skipif(not HAS_DILL, reason="dill not installed: runs in the tox 'dill' env")
def test_dill_main_globals_are_undefined_on_the_worker_dill(probe):
    import types

    main = types.ModuleType("__main__")
    exec(
        "import json\nFACTOR = 3\ndef scale(x):\n    return json.dumps(x * FACTOR)\n",
        main.__dict__,
    )
    saved = sys.modules["__main__"]
    dill_impl = importlib.import_module("dill._dill")
    saved_main = dill_impl._main_module
    sys.modules["__main__"], dill_impl._main_module = main, main
    try:
        (findings,) = check(probe, main.scale, library="dill")
    finally:
        sys.modules["__main__"], dill_impl._main_module = saved, saved_main
    kinds = {(f["kind"], f["name"]) for f in findings}
    # Beam's dill pickler before 2.69 ships the module globals a function uses with it, so
    # `json` resolves from the pickle there; from 2.69 it resolves only by accident
    accidental = {("accidental", "json")} if profile().minor >= 69 else set()
    assert kinds == {("name", "FACTOR")} | accidental


# -- the walker (standard library only: it also runs inside the simulated worker) ----------

COUNTS: dict = {}
TOTAL = 0


def test_walker_finds_global_reads_imports_and_mutations():
    def fn(x, d, item):
        global TOTAL
        import os.path  # noqa: F401
        from collections import OrderedDict  # noqa: F401

        COUNTS[x] = 1
        COUNTS[x] += 1
        d[x] = TOTAL
        TOTAL += 1
        COUNTS.setdefault(item[0], []).append(item[1])
        pick = operator.add if x else operator.update  # read as values, not called: no mutation
        return [undefined_name for _ in range(x)], pick  # noqa: F821

    mutations = {(name, how) for name, _, how in probe_bytecode.global_mutations(fn.__code__)}
    assert mutations == {
        ("COUNTS", "assigns an item of"),
        ("COUNTS", "updates an item of"),
        ("TOTAL", "rebinds"),
        ("COUNTS", "calls .setdefault() on"),
    }
    assert [m for m, _ in probe_bytecode.imports(fn.__code__)] == ["os.path", "collections"]
    assert [n for n, _, _ in probe_bytecode.unresolved(fn)] == ["undefined_name"]


def test_walker_reaches_functions_through_closures_instances_and_containers():
    # Code from the user's script: __main__ (as a payload rebuilt on a worker would be).
    namespace = {"__name__": "__main__"}
    exec(
        "def inner(x):\n    return x\n"
        "def outer(x):\n    return inner(x)\n"
        "class Holder:\n"
        "    def __init__(self):\n        self.fns = {'a': [outer]}\n",
        namespace,
    )
    found = {f.__name__ for f in probe_walk.user_functions(namespace["Holder"]())}
    assert found == {"outer", "inner", "__init__"}
    library_code = {f.__name__ for f in probe_walk.user_functions([json.dumps])}
    assert library_code == set()  # pickled by reference: runs against its own module


def test_worker_failure_to_find_a_main_class_confirms_the_predicted_bd302():
    """The merge works on structured fields: the BD412 carries the attribute, not only words."""
    from beam_deps.catalogue import diagnostic
    from beam_deps.check.postprocess import MISSING_MAIN_ATTRIBUTE, merged

    message = (
        "AttributeError: Can't get attribute 'Color' on <module "
        "'apache_beam.runners.worker.sdk_worker_main' from '/x/sdk_worker_main.py'>"
    )
    (bd412,) = findings_to_diagnostics(
        [{"kind": "unpickle", "message": message}], subject="Paint", library="cloudpickle"
    )
    assert bd412.code == "BD412" and bd412.extra[MISSING_MAIN_ATTRIBUTE] == "Color"
    bd412.transform = "Paint"
    bd302 = diagnostic("BD302", "predicted", path="Color", transform="Paint")
    other = diagnostic("BD412", "unrelated", path="Other", transform="Paint")
    out = merged([bd302, bd412, other])
    assert out == [bd302, other]
    assert bd302.extra["confirmed_by_simulated_worker"] is True
    # a BD412 with no predicted twin stays, and the steering key is never reported
    (alone,) = merged(
        findings_to_diagnostics(
            [{"kind": "unpickle", "message": message}], subject="Paint", library="cloudpickle"
        )
    )
    assert alone.code == "BD412" and MISSING_MAIN_ATTRIBUTE not in alone.extra


def test_the_simulated_workers_folder_goes_even_when_check_is_killed(tmp_path):
    """A check killed outright (SIGKILL, a CI timeout) runs no cleanup of its own: the simulated
    worker, left reading end-of-file, removes the folder it ran in."""
    import os
    import signal
    import subprocess
    import time

    code = (
        "import sys, time\n"
        "from beam_deps.check.simulated.probe import WorkerProbe\n"
        "w = WorkerProbe().start()\n"
        "w.ready()\n"
        "print(w._workdir, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    workdir = parent.stdout.readline().strip()
    assert os.path.basename(workdir).startswith("beam-deps-probe-") and os.path.isdir(workdir)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 60
    while os.path.exists(workdir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(workdir)
