"""Python, apache-beam and pickler versions against what the worker image declares.

Workers refuse a pipeline built by another Beam version or Python minor version, and
payloads made by one pickle library (or dill version) do not load with another. The worker
image is described by ``--worker-image`` / ``--sdk_container_image`` (Beam's image names
carry both versions: ``apache/beam_python3.11_sdk:2.77.0``), ``--worker-python`` and
``--worker-requirements`` (a freeze of the image). Shared by ``check`` and ``stage``
(``--worker-python``).
"""

from __future__ import annotations

import sys
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.diagnostics import Diagnostic
from beam_deps.environment.images import parse_image

SUPPORTED_DILL = "0.3.1.1"


def version_skew_diagnostics(
    *,
    library: str,
    worker_python: str | None = None,
    worker_image: str | None = None,
    worker_pins: dict[str, str] | None = None,
    local_dill: str | None = None,
) -> list[Diagnostic]:
    import apache_beam

    out: list[Diagnostic] = []
    here_py = f"{sys.version_info.major}.{sys.version_info.minor}"
    image_py, image_beam = parse_image(worker_image)
    pins = worker_pins or {}
    source = f"worker image {worker_image}" if worker_image else "the worker"
    py = worker_python or image_py
    # A custom image is said by its worker model (beam_deps.environment.workers).
    if py and py != here_py:
        out.append(
            diagnostic(
                "BD405",
                f"{source} runs Python {py} but you build the pipeline with Python {here_py}",
            )
        )
    beam = pins.get("apache-beam") or image_beam
    if beam and beam != apache_beam.__version__:
        out.append(
            diagnostic(
                "BD406",
                f"{source} has apache-beam {beam} but you have {apache_beam.__version__}",
            )
        )
    if library == "dill":
        if local_dill and local_dill != SUPPORTED_DILL:
            out.append(
                diagnostic(
                    "BD407",
                    f"--pickle_library=dill is supported only with dill {SUPPORTED_DILL}; "
                    f"you have dill {local_dill}",
                )
            )
        worker_dill = pins.get("dill")
        if worker_dill and worker_dill != SUPPORTED_DILL:
            out.append(
                diagnostic(
                    "BD407",
                    f"--pickle_library=dill needs dill {SUPPORTED_DILL} on the worker; the "
                    f"worker requirements pin dill {worker_dill}",
                )
            )
    if library == "dill_unsafe" and pins.get("dill") and local_dill and pins["dill"] != local_dill:
        out.append(
            diagnostic(
                "BD408",
                f"dill_unsafe: you pickle with dill {local_dill} but the worker has dill "
                f"{pins['dill']}",
            )
        )
    return out


def image_from_options(options: Any) -> str | None:
    try:
        return options.get_all_options().get("sdk_container_image")
    except Exception:  # noqa: BLE001
        return None
