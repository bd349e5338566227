"""beam-deps: find what will break on Apache Beam workers before you submit.

The public API is deliberately small; everything else is an implementation detail.
"""

import sys

from beam_deps.diagnostics import Diagnostic, Report, Severity

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "Report",
    "Severity",
    "__version__",
    "check_object",
    "check_pipeline",
    "check_script",
    "requires",
    "requires_base",
    "stage",
]


def check_object(obj, pickle_library: str | None = None) -> Report:
    """Check that ``obj`` pickles as Beam would pickle it (cloudpickle unless
    ``pickle_library`` says otherwise) and will behave on a worker.

    A whole ``beam.Pipeline`` is not one pickled object: it gets :func:`check_pipeline`'s
    full analysis (with the pipeline's own pickler unless ``pickle_library`` is given)
    instead of a warning that it was captured.
    """
    if _is_pipeline(obj):
        from beam_deps.check.pipeline_api import check_pipeline

        return check_pipeline(obj, pickle_library=pickle_library)
    from beam_deps.pickling import check_object as _check_object

    return _check_object(obj, pickle_library=pickle_library or "cloudpickle")


def _is_pipeline(obj) -> bool:
    """Without importing Beam when it is not imported yet (then obj cannot be a Pipeline)."""
    beam_pipeline = sys.modules.get("apache_beam.pipeline")
    return beam_pipeline is not None and isinstance(obj, beam_pipeline.Pipeline)


def load_ipython_extension(ipython) -> None:
    """``%load_ext beam_deps``: registers ``%beam_deps_check``."""
    from beam_deps.notebook import load_ipython_extension as _load

    _load(ipython)


def check_script(script=None, **kwargs) -> Report:
    """Run a pipeline script without submitting it and report what will break on workers."""
    from beam_deps.check import check_script as _check_script

    return _check_script(script, **kwargs)


# Names served from their modules on first use, so `import beam_deps` stays free of staging
# and check code (and of what they import) while `beam_deps.stage` *is*
# `beam_deps.staging.stage`: the same object, with its real signature and docstring for
# help() and the API reference.
_LAZY = {
    "check_pipeline": "beam_deps.check.pipeline_api",
    "requires": "beam_deps.staging.requires",
    "requires_base": "beam_deps.staging.requires",
    "stage": "beam_deps.staging.stage",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module 'beam_deps' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
