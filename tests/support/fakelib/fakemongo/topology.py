"""The client's view of the deployment (pymongo.topology)."""

from __future__ import annotations

import collections
import threading

from fakemongo.pool import Server


class _ServerSessionPool(collections.deque):
    def __init__(self) -> None:
        super().__init__()
        self.generation_id = 0
        self._lock = threading.Lock()


class Topology:
    def __init__(self, seeds: list[tuple[str, int]]) -> None:
        self._seeds = seeds
        self._opened = False
        self._lock = threading.Lock()
        self._condition = threading.Condition(self._lock)
        self._servers = {address: Server(address) for address in seeds}
        self._session_pool = _ServerSessionPool()
