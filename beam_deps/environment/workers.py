"""The worker model: what the runner's workers will have installed.

The runner chooses the workers, so it chooses the model:

* ``--worker-requirements FILE`` (a ``pip freeze`` taken inside a custom image) always wins;
* runners that start Beam's SDK container (DataflowRunner; PortableRunner and the Flink/Spark
  job servers with the default or ``DOCKER`` environment) get that image's package list: the
  one named by ``--worker-image``/``--sdk_container_image``, else Beam's default image for the
  installed Beam and this Python (``apache/beam_python{X.Y}_sdk:{V}``);
* runners whose workers are local processes (DirectRunner, Prism, ``PROCESS``, ``EXTERNAL``,
  ``LOOPBACK``, the subprocess harness; Flink/Spark on ``[local]``) see the local environment:
  apache-beam and its dependency closure as installed here.

An image beam-deps has no package list for (a custom name, a newer Beam) is said once, with the
``--worker-requirements`` fix, and the nearest known list is used.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beam_deps.environment import images
from beam_deps.environment.distributions import (
    BASE_TOOLS,
    Environment,
    WorkerImage,
    locate_module,
    worker_image,
)

LOCAL_ENVIRONMENTS = ("PROCESS", "EXTERNAL", "LOOPBACK", "BEAM:ENV:HARNESS_SUBPROCESS_PYTHON:V1")
_LOCAL_MASTERS = ("[local]", "[auto]", "")  # and Spark's local[N]


@dataclass(frozen=True)
class WorkerModel:
    """Which worker the checks and the staged requirements are made for (said in output)."""

    kind: str  # "local" | "sdk-image" | "freeze"
    label: str
    image: str | None = None
    model: tuple[str, str] | None = None  # (Beam, Python) of the package list used
    requirements_file: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. an image without a package list

    def packages(self, env: Environment | None = None) -> WorkerImage:
        """The model's packages (an image's list, a freeze, or the local closure, for which
        ``env`` is read: made here when not given)."""
        if self.kind == "sdk-image" and self.model:
            found: dict[str, str | None] = dict(images.packages(*self.model))
            for tool in BASE_TOOLS:
                found.setdefault(tool, None)
            return WorkerImage(found, self.label, "sdk-image")
        return worker_image(env or Environment(), self.requirements_file)

    def probe_names(self) -> list[str] | None:
        """Names for the simulated worker: an image's distributions plus the import names
        that differ from them (a package the image has but that is not installed here is
        then no missing module); None for the local model (the probe's own default)."""
        if self.kind != "sdk-image" or not self.model:
            return None
        names = set(images.packages(*self.model))
        names |= {m for m, dist in images.IMPORT_NAMES.items() if dist in names}
        return sorted(names)

    def as_dict(self) -> dict[str, Any]:
        """For the JSON report."""
        return {
            "kind": self.kind,
            "label": self.label,
            "image": self.image,
            "package_list": f"{self.model[0]}/py{self.model[1]}" if self.model else None,
            "requirements_file": self.requirements_file,
        }


def runner_starts_image(options: Mapping[str, Any]) -> bool:
    """Does this runner start Beam's SDK container for its Python workers?"""
    runner = options.get("runner")
    name = (runner if isinstance(runner, str) else type(runner).__name__ if runner else "") or ""
    name = name.rsplit(".", 1)[-1].lower()
    if "dataflow" in name:
        return True  # Dataflow always starts a container, whatever --environment_type says
    environment = str(options.get("environment_type") or "").upper()
    if environment:
        return environment == "DOCKER"
    if name.startswith(("flink", "spark")):
        # Beam's Flink/Spark runners use LOOPBACK (local processes) on an embedded cluster
        master = options.get("flink_master") or options.get("spark_master_url") or ""
        return not (str(master) in _LOCAL_MASTERS or str(master).startswith("local"))
    return name.startswith("portable")


def worker_model(
    options: Mapping[str, Any] | None = None,
    *,
    worker_image: str | None = None,
    worker_requirements: str | Path | None = None,
    beam_version: str | None = None,
    python: str | None = None,
) -> WorkerModel:
    """The worker model for a pipeline with these options (``get_all_options()``)."""
    options = options or {}
    if worker_requirements is not None:
        return WorkerModel(
            "freeze",
            f"the packages of {worker_requirements} (--worker-requirements)",
            requirements_file=str(worker_requirements),
        )
    named = (
        worker_image
        or options.get("sdk_container_image")
        or options.get("worker_harness_container_image")
    )
    if not worker_image and not runner_starts_image(options):
        return WorkerModel("local", "local worker processes: the packages installed here")
    if beam_version is None:
        import apache_beam

        beam_version = apache_beam.__version__
    here = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    image = named or images.default_image(beam_version, here)
    image_py, image_beam = images.parse_image(image)
    wanted = (image_beam or (beam_version if not named else None), image_py or here)
    exact = wanted if wanted[0] and wanted in images.known() else None
    model = exact or images.nearest(wanted[0], wanted[1])
    notes = []
    if exact is None and model is not None:
        assumed = images.default_image(model[0], model[1])
        if image_py is None:
            notes.append(
                f"worker image {image} is not a Beam SDK image name "
                "(apache/beam_pythonX.Y_sdk:VERSION), so its Python and apache-beam versions "
                f"were not compared with yours and its packages are assumed to be those of "
                f"{assumed}; describe it: --worker-python X.Y and --worker-requirements with a "
                "`pip freeze` taken inside it"
            )
        else:
            notes.append(
                f"beam-deps has no package list for worker image {image}; its packages are "
                f"assumed to be those of {assumed}; describe it exactly with "
                "--worker-requirements (a `pip freeze` taken inside the image)"
            )
    return WorkerModel("sdk-image", f"SDK container image {image}", image, model, notes=notes)


def model_for_argv(
    argv: Sequence[str],
    *,
    worker_image: str | None = None,
    worker_requirements: str | Path | None = None,
) -> WorkerModel:
    """The worker model for the pipeline's arguments (``--runner``, ``--environment_type``,
    ``--sdk_container_image``) and beam-deps' ``--worker-image``/``--worker-requirements``:
    what ``check`` and ``stage`` both use, so they judge the same worker."""
    from apache_beam.options.pipeline_options import PipelineOptions

    try:
        options = PipelineOptions(list(argv)).get_all_options(retain_unknown_options=False)
    except (Exception, SystemExit):  # noqa: BLE001 - check's BD003 reports what Beam rejects
        options = {}
    return worker_model(options, worker_image=worker_image, worker_requirements=worker_requirements)


@functools.lru_cache(maxsize=4)
def interpreter_path(python: str | None = None) -> tuple[str, ...]:
    """``sys.path`` of a fresh ``python -I`` of this interpreter (real paths): where a local
    worker started with it imports from (site-packages and what its ``.pth`` files add, so
    editable installs too), without this process's ``PYTHONPATH``, script folder or
    ``sys.path`` changes, which a worker the runner starts does not get. Empty when the
    interpreter cannot be asked."""
    try:
        out = subprocess.run(  # noqa: S603 - our own interpreter
            [python or sys.executable, "-I", "-c", "import json, sys; print(json.dumps(sys.path))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        return tuple(os.path.realpath(p) for p in json.loads(out.splitlines()[-1]) if p)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return ()


def local_worker_imports(module: str) -> bool:
    """Does a worker that is a process of this interpreter import ``module`` although the
    local model (apache-beam's closure) lacks it? True when the folder it is found in here is
    on the interpreter's own path (``interpreter_path``): a package installed in this
    environment, not one this process reaches through ``PYTHONPATH`` or a ``sys.path``
    change."""
    found = locate_module(module)
    return found is not None and os.path.realpath(found[0]) in interpreter_path()
