"""Where beam-deps keeps its caches: one root, one sub-folder per kind of cache.

The staging cache and the workers' environment cache used to find their root each on their
own and disagreed on the layout when ``BEAM_DEPS_CACHE_DIR`` was set. With one root, setting
the variable (or ``XDG_CACHE_HOME``) moves every cache the same way, and each kind lives in its
own folder, so clearing one never touches the other::

    <cache_home()>/stage/   finished staging directories (``beam_deps.staging.cache``)
    <cache_home()>/envs/    worker environments (``beam_deps.boot.env_cache``)
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "BEAM_DEPS_CACHE_DIR"


def cache_home() -> Path:
    """``$BEAM_DEPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/beam-deps``, else ``~/.cache/beam-deps``.

    Read on every call, not at import: tests and the boot set the variables per process.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "beam-deps"
