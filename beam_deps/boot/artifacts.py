"""Talk to the runner the way Beam's container boot does: provision info, then the artifacts.

Uses the gRPC stubs that ship with apache-beam (``beam_provision_api_pb2_grpc``,
``beam_artifact_api_pb2_grpc``). Every call carries the ``worker_id`` metadata header: runners
look the worker up by it (Beam's own provision service fails without it).

Files are written to a temporary name and renamed, so a download that breaks off never leaves
a truncated file that a later check could mistake for a staged one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beam_deps.boot.errors import BootError
from beam_deps.boot.plan import pip_requirements_name

STAGING_TO_ROLE = "beam:artifact:role:staging_to:v1"
PIP_REQUIREMENTS_ROLE = "beam:artifact:role:pip_requirements_file:v1"


def beam_api():
    """``apache_beam.portability.api`` without running ``apache_beam/__init__``.

    The generated protos and stubs are self-contained (relative imports only), but importing
    them the normal way first imports all of Beam: several seconds per worker on a busy
    machine, paid again by ``sdk_worker_main`` right after. The boot process only needs the
    stubs and is replaced by ``exec`` moments later, so when Beam is not imported yet it
    registers a bare package object for ``apache_beam`` (same search path, no ``__init__``)
    for the life of this process. Any surprise falls back to the normal import.
    """
    import importlib
    import importlib.util
    import sys
    import types

    if "apache_beam" not in sys.modules:
        try:
            spec = importlib.util.find_spec("apache_beam")
            if spec is not None and spec.submodule_search_locations:
                bare = types.ModuleType("apache_beam")
                bare.__path__ = list(spec.submodule_search_locations)
                bare.__spec__ = spec
                sys.modules["apache_beam"] = bare
                return importlib.import_module("apache_beam.portability.api")
        except Exception:
            for name in [m for m in sys.modules if m.split(".")[0] == "apache_beam"]:
                del sys.modules[name]
    return importlib.import_module("apache_beam.portability.api")


@dataclass
class Provision:
    """The parts of Beam's ``ProvisionInfo`` the boot uses."""

    info: Any  # beam_provision_api_pb2.ProvisionInfo
    pipeline_options_json: str
    logging_endpoint: str
    artifact_endpoint: str
    control_endpoint: str


def _channel(endpoint: str, what: str, timeout: float):
    import grpc

    channel = grpc.insecure_channel(
        endpoint,
        options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)],
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise BootError(
            "BD503",
            f"cannot reach the {what} endpoint {endpoint} (no answer within {timeout:g}s)",
        ) from None
    return channel


def get_provision(
    endpoint: str, worker_id: str, *, timeout: float, fallback: dict[str, str]
) -> Provision:
    """Fetch the provision info; endpoints in it override the command-line ones (as in Go)."""
    import grpc
    from google.protobuf import json_format

    api = beam_api()
    channel = _channel(endpoint, "provision", timeout)
    try:
        stub = api.beam_provision_api_pb2_grpc.ProvisionServiceStub(channel)
        response = stub.GetProvisionInfo(
            api.beam_provision_api_pb2.GetProvisionInfoRequest(),
            metadata=[("worker_id", worker_id)],
            timeout=timeout,
        )
    except grpc.RpcError as exc:
        raise BootError(
            "BD503", f"the provision service at {endpoint} failed: {_rpc_message(exc)}"
        ) from None
    finally:
        channel.close()
    info = response.info
    return Provision(
        info=info,
        pipeline_options_json=json_format.MessageToJson(info.pipeline_options, indent=None),
        logging_endpoint=info.logging_endpoint.url or fallback.get("logging", ""),
        artifact_endpoint=info.artifact_endpoint.url or fallback.get("artifact", ""),
        control_endpoint=info.control_endpoint.url or fallback.get("control", ""),
    )


def retrieve(provision: Provision, worker_id: str, dest: Path, *, timeout: float) -> list[str]:
    """Download every staged artifact into ``dest`` (emptied first); return their names."""
    import grpc

    api = beam_api()
    dependencies = list(provision.info.dependencies)
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)  # files of an earlier job must not pass for this job's
    dest.mkdir(parents=True)
    if not dependencies:
        return []
    endpoint = provision.artifact_endpoint
    if not endpoint:
        raise BootError("BD503", "the runner staged artifacts but gave no artifact endpoint")
    channel = _channel(endpoint, "artifact", timeout)
    names: list[str] = []
    metadata = [("worker_id", worker_id)]
    try:
        stub = api.beam_artifact_api_pb2_grpc.ArtifactRetrievalServiceStub(channel)
        resolved = stub.ResolveArtifacts(
            api.beam_artifact_api_pb2.ResolveArtifactsRequest(artifacts=dependencies),
            metadata=metadata,
            timeout=timeout,
        ).replacements
        pip_requirements = 0
        for artifact in resolved:
            if artifact.role_urn == PIP_REQUIREMENTS_ROLE:
                # Beam's stager sends PyPI requirements with no staged name; each gets its own
                # (two must not overwrite each other) that the install plan recognises.
                digest = hashlib.sha256(artifact.SerializeToString()).hexdigest()
                name = pip_requirements_name(pip_requirements, digest)
                pip_requirements += 1
            else:
                name = _staged_name(artifact)
            target = dest / name
            tmp = dest / f".{name}.part-{os.getpid()}"
            with open(tmp, "wb") as out:
                for chunk in stub.GetArtifact(
                    api.beam_artifact_api_pb2.GetArtifactRequest(artifact=artifact),
                    metadata=metadata,
                ):
                    out.write(chunk.data)
            os.replace(tmp, target)
            names.append(name)
    except grpc.RpcError as exc:
        raise BootError(
            "BD503", f"retrieving artifacts from {endpoint} failed: {_rpc_message(exc)}"
        ) from None
    finally:
        channel.close()
    return names


def _staged_name(artifact) -> str:
    if artifact.role_urn != STAGING_TO_ROLE:
        raise BootError("BD503", f"unsupported artifact role {artifact.role_urn}")
    payload = beam_api().beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(
        artifact.role_payload
    )
    name = payload.staged_name
    if not name or os.path.isabs(name) or ".." in Path(name).parts or "/" in name:
        raise BootError("BD503", f"the runner named a staged file {name!r}, refusing that path")
    return name


def _rpc_message(exc: Exception) -> str:
    details = getattr(exc, "details", None)
    code = getattr(exc, "code", None)
    try:
        text = details() if callable(details) else str(exc)
        status = code().name if callable(code) else ""
    except Exception:
        text, status = str(exc), ""
    return f"{status} {text}".strip().replace("\n", " ")[:300]
