"""beam-deps: find what will break on Apache Beam workers before you submit.

The public API is deliberately small; everything else is an implementation detail.
"""

from beam_deps.diagnostics import Diagnostic, Report, Severity

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Report", "Severity", "check_object", "__version__"]


def check_object(obj, pickle_library: str = "cloudpickle") -> Report:
    """Check that ``obj`` pickles as Beam would pickle it and will behave on a worker."""
    from beam_deps.pickling import check_object as _check_object

    return _check_object(obj, pickle_library=pickle_library)
