"""Boot log lines: to stderr, and to the runner's Fn API logging service once it is known.

A worker pool reads nothing from its children's stdout (Beam opens it as an unread pipe), so
every line goes to stderr. Like Beam's Go boot, the lines are also sent to the runner's logging
endpoint, which is how a boot failure shows up in the job's log on a cluster instead of only on
a machine the author cannot see. Lines are buffered and sent in one short stream on `close`
(before the exec or the exit): no background thread outlives the boot.
"""

from __future__ import annotations

import sys
import time


class BootLog:
    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.records: list[tuple[float, str, str]] = []
        self._endpoint = ""

    def _emit(self, level: str, message: str) -> None:
        self.records.append((time.time(), level, message))
        prefix = f"beam-deps-boot[{self.worker_id}]"
        tag = "" if level == "info" else f"{level}: "
        sys.stderr.write(f"{prefix}: {tag}{message}\n")
        sys.stderr.flush()

    def info(self, message: str) -> None:
        self._emit("info", message)

    def warning(self, message: str) -> None:
        self._emit("warning", message)

    def error(self, message: str) -> None:
        self._emit("error", message)

    def attach_runner(self, logging_endpoint: str) -> None:
        self._endpoint = logging_endpoint or ""

    def close(self, timeout: float = 10.0) -> None:
        """Send the buffered lines to the runner; never fail the boot over logging."""
        if not self._endpoint or not self.records:
            return
        try:
            _ship(self._endpoint, self.worker_id, self.records, timeout)
        except Exception as exc:  # the stderr copy is still there
            sys.stderr.write(
                f"beam-deps-boot[{self.worker_id}]: could not send boot log to the runner at "
                f"{self._endpoint}: {exc.__class__.__name__}\n"
            )
        self.records = []


def _ship(endpoint: str, worker_id: str, records, timeout: float) -> None:
    import grpc

    from beam_deps.boot.artifacts import beam_api

    api = beam_api()
    beam_fn_api_pb2, beam_fn_api_pb2_grpc = api.beam_fn_api_pb2, api.beam_fn_api_pb2_grpc
    severity = beam_fn_api_pb2.LogEntry.Severity
    levels = {"info": severity.INFO, "warning": severity.WARN, "error": severity.ERROR}
    entries = []
    for created, level, message in records:
        entry = beam_fn_api_pb2.LogEntry(
            severity=levels[level],
            message=f"beam-deps-boot: {message}",
            log_location="beam_deps.boot.main",
            thread="boot",
        )
        entry.timestamp.seconds = int(created)
        entry.timestamp.nanos = int((created % 1) * 1e9)
        entries.append(entry)
    with grpc.insecure_channel(endpoint) as channel:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        stub = beam_fn_api_pb2_grpc.BeamFnLoggingStub(channel)
        responses = stub.Logging(
            iter([beam_fn_api_pb2.LogEntry.List(log_entries=entries)]),
            metadata=[("worker_id", worker_id)],
            timeout=timeout,
        )
        for _ in responses:  # the runner answers with log-control messages, then closes
            pass
