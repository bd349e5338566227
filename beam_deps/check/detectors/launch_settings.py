"""Process-wide settings changed while the pipeline is built (BD207).

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

The interpreter's own limits work the same way: ``sys.setrecursionlimit(10000)`` or
``sys.set_int_max_str_digits(0)`` at launch leaves a worker at 1000 frames and 4300 digits,
so a recursive function or a big number turned into text fails there only. A seed is not a
value that can be compared (drawing a number changes the state too), so the seeding calls
themselves are watched while the script runs: ``random.seed(42)`` or ``np.random.seed(42)``
at launch seeds this process's generator only, and worker code drawing from that
process-wide generator gets numbers that differ from run to run.
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
from beam_deps.check.detectors import seeding
from beam_deps.check.detectors.function_source import function_root
from beam_deps.check.detectors.worker_code import (
    MISSING,
    PayloadCode,
    WorkerFunction,
    attribute_chains,
    closure_value,
)
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
    # what in the worker code depends on it: "library" (code that uses ``library``), or for
    # the interpreter's limits (only when raised) "recursion" or "int_text" (ints and text)
    needs: str = "library"


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
    Setting(
        "sys",
        "sys.setrecursionlimit()",
        "m.getrecursionlimit()",
        own=frozenset({"setrecursionlimit"}),
        needs="recursion",  # a warning: how deep it goes is the data's (the limit is often
        # raised at launch for pickling a deep object, with shallow recursion on workers)
    ),
    Setting(  # Python 3.11+: the getter is missing before, and the setting is not read
        "sys",
        "sys.set_int_max_str_digits()",
        "m.get_int_max_str_digits()",
        own=frozenset({"set_int_max_str_digits"}),
        needs="int_text",  # a warning: whether a number that long is made is the data's
    ),
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
    undo.append(functools.partial(sys.setrecursionlimit, sys.getrecursionlimit()))
    if hasattr(sys, "get_int_max_str_digits"):  # Python 3.11+
        undo.append(functools.partial(sys.set_int_max_str_digits, sys.get_int_max_str_digits()))
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
    """What one worker function's code does that a process-wide setting can change."""

    function: types.FunctionType
    libraries: frozenset[str]  # top-level libraries reached through globals and closure
    names: frozenset[str]  # every name and attribute its code reads
    text: bool  # makes text: str(), an f-string, .to_string()...
    divides: bool  # a Decimal divided (Decimal(x) / 3) or rounded (quantize(), sqrt()...)
    arrays: bool  # makes an array (np.array, np.zeros...) and turns something into text
    recursive: bool = False  # calls itself (by its global name, or as a method of self)
    draws: frozenset[str] = frozenset()  # the process-wide generators it draws numbers from
    seeds: bool = False  # seeds a process-wide generator itself

    def depends_on(self, setting: Setting) -> bool:
        if self.names & setting.own:
            return False  # the code sets its own (decimal.localcontext)
        if setting.needs == "recursion":
            return self.recursive
        if setting.needs == "int_text":
            return self.text or "int" in self.names
        if setting.library not in self.libraries:
            return False
        return self.text or not setting.formatting

    def surely_differs(self, setting: Setting) -> bool:
        if setting.error_when == "divides":
            return self.divides
        return setting.error_when == "arrays" and self.arrays


def _use(entry: WorkerFunction) -> _Use:
    function = entry.function
    libraries: set[str] = set()
    names: set[str] = set()
    text = False
    for code in _codes(function.__code__):
        names.update(code.co_names)
        for ins in dis.get_instructions(code):
            text = text or ins.opname in _TEXT_OPS
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
    draws, seeds, recursive = _calls(entry)
    return _Use(
        function,
        frozenset(libraries),
        frozenset(names),
        text or bool(names & _TEXT_NAMES),
        _divides_a_decimal(function) or bool(names & _ROUNDED),
        bool(names & _ARRAY_MAKERS) and bool(names & {"str", "repr", *_ARRAY_TEXT}),
        recursive=recursive,
        draws=frozenset(draws),
        seeds=seeds,
    )


def _calls(entry: WorkerFunction) -> tuple[set[str], bool, bool]:
    """(the process-wide generators the code draws from, whether it seeds one, whether it
    calls itself), read from the values its global and closure chains lead to: ``random.
    randint`` and ``np.random.rand`` are methods of the one generator each library keeps per
    process, ``rng.random()`` of a ``random.Random(seed)`` the code holds is not."""
    function, generators = entry.function, seeding.generators()
    draws: set[str] = set()
    seeds = recursive = False
    for kind, name, chain, written, _ in attribute_chains(entry):
        if written:
            continue
        if kind == "self":
            method = getattr(type(entry.instance), chain[0], None) if chain else None
            recursive = recursive or (method is function and name == entry.self_name)
            continue
        value = function.__globals__.get(name, MISSING) if kind == "global" else MISSING
        if kind == "closure":
            value = closure_value(function, name)
        if kind == "global" and not chain and value is function:
            recursive = True
        for attribute in chain:
            if value is MISSING:
                break
            try:
                value = getattr(value, attribute, MISSING)
            except Exception:  # noqa: BLE001 - a user object's __getattr__
                value = MISSING
        if value is MISSING:
            continue
        use = seeding.use_of(value, generators)
        seeds = seeds or use == "seeds"
        if use not in (None, "seeds"):
            draws.add(use)
    return draws, seeds, recursive


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


@dataclass
class Launch:
    """What the script changes in this process while it builds the pipeline: the settings
    as a worker starts with them (``before``), the generators it seeds, and ``restore``,
    which puts everything back (the script runs in this process: a notebook's own settings
    and the next check must not keep them)."""

    before: dict[str, Any]
    seeded: list[seeding.Seeded]
    restore: Callable[[], None]


def watch() -> Launch:
    """Start watching: call before the script runs, ``restore()`` after the check."""
    before = snapshot()
    seeded: list[seeding.Seeded] = []
    put_back = saved()
    undo_seeds = seeding.watch_seeds(seeded)

    def restore() -> None:
        for step in undo_seeds:
            step()
        put_back()

    return Launch(before, seeded, restore)


def _raised(setting: Setting, before: Any, after: Any) -> bool:
    """Whether an interpreter limit was raised (a lowered one fails here first): for the
    digits of int text, 0 means no limit."""
    if not isinstance(before, int) or not isinstance(after, int):
        return False
    if setting.needs == "int_text":
        return before != 0 and (after == 0 or after > before)
    return after > before


def launch_setting_diagnostics(code: Iterable[PayloadCode], launch: Launch) -> list[Diagnostic]:
    """BD207 for each setting changed since ``launch.before`` (taken before the script ran)
    that a payload's worker code depends on, and for each generator seeded at launch that
    it draws from. Call inside ``run()``."""
    before, after = launch.before, snapshot()
    changed = [
        s
        for s in SETTINGS
        if s.shown in before
        and repr(after.get(s.shown)) != repr(before[s.shown])
        and (s.needs == "library" or _raised(s, before[s.shown], after.get(s.shown)))
    ]
    if changed:  # a module of the user's that a worker imports too may be what changed it
        worker = _after_user_imports(changed)
        changed = [s for s in changed if worker is not None and s.shown in worker]
        changed = [s for s in changed if worker[s.shown] != repr(after[s.shown])]
    seeded = {s.generator: s for s in launch.seeded}
    if not changed and not seeded:
        return []
    out: list[Diagnostic] = []
    for payload, functions in ((c.payload, c.functions) for c in code):
        try:
            uses = [_use(e) for e in functions]
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
        if any(use.seeds for use in uses):
            continue  # the payload seeds on the worker (in setup(), or per element)
        for generator, seed in seeded.items():
            drawing = [use for use in uses if generator in use.draws]
            emitted = [u for u in drawing if seeding.draw_emitted(u.function, generator)]
            drawing = emitted or drawing
            if drawing:
                found = _seed_finding(seed, drawing[0], sure=bool(emitted))
                out.append(placed_in(found, payload))
    return out


def _seed_finding(seed: seeding.Seeded, use: _Use, sure: bool) -> Diagnostic:
    name = use.function.__qualname__
    where = f" (line {seed.line})" if seed.line else ""
    what = "what it emits differs" if sure else "the numbers it draws differ"
    return diagnostic(
        "BD207",
        f"{name} draws from {seed.generator}'s process-wide generator, and {seed.shown} was "
        f"called while the pipeline was built{where}: a worker is another process whose "
        f"generator is not seeded that way, so {what} from this process's and from run to "
        "run, without an error",
        severity="error" if sure else "warning",
        path=f"{name} {seed.generator}",
    )


def _difference(here: Any, fresh: Any) -> str:
    """``prec=4 here, 28 on a worker`` for the parts of a setting that differ."""
    if isinstance(here, dict) and isinstance(fresh, dict):
        keys = [k for k in here if repr(here.get(k)) != repr(fresh.get(k))]
        parts = [f"{k}={here.get(k)!r} here, {fresh.get(k)!r} on a worker" for k in keys[:3]]
        return "; ".join(parts)
    return f"{here!r} here, {fresh!r} on a worker"


_LIMITS = {
    "recursion": (
        "calls itself",
        "a deeper call fails there with 'RecursionError: maximum recursion depth exceeded'",
    ),
    "int_text": (
        "turns ints into text or text into ints",
        "a longer number fails there with 'ValueError: Exceeds the limit (4300 digits) for "
        "integer string conversion'",
    ),
}


def _finding(
    setting: Setting, use: _Use, before: dict[str, Any], after: dict[str, Any], sure: bool
) -> Diagnostic:
    name = use.function.__qualname__
    values = _difference(after[setting.shown], before[setting.shown])
    if setting.needs in _LIMITS:
        does, fails = _LIMITS[setting.needs]
        message = (
            f"{name} {does}, and {setting.shown} raised the interpreter's limit while the "
            f"pipeline was built ({values}): a worker is another process with the default "
            f"limit, so {fails}"
        )
    else:
        how = "computes or formats differently there" if sure else "may compute differently there"
        message = (
            f"{name} uses {setting.library}, and {setting.shown} was changed while the pipeline "
            f"was built ({values}): a worker is another process that starts with the defaults, "
            f"so the code {how}, without an error"
        )
    return diagnostic(
        "BD207",
        message,
        severity="error" if sure else "warning",
        path=f"{name} {setting.library}",
    )


__all__ = [
    "SETTINGS",
    "Launch",
    "Setting",
    "launch_setting_diagnostics",
    "saved",
    "snapshot",
    "watch",
]
