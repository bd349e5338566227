"""The client (pymongo.mongo_client): thread-safe, with background threads of its own."""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from fakemongo.periodic_executor import PeriodicExecutor
from fakemongo.topology import Topology


class MongoClient:
    HOST = "localhost"
    PORT = 27017

    def __init__(self, host: str = HOST, port: int = PORT, connect: bool = False) -> None:
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._kill_cursors_queue: list = []
        self._topology = Topology([(host, port)])
        # Resolves mongodb+srv:// seed lists off the caller's thread.
        self._srv_executor = ThreadPoolExecutor(1, thread_name_prefix="fakemongo-srv")

        def target() -> bool:
            client = self_ref()
            if client is None:
                return False  # the client was freed: stop the executor
            MongoClient._process_periodic_tasks(client)
            return True

        executor = PeriodicExecutor(
            interval=1.0, min_interval=0.5, target=target, name="pymongo_kill_cursors_thread"
        )
        # The executor is strongly referenced; it references the client weakly, through the
        # closure above, so that a freed client stops it.
        self_ref = weakref.ref(self, executor.close)
        self._kill_cursors_executor = executor
        if connect:
            executor.open()

    def _process_periodic_tasks(self) -> None:
        self._kill_cursors_queue.clear()

    def close(self) -> None:
        self._kill_cursors_executor.close()
        self._srv_executor.shutdown(wait=False)

    def __getitem__(self, name: str) -> dict:
        return {"client": self, "name": name}
