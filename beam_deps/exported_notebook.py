"""``get_ipython()`` for notebooks exported as scripts (``jupyter nbconvert --to script``).

An exported notebook keeps its magics as ``get_ipython().run_line_magic(...)`` lines, which
raise NameError outside IPython. ``beam-deps check`` runs such a script with this stand-in:
line magics and shell escapes (``%load_ext``, ``%beam_deps_check``, ``!pip install``) do
nothing, since check only builds the pipeline; cell magics that merely wrap Python
(``%%time``, ``%%capture``...) run their cell, so the pipeline code inside them is checked.
It imports nothing of beam-deps: the loader uses it.
"""

from __future__ import annotations

from typing import Any

# Cell magics whose body is plain Python run in the notebook's namespace.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})


class ExportedNotebookShell:
    """The few ``get_ipython()`` methods that nbconvert writes into a script."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.user_ns = namespace

    def __call__(self) -> ExportedNotebookShell:  # the shell is its own get_ipython
        return self

    def run_line_magic(self, magic_name: str, line: str, _stack_depth: int = 1) -> None:
        return None

    def run_cell_magic(self, magic_name: str, line: str, cell: str) -> None:
        if magic_name in _PYTHON_CELL_MAGICS:
            exec(compile(cell, f"<cell %%{magic_name}>", "exec"), self.user_ns)

    def system(self, cmd: str) -> None:
        return None

    def getoutput(self, cmd: str) -> list[str]:
        return []


def install(namespace: dict[str, Any], names: tuple[str, ...]) -> None:
    """Give a script that calls ``get_ipython()`` (and does not define it) the stand-in."""
    if "get_ipython" in names and "get_ipython" not in namespace:
        namespace["get_ipython"] = ExportedNotebookShell(namespace)


__all__ = ["ExportedNotebookShell", "install"]
