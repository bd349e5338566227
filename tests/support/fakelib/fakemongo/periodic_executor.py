"""Run a target function periodically on a background thread (pymongo.periodic_executor)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class PeriodicExecutor:
    def __init__(
        self, interval: float, min_interval: float, target: Callable[[], bool], name: str
    ) -> None:
        self._event = False
        self._interval = interval
        self._min_interval = min_interval
        self._target = target
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._name = name
        self._skip_sleep = False
        self._thread_will_exit = False
        self._lock = threading.Lock()

    def open(self) -> None:
        self._stopped = False

    def close(self, dummy: object = None) -> None:
        self._stopped = True
