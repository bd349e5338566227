"""Which imports made while the script builds its pipeline are Beam's own business.

Beam imports some modules lazily while a pipeline is built: ``Pipeline()`` asks whether it runs
in IPython (``interactive_utils.is_in_ipython`` imports ``IPython`` when it is installed), a
transform may import an optional backend. Those modules are not what the pipeline needs on a
worker: Beam tolerates their absence, and staging them would pin IPython and its dozen
dependencies into every job of a user who happens to have Jupyter installed. A module is
attributed to Beam when the nearest frame that started its import, going outwards past library
code, is Beam's rather than the user's (so ``pandas.read_excel`` importing ``openpyxl`` for the
user's own call still counts as the user's).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from importlib.abc import MetaPathFinder

from beam_deps.pickling.locations import is_user_file


def _beam_root() -> str | None:
    try:
        import apache_beam
    except ImportError:  # pragma: no cover - beam-deps requires Beam
        return None
    return os.path.dirname(os.path.abspath(apache_beam.__file__)) + os.sep


class _Attributor(MetaPathFinder):
    """Finds nothing itself: it only notes who asked for each new top-level module."""

    def __init__(self, beam_root: str) -> None:
        self.beam_root = beam_root
        self.by_beam: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - importlib protocol
        if fullname in sys.modules:
            return None
        frame = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.beam_root):
                self.by_beam.add(fullname)
                break
            if not filename.startswith("<") and filename != __file__ and is_user_file(filename):
                break
            frame = frame.f_back
        return None


@contextlib.contextmanager
def imports_by_beam() -> Iterator[set[str]]:
    """Yield the set, filled while the block runs, of modules whose import Beam started."""
    root = _beam_root()
    if root is None:
        yield set()
        return
    finder = _Attributor(root)
    sys.meta_path.insert(0, finder)
    try:
        yield finder.by_beam
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
