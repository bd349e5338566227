"""A server's connection pool (pymongo.pool): connections are made lazily, on first use."""

from __future__ import annotations

import collections
import threading


class Pool:
    def __init__(self, address: tuple[str, int], max_pool_size: int = 100) -> None:
        self.address = address
        self.max_pool_size = max_pool_size
        self.conns: collections.deque = collections.deque()
        self.active_sockets = 0
        self.lock = threading.Lock()
        self.size_cond = threading.Condition(self.lock)
        self._max_connecting_cond = threading.Condition(self.lock)
        self.generation = 0


class Server:
    def __init__(self, address: tuple[str, int]) -> None:
        self.description = {"address": address, "type": "Unknown"}
        self.pool = Pool(address)
