"""Process-wide settings of libraries changed while the pipeline is built (BD207).

``decimal.getcontext().prec = 4``, ``np.set_printoptions(precision=2)``,
``pd.set_option("display.precision", 2)``, ``locale.setlocale(...)``: these settings live in
the submitting process (the decimal context even in its main thread only). A worker is
another process that imports the libraries afresh, so the code running there computes and
formats with the defaults: nothing fails, the results are silently different. BD206 does the
same for the user's own modules by comparing their values with a fresh import; a library's
settings are not module attributes, so each is read here through the library's own getter.

Decided by values, not by reading the script: every setting below is read before the script
runs (beam-deps and Beam have imported these libraries by then and changed none of them, so
that is what a worker starts with) and again inside ``run()``, once the pipeline is built. A
setting that differs is a finding for each payload whose worker code uses that library (and,
for display settings, turns something into text), so a setting only the script's own
``print`` needs is never reported.
"""

from __future__ import annotations

import ast
import dis
import functools
import json
import os
import subprocess
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from beam_deps.catalogue import diagnostic
from beam_deps.check.detectors.function_source import function_root
from beam_deps.check.detectors.worker_code import PayloadCode
from beam_deps.check.postprocess import placed_in
from beam_deps.diagnostics import Diagnostic
from beam_deps.pickling.locations import is_user_file
from beam_deps.pipeline.loader import CHECK_FLAG

TIMEOUT = 60.0
_MARK = "\x00beam-deps-settings\x00"


@dataclass(frozen=True)
class Setting:
    library: str  # the top-level module whose code reads the setting on the worker
    shown: str  # how the user changes it
    read: str  # an expression of ``m`` (the library) giving the setting's value
    formatting: bool = False  # only matters where the worker code makes text
    own: frozenset[str] = frozenset()  # names of code that sets its own (localcontext)
    # an error where the results surely differ: "arrays" (an array made and turned into
    # text with str() or repr()), "divides" (a Decimal divided or rounded: quantize,
    # sqrt...); otherwise a warning
    error_when: str = "never"


_PANDAS = (
    "display.precision",
    "display.float_format",
    "display.max_columns",
    "display.max_rows",
    "display.width",
)

SETTINGS = (
    Setting(
        "decimal",
        "decimal.getcontext()",
        "(lambda c: {'prec': c.prec, 'rounding': c.rounding, 'Emin': c.Emin, 'Emax': c.Emax,"
        " 'capitals': c.capitals, 'clamp': c.clamp,"
        " 'traps': sorted(k.__name__ for k, v in c.traps.items() if v)})(m.getcontext())",
        own=frozenset({"localcontext", "setcontext"}),
        error_when="divides",  # an exact sum is the same at any precision
    ),
    Setting(
        "numpy",
        "np.set_printoptions()",
        "m.get_printoptions()",
        formatting=True,
        own=frozenset(
            {"printoptions", "set_printoptions", "array2string", "format_float_positional"}
        ),
        error_when="arrays",  # a numpy scalar in an f-string prints the same either way
    ),
    Setting("numpy", "np.seterr()", "m.geterr()", own=frozenset({"errstate", "seterr"})),
    Setting(
        "pandas",
        "pd.set_option()",
        "{k: _option(m, k) for k in " + repr(_PANDAS) + "}",
        formatting=True,
        own=frozenset({"option_context", "set_option"}),
    ),
    Setting("locale", "locale.setlocale()", "m.setlocale(m.LC_ALL)", own=frozenset({"setlocale"})),
)
_ROUNDED = frozenset({"quantize", "sqrt", "ln", "log10", "exp", "fma", "divide", "divide_int"})


_UNSET = object()


def _option(pandas: Any, key: str, missing: Any = None) -> Any:
    try:
        return pandas.get_option(key)
    except Exception:  # noqa: BLE001 - an option this pandas does not have
        return missing


def snapshot() -> dict[str, Any]:
    """``{shown: value}`` of each setting whose library is imported (never imports one: a
    library the script imports later starts from its defaults, as on a worker)."""
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        module = sys.modules.get(setting.library)
        if module is None:
            continue
        try:
            value = eval(setting.read, {"m": module, "_option": _option})  # noqa: S307 - our own table
        except Exception:  # noqa: BLE001 - a library version without that getter
            continue
        out[setting.shown] = value
    return out


_CHILD = r"""
import importlib, json, sys
paths, modules, table, mark = json.loads(sys.argv[1])
sys.path[:0] = paths
for name in modules:
    try:
        importlib.import_module(name)
    except BaseException:
        pass
def _option(pandas, key):
    try:
        return pandas.get_option(key)
    except Exception:
        return None
out = {}
for library, shown, read in table:
    try:
        out[shown] = repr(eval(read, {"m": importlib.import_module(library), "_option": _option}))
    except BaseException:
        pass
print(mark + json.dumps(out))
"""


def _after_user_imports(settings: list[Setting]) -> dict[str, str] | None:
    """``{shown: repr(value)}`` in a fresh interpreter once it has imported the user's
    modules this process has (not the script): what a worker has after importing the modules
    the payloads refer to, so a setting one of them changes at import is not reported. None
    when the interpreter fails or runs past its deadline (then nothing is said)."""
    modules = sorted(
        name
        for name, module in list(sys.modules.items())
        if name != "__main__"
        and not name.startswith("beam_deps")
        and is_user_file(getattr(module, "__file__", None))
    )
    table = [(s.library, s.shown, s.read) for s in settings]
    argument = json.dumps([[p for p in sys.path if p], modules, table, _MARK])
    env = {k: v for k, v in os.environ.items() if k != CHECK_FLAG}  # as on a worker
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-B", "-c", _CHILD, argument],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return None
    marked = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    return json.loads(marked[-1][len(_MARK) :]) if marked else None


def saved() -> Callable[[], None]:
    """Put back, when called, the settings as they are now: the script runs in this process,
    and what it changes must not stay (a notebook's own settings, the next check's
    ``snapshot()``)."""
    undo: list[Callable[[], Any]] = []
    decimal = sys.modules.get("decimal")
    if decimal is not None:
        context = decimal.getcontext().copy()
        undo.append(lambda: decimal.setcontext(context))
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        printing, errors = numpy.get_printoptions(), numpy.geterr()
        undo += [lambda: numpy.set_printoptions(**printing), lambda: numpy.seterr(**errors)]
    pandas = sys.modules.get("pandas")
    if pandas is not None and hasattr(pandas, "set_option"):
        options = {k: v for k in _PANDAS if (v := _option(pandas, k, _UNSET)) is not _UNSET}
        undo += [functools.partial(pandas.set_option, k, v) for k, v in options.items()]
    locale = sys.modules.get("locale")
    if locale is not None:
        current = locale.setlocale(locale.LC_ALL)
        undo.append(lambda: locale.setlocale(locale.LC_ALL, current))
    # cloudpickle's register_pickle_by_value: Beam's own copy (2.65+) and the package
    # (older Beams), so a module one script registers is not by value for the next check
    for name in ("apache_beam.internal.cloudpickle.cloudpickle", "cloudpickle.cloudpickle"):
        registry = getattr(sys.modules.get(name), "_PICKLE_BY_VALUE_MODULES", None)
        if isinstance(registry, set):
            kept = set(registry)
            undo.append(functools.partial(_put_back, registry, kept))

    def restore() -> None:
        for step in undo:
            try:
                step()
            except Exception:  # noqa: BLE001 - a setting this library version refuses back
                continue

    return restore


def _put_back(registry: set, kept: set) -> None:
    registry.clear()
    registry.update(kept)


_TEXT_NAMES = frozenset(
    {
        "str",
        "repr",
        "format",
        "print",
        "array2string",
        "array_str",
        "array_repr",
        "to_string",
        "to_csv",
        "to_json",
        "savetxt",
        "to_markdown",
        "to_html",
    }
)
_TEXT_OPS = frozenset({"FORMAT_VALUE", "FORMAT_SIMPLE", "FORMAT_WITH_SPEC", "BUILD_STRING"})


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _root(obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        return obj.__name__.partition(".")[0]
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str):
        module = getattr(type(obj), "__module__", None)
    return module.partition(".")[0].lstrip("_") if isinstance(module, str) else None


@dataclass(frozen=True)
class _Use:
    """What one worker function's code does that a library setting can change."""

    function: types.FunctionType
    libraries: frozenset[str]  # top-level libraries reached through globals and closure
    names: frozenset[str]  # every name and attribute its code reads
    text: bool  # makes text: str(), an f-string, .to_string()...
    divides: bool  # a Decimal divided (Decimal(x) / 3) or rounded (quantize(), sqrt()...)
    arrays: bool  # makes an array (np.array, np.zeros...) and turns something into text

    def depends_on(self, setting: Setting) -> bool:
        if setting.library not in self.libraries or self.names & setting.own:
            return False  # not used, or the code sets its own (decimal.localcontext)
        return self.text or not setting.formatting

    def surely_differs(self, setting: Setting) -> bool:
        if setting.error_when == "divides":
            return self.divides
        return setting.error_when == "arrays" and self.arrays


def _use(function: types.FunctionType) -> _Use:
    libraries: set[str] = set()
    names: set[str] = set()
    text = False
    for code in _codes(function.__code__):
        names.update(code.co_names)
        text = text or any(ins.opname in _TEXT_OPS for ins in dis.get_instructions(code))
    scope = function.__globals__
    for name in names:
        if name in scope and (root := _root(scope[name])):
            libraries.add(root)
    for cell in function.__closure__ or ():
        try:
            root = _root(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
        if root:
            libraries.add(root)
    return _Use(
        function,
        frozenset(libraries),
        frozenset(names),
        text or bool(names & _TEXT_NAMES),
        _divides_a_decimal(function) or bool(names & _ROUNDED),
        bool(names & _ARRAY_MAKERS) and bool(names & {"str", "repr", *_ARRAY_TEXT}),
    )


_ARRAY_MAKERS = frozenset(
    {
        "array",
        "asarray",
        "arange",
        "zeros",
        "ones",
        "full",
        "linspace",
        "stack",
        "concatenate",
        "vstack",
        "hstack",
        "reshape",
        "ndarray",
    }
)
_ARRAY_TEXT = frozenset({"array2string", "array_str", "array_repr", "savetxt"})


def _decimal_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "Decimal") or (
        isinstance(func, ast.Attribute) and func.attr == "Decimal"
    )


def _divides_a_decimal(function: types.FunctionType) -> bool:
    """``Decimal(x) / 3`` in the function's code (a float divided does not use the decimal
    context; only what the code shows to be a Decimal is claimed)."""
    root = function_root(function)
    if root is None:
        return False
    for node in ast.walk(root):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            if _decimal_call(node.left) or _decimal_call(node.right):
                return True
    return False


def launch_setting_diagnostics(
    code: Iterable[PayloadCode], before: dict[str, Any]
) -> list[Diagnostic]:
    """BD207 for each library setting changed since ``before`` (``snapshot()`` taken before
    the script ran) that a payload's worker code depends on. Call inside ``run()``."""
    after = snapshot()
    changed = [
        s
        for s in SETTINGS
        if s.shown in before and repr(after.get(s.shown)) != repr(before[s.shown])
    ]
    if changed:  # a module of the user's that a worker imports too may be what changed it
        worker = _after_user_imports(changed)
        changed = [s for s in changed if worker is not None and s.shown in worker]
        changed = [s for s in changed if worker[s.shown] != repr(after[s.shown])]
    if not changed:
        return []
    out: list[Diagnostic] = []
    for payload, functions in ((c.payload, c.functions) for c in code):
        try:
            uses = [_use(e.function) for e in functions]
        except Exception:  # noqa: BLE001 - a hostile user object: no finding, no crash
            continue
        for setting in changed:
            if any(use.names & setting.own for use in uses):
                continue  # the payload sets its own (in setup(), or around the call)
            found = [use for use in uses if use.depends_on(setting)]
            if found:
                sure = [use for use in found if use.surely_differs(setting)]
                finding = _finding(setting, (sure or found)[0], before, after, bool(sure))
                out.append(placed_in(finding, payload))
    return out


def _difference(here: Any, fresh: Any) -> str:
    """``prec=4 here, 28 on a worker`` for the parts of a setting that differ."""
    if isinstance(here, dict) and isinstance(fresh, dict):
        keys = [k for k in here if repr(here.get(k)) != repr(fresh.get(k))]
        parts = [f"{k}={here.get(k)!r} here, {fresh.get(k)!r} on a worker" for k in keys[:3]]
        return "; ".join(parts)
    return f"{here!r} here, {fresh!r} on a worker"


def _finding(
    setting: Setting, use: _Use, before: dict[str, Any], after: dict[str, Any], sure: bool
) -> Diagnostic:
    name = use.function.__qualname__
    how = "computes or formats differently there" if sure else "may compute differently there"
    return diagnostic(
        "BD207",
        f"{name} uses {setting.library}, and {setting.shown} was changed while the pipeline "
        f"was built ({_difference(after[setting.shown], before[setting.shown])}): a worker is "
        f"another process that starts with the defaults, so the code {how}, without an error",
        severity="error" if sure else "warning",
        path=f"{name} {setting.library}",
    )


__all__ = ["SETTINGS", "Setting", "launch_setting_diagnostics", "saved", "snapshot"]
