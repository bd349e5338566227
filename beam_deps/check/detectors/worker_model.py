"""The pipeline against the worker model its runner gets (``beam_deps.environment.workers``).

On a runner that starts Beam's SDK container, the workers have the image's ~150 packages
(pandas, bs4, SQLAlchemy, google-cloud-*, ...) whether or not they are installed here: a module
the image provides is never "missing" (no BD401/BD403). When the image has another version of
a package than the one the pipeline was built with, and a payload refers to that package by
reference (its classes or functions are looked up by name on the worker), both versions are
said (BD410): the worker runs code the pipeline was not checked with. An image beam-deps has no
package list for is said once (BD415), with the ``--worker-requirements`` fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic, Severity
from beam_deps.environment.distributions import WorkerImage, module_owner
from beam_deps.environment.workers import WorkerModel, local_worker_imports
from beam_deps.staging.imports import is_stdlib

MISSING = ("BD401", "BD403")
NOT_ON_WORKER = ("BD401", "BD402", "BD403")


def worker_model_diagnostics(
    model: WorkerModel,
    diagnostics: Iterable[Diagnostic],
    by_reference: Iterable[str] = (),
) -> list[Diagnostic]:
    """``diagnostics`` without the missing modules the image (or, for any model, the
    interpreter itself) provides, plus the model's note and the version differences of
    packages the payloads refer to by reference."""
    found = [d for d in diagnostics if not _ships_with_python(d)]
    if model.kind == "local":
        return [_on_local_workers(d) for d in found]
    if model.kind != "sdk-image":
        return found
    image = model.packages()
    kept = [d for d in found if not _provided(d, image)]
    kept += [diagnostic("BD415", note) for note in model.notes]
    kept += _version_differences(image, by_reference)
    return kept


def _ships_with_python(d: Diagnostic) -> bool:
    """A module every worker's interpreter has although ``sys.stdlib_module_names`` does not
    list it (``_sysconfigdata_*``, which sysconfig imports when pandas is imported): never
    missing, never local code. The simulated worker already allows them (the probe hands it
    ``staging.imports.interpreter_modules()``); this keeps any other source of these codes
    from reporting them, so staging pandas as BD401 says never leaves a BD402 the user
    cannot clear."""
    module = _module(d)
    return d.code in NOT_ON_WORKER and module is not None and is_stdlib(module)


def _on_local_workers(d: Diagnostic) -> Diagnostic:
    """BD401 on a runner whose workers are processes of this interpreter (DirectRunner,
    PROCESS, EXTERNAL, LOOPBACK...) for a package installed in this interpreter's own
    environment: those workers import it, so the run works and an error would be false; a
    runner with its own workers would not have it, so it stays said, as a warning. A package
    reached only through this process's ``PYTHONPATH`` or a ``sys.path`` change stays an
    error: a worker the runner starts does not get those."""
    module = _module(d)
    if d.code != "BD401" or module is None or not local_worker_imports(module):
        return d
    owned = module_owner(module)
    what = f"{owned[0]} {owned[1]}" if owned else "installed here"
    return dataclasses.replace(
        d,
        severity=Severity.WARNING,
        message=f"{module!r} ({what}) is in this interpreter's environment but not among "
        "apache-beam's dependencies: this runner's workers are processes of this interpreter "
        "and import it, but a runner with its own workers (Dataflow, a portable runner's "
        f"containers) fails with ModuleNotFoundError: No module named {module!r}",
        fix="Nothing to do for this runner. For one with its own workers: "
        + (d.fix or "stage it")
        + "; check with that runner's options to see its workers.",
        extra={**d.extra, "local_workers_have_it": True},
    )


def _provided(d: Diagnostic, image: WorkerImage) -> bool:
    module = _module(d)
    return d.code in MISSING and module is not None and image.provides(module) is not None


def _module(d: Diagnostic) -> str | None:
    return (d.extra or {}).get("module")


def _version_differences(image: WorkerImage, by_reference: Iterable[str]) -> list[Diagnostic]:
    out = []
    seen: set[str] = set()
    for reference in sorted(by_reference):
        top = reference.split(".")[0].split(":")[0]
        if not top or top in seen:
            continue
        seen.add(top)
        owner = module_owner(top)
        if owner is None:
            continue
        name, version, _ = owner
        dist = image.provides(top)
        if dist == "apache-beam":
            continue  # another Beam on the worker is BD406 (environment.skew), said once
        have = image.version(dist) if dist else None
        if not have or not version or have == version:
            continue
        out.append(
            diagnostic(
                "BD410",
                f"the payload refers to {top} by reference: the worker image ({image.source}) "
                f"has {name}=={have} but you build the pipeline with {name} {version}, so the "
                "worker runs code the pipeline was not checked with",
                fix=f"Use {name}=={have} here (the image's version), or stage {name}=={version} "
                "(`beam-deps stage` pins it and says so) so the worker installs yours over it.",
            )
        )
    return out
