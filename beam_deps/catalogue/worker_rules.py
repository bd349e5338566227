"""Rules of the worker's boot (BD5xx): staged files, wheels, artifacts, install, cache.

A new rule goes in its family's block with an explanation, a fix, an example and its fixed
example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    # ---------------------------------------------------------------- BD5 staging and worker boot
    Rule(
        code="BD501",
        name="staged-file-mismatch",
        severity=E,
        reported_by=("boot",),
        summary="A staged file does not match the manifest.",
        explanation="The sha256 of a staged file differs from the one recorded at staging time, or the "
        "file is missing. Installing it could run code nobody staged; the boot refuses.",
        fix="Stage again with `beam-deps stage` and submit the new staging directory.",
        example="$ beam-deps stage pipeline.py --out build/staging\n"
        "$ echo 'requests==2.32.4' >> build/staging/requirements.txt    # edited after staging\n"
        "$ beam-deps-boot --setup-only --staged build/staging\n"
        "beam-deps-boot[setup]: error: BD501 staged file build/staging/requirements.txt does not match the manifest (found sha256 0abdca43214a..., the manifest says 094c8c9e96d0...); ...\n",
        example_fixed="$ beam-deps stage pipeline.py --out build/staging    # stage again: a new manifest\n"
        "$ beam-deps-boot --setup-only --staged build/staging\n",
    ),
    Rule(
        code="BD502",
        name="wheel-incompatible",
        severity=E,
        reported_by=("boot",),
        summary="A staged wheel cannot be installed on the worker's platform or Python.",
        explanation="Binary wheels are built for one platform and Python version. A wheel downloaded for "
        "your laptop (macOS, arm64) does not install on a Linux x86_64 worker.",
        fix="Stage with `--wheelhouse` for the worker's platform and Python, or let the worker "
        "install from the index.",
        example="$ beam-deps stage job.py --wheelhouse    # wheels for Linux x86_64, the default\n"
        "# ...but the workers are arm64 (aarch64) machines:\n"
        "beam-deps-boot[worker_0]: error: BD502 staged wheel orjson-3.10.7-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl does not install on this worker (Python 3.11, cp311-cp311-manylinux_2_36_aarch64); ...\n",
        example_fixed="$ beam-deps stage job.py --wheelhouse --worker-python 3.11 \\\n"
        "    --worker-platform manylinux2014_aarch64\n",
    ),
    Rule(
        code="BD503",
        name="artifacts-unavailable",
        severity=E,
        reported_by=("boot",),
        summary="The worker could not get its provision information or staged artifacts.",
        explanation="`beam-deps-boot` asks the runner's provision service for the pipeline options and "
        "the list of staged files, then downloads them from the artifact retrieval service. "
        "If either endpoint cannot be reached, or a download breaks off, the worker has "
        "nothing trustworthy to install and does not start.",
        fix="Check that the worker can reach the runner at the endpoint named in the message "
        "(network, firewall, the job still running), then restart the worker.",
        example="# a worker pool in a container without the host's network: the runner's\n"
        "# endpoints (localhost:PORT) point at the container itself\n"
        "beam-deps-boot[worker_0]: error: BD503 cannot reach the provision endpoint localhost:41327 (no answer within 120s); ...\n",
        example_fixed="$ docker run --network=host my-worker-image \\\n"
        "    python -m apache_beam.runners.worker.worker_pool_main --service-port=50000 \\\n"
        "    --container_executable=/usr/local/bin/beam-deps-boot\n",
    ),
    Rule(
        code="BD504",
        name="environment-install-failed",
        severity=E,
        reported_by=("boot",),
        summary="Installing the staged packages on the worker failed.",
        explanation="The staged files matched the manifest, but the installer (uv or pip, from the "
        "verified staged wheels; requirements staged without a wheel come from the package "
        "index) could not build the worker environment: a wheel that is not a valid zip, a "
        "requirement found neither staged nor on the index, or a dependency the worker image "
        "does not satisfy. The half-built environment is removed so the next worker starts clean.",
        fix="Read the installer's message in the log line; stage again (with `--wheelhouse` for "
        "an offline worker) or add the missing package to the worker image.",
        example="$ beam-deps stage job.py --worker-requirements image-v1-freeze.txt    # v1 has oauthlib\n"
        "# ...but the workers run image v2, which dropped oauthlib:\n"
        "beam-deps-boot[worker_0]: error: BD504 the staged packages need what neither the staging nor the worker image provides: requests-oauthlib 2.0.0 needs oauthlib>=3.0.0, missing; ...\n",
        example_fixed="$ docker run --rm --entrypoint pip my-worker:v2 freeze > image-v2-freeze.txt\n"
        "$ beam-deps stage job.py --worker-requirements image-v2-freeze.txt    # stages oauthlib\n",
    ),
    Rule(
        code="BD505",
        name="environment-cache-unwritable",
        severity=E,
        reported_by=("boot",),
        summary="The worker cannot write its environment cache.",
        explanation="`beam-deps-boot` installs each staged environment once per machine into a cache "
        "directory (`--cache-dir` or `BEAM_DEPS_CACHE_DIR`, default under the user's cache "
        "directory) and reuses it for later workers. The directory could not be created or "
        "written, so nothing was installed.",
        fix="Point `BEAM_DEPS_CACHE_DIR` at a writable directory on the worker (for a container, "
        "a path the container user owns), or fix the permissions named in the message.",
        example="# the worker container runs with a read-only root filesystem\n"
        "beam-deps-boot[worker_0]: error: BD505 cannot write the environment cache /root/.cache/beam-deps/envs (Read-only file system); ...\n",
        example_fixed="# the worker image's Dockerfile; mount a writable volume there (e.g. an emptyDir)\n"
        "ENV BEAM_DEPS_CACHE_DIR=/var/cache/beam-deps\n",
    ),
]
