"""beam-deps: find what will break on Apache Beam workers before you submit.

The public API is deliberately small; everything else is an implementation detail.
"""

from beam_deps.diagnostics import Diagnostic, Report, Severity

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "Report",
    "Severity",
    "__version__",
    "check_object",
    "check_script",
    "requires",
    "requires_base",
    "stage",
]


def check_object(obj, pickle_library: str = "cloudpickle") -> Report:
    """Check that ``obj`` pickles as Beam would pickle it and will behave on a worker."""
    from beam_deps.pickling import check_object as _check_object

    return _check_object(obj, pickle_library=pickle_library)


def check_script(script=None, **kwargs) -> Report:
    """Run a pipeline script without submitting it and report what will break on workers."""
    from beam_deps.check import check_script as _check_script

    return _check_script(script, **kwargs)


def stage(script, **kwargs):
    """Build what workers install before they unpickle; see :func:`beam_deps.staging.stage`."""
    from beam_deps.staging import stage as _stage

    return _stage(script, **kwargs)


def __getattr__(name: str):
    # The decorators are cheap to import, but keep `import beam_deps` free of staging code.
    if name in ("requires", "requires_base"):
        import importlib

        return getattr(importlib.import_module("beam_deps.staging.requires"), name)
    raise AttributeError(f"module 'beam_deps' has no attribute {name!r}")
