"""The Beam profile: everything that differs between the Beam versions beam-deps supports.

beam-deps installs next to whatever apache-beam a project has, from 2.61 up to the newest 2.x,
and never changes it. What differs between those releases is answered here, and only here,
found by feature where Beam's API shows it (a function or a parameter that exists or not) and
by version otherwise. Facts, read from Beam's released wheels:

=========  =======  ===============  ==========  ===========================================
Beam       default  cloudpickle      dill        also
=========  =======  ===============  ==========  ===========================================
2.61-2.64  dill     PyPI 2.2.1       hard dep    RLock reducer only (a captured Lock fails)
2.65-2.68  cloud.   vendored 3.1.1   hard dep    + Lock and proto EnumDescriptor reducers;
                                                 key classes pickled by cloudpickle from 2.68
2.69       cloud.   vendored         [dill]      + ``dill_unsafe``
2.70       cloud.   vendored         [dill]      ``pickler.roundtrip``; Python >= 3.10
2.71+      cloud.   vendored         [dill]      cloudpickle's dump_session saves registries;
                                                 --save_main_session default on Dataflow
2.78       cloud.   vendored         [dill]      RowCoder gives a Tuple field back as a tuple
=========  =======  ===============  ==========  ===========================================
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from packaging.version import Version

from beam_deps.errors import UsageError

OLDEST = "2.61.0"


class UnsupportedBeam(UsageError):
    """apache-beam is missing or older than beam-deps supports."""


@dataclass(frozen=True)
class BeamProfile:
    version: str
    default_library: str  # what --pickle_library=default means
    libraries: tuple[str, ...]  # the values --pickle_library accepts
    vendored_cloudpickle: bool  # apache_beam/internal/cloudpickle, else PyPI cloudpickle
    lock_reducer: bool  # a captured threading.Lock pickles (as a new lock)
    dill_required: bool  # dill is a hard dependency (else the [dill] extra)
    has_roundtrip: bool  # pickler.roundtrip, used when a ParDo/Map is constructed
    session_saves_registries: bool  # cloudpickle's dump_session saves coder/schema registries
    dataflow_saves_main_session: bool  # --save_main_session on by default (cloudpickle, Dataflow)
    files_to_stage: bool  # --files_to_stage exists
    dumps_flags: tuple[str, ...]  # keyword parameters of pickler.dumps (2.65 added determinism)
    # the deterministic key coder writes a key's class with plain dill.dumps (to 2.67), so a
    # class of the script used as a grouping key fails on the worker (RecursionError)
    key_classes_by_dill: bool
    # RowCoder gives a schema's Tuple field back as a list (to 2.77; 2.78 gives a tuple)
    row_tuples_as_lists: bool
    # a str/bytes/dict returned by process fails ("Returning a dict from a ParDo or FlatMap is
    # not allowed", 2.76+); older Beams iterate it (read in the wheels of 2.61 to 2.78)
    refuses_single_outputs: bool

    @property
    def minor(self) -> int:
        return Version(self.version).minor


def require_supported() -> BeamProfile:
    """The installed Beam's profile; ``UnsupportedBeam`` (one line, exit 2) when apache-beam is
    missing or older than 2.61."""
    try:
        import apache_beam
    except ImportError as exc:
        raise UnsupportedBeam(
            f"apache-beam is not installed here ({exc}); beam-deps checks the Beam your "
            f"pipeline uses: pip install 'apache-beam>={OLDEST}'"
        ) from None
    version = getattr(apache_beam, "__version__", "0")
    if Version(version) < Version(OLDEST):
        raise UnsupportedBeam(
            f"apache-beam {version} is installed but beam-deps supports {OLDEST} and newer: "
            f"pip install 'apache-beam>={OLDEST}' (or use beam-deps with a newer Beam)"
        )
    return profile()


@functools.cache
def profile() -> BeamProfile:
    """What the installed apache-beam does (cached: Beam cannot change under a process)."""
    import apache_beam
    from apache_beam.coders import coder_impl
    from apache_beam.internal import cloudpickle_pickler, pickler

    version = Version(apache_beam.__version__)
    libraries = ["cloudpickle", "default", "dill"]
    if version >= Version("2.69"):
        libraries.append("dill_unsafe")
    return BeamProfile(
        version=apache_beam.__version__,
        default_library=pickler.DEFAULT_PICKLE_LIB,
        libraries=tuple(libraries),
        vendored_cloudpickle=cloudpickle_module().__name__.startswith("apache_beam."),
        lock_reducer=hasattr(cloudpickle_pickler, "_lock_reducer"),
        dill_required=version < Version("2.69"),
        has_roundtrip=hasattr(pickler, "roundtrip"),
        session_saves_registries=version >= Version("2.71"),
        dataflow_saves_main_session=version >= Version("2.71"),
        files_to_stage=version >= Version("2.64"),
        dumps_flags=tuple(inspect.signature(pickler.dumps).parameters)[1:],
        key_classes_by_dill=not hasattr(coder_impl, "cloudpickle"),
        row_tuples_as_lists=_row_tuples_as_lists(),
        refuses_single_outputs=version >= Version("2.76"),
    )


def _row_tuples_as_lists() -> bool:
    """Found by feature: a NamedTuple with a ``Tuple`` field through this Beam's RowCoder."""
    import typing

    from apache_beam.coders.row_coder import RowCoder

    # the functional form: this module's annotations are strings, which RowCoder cannot read
    pair = typing.Tuple[int, int]  # noqa: UP006 - the typing form users write
    probe = typing.NamedTuple("_BeamDepsProbe", [("pair", pair)])  # noqa: UP014
    try:
        coder = RowCoder.from_type_hint(probe, None)
        return isinstance(coder.decode(coder.encode(probe((1, 2)))).pair, list)
    except Exception:  # noqa: BLE001 - no schema support to speak of: nothing to report
        return False


def cloudpickle_module() -> ModuleType:
    """The cloudpickle Beam pickles with: its vendored copy (2.65+) or the PyPI package."""
    from apache_beam.internal import cloudpickle_pickler

    return cloudpickle_pickler.cloudpickle


def cloudpickle_internals() -> ModuleType:
    """The module holding cloudpickle's own helpers (``_should_pickle_by_reference``,
    ``_extract_code_globals``): Beam's vendored ``cloudpickle.py``, or PyPI's
    ``cloudpickle.cloudpickle`` (its package only re-exports the public names)."""
    import importlib

    module = cloudpickle_module()
    if hasattr(module, "_should_pickle_by_reference"):
        return module
    return importlib.import_module(f"{module.__name__}.cloudpickle")


def is_currently_cloudpickle() -> bool:
    """Is Beam's pickler facade set to cloudpickle? (``is_currently_cloudpickle`` from 2.65.)"""
    from apache_beam.internal import cloudpickle_pickler, pickler

    check = getattr(pickler, "is_currently_cloudpickle", None)
    if check is not None:
        return bool(check())
    return pickler.desired_pickle_lib is cloudpickle_pickler


def raw_dumps(library_module: ModuleType):
    """A function that pickles one object with ``library_module`` (Beam's cloudpickle_pickler
    or dill_pickler) without compressing it when Beam has such a function (``_dumps``), else
    with Beam's ``dumps`` (compressed: the same errors, a little slower)."""
    raw = getattr(library_module, "_dumps", None)
    if raw is not None:
        if "enable_trace" in inspect.signature(raw).parameters:
            return lambda obj: raw(obj, enable_trace=False)
        return raw
    return lambda obj: library_module.dumps(obj, enable_trace=False)


class _Kept:
    """What ``dumps`` returned for an object it could not pickle: ``loads`` gives it back."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


class _ConstructionPickler:
    """Beam's pickler module as ``apache_beam.transforms.ptransform`` sees it, except that the
    construction-time check (``pickler.loads(pickler.dumps(fn))`` in
    ``PTransformWithSideInputs.__init__``) reports a failure and keeps the fn."""

    def __init__(self, real: ModuleType, failed: Callable[[Any, Exception], None]) -> None:
        self._real = real
        self._failed = failed

    def dumps(self, o: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._real.dumps(o, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - recorded; construction goes on
            if sys._getframe(1).f_code.co_name != "__init__":
                raise  # not the construction check (a transform pickling itself): Beam's error
            self._failed(o, exc)
            return _Kept(o)

    def loads(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, _Kept):
            return data.obj
        return self._real.loads(data, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextlib.contextmanager
def construction_pickling(failed: Callable[[Any, Exception], None]) -> Iterator[None]:
    """Report, instead of raising, what Beam cannot pickle while a transform is constructed,
    on Beams without ``pickler.roundtrip`` (before 2.70), where the check is an inline
    ``pickler.loads(pickler.dumps(fn))``; from 2.70 hook ``pickler.roundtrip`` instead."""
    from apache_beam.transforms import ptransform

    real = ptransform.pickler
    ptransform.pickler = _ConstructionPickler(real, failed)
    try:
        yield
    finally:
        ptransform.pickler = real
