"""The Python API reference, rendered from the docstrings of the public names."""

from __future__ import annotations

import enum
import importlib
import inspect
import sys

PUBLIC = (
    "beam_deps.check_object",
    "beam_deps.check_pipeline",
    "beam_deps.testing.assert_picklable",
    "beam_deps.testing.assert_pipeline_ok",
    "beam_deps.check.check_script",
    "beam_deps.stage",
    "beam_deps.requires",
    "beam_deps.requires_base",
    "beam_deps.Report",
    "beam_deps.Diagnostic",
    "beam_deps.Severity",
)


def _resolve(dotted: str):
    """Import the longest importable module prefix, then walk attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


class _Shown:
    """A value rendered as given: annotations kept as strings show unquoted, `sys.stderr`
    shows as its name rather than as this interpreter's stream."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _clean(param: inspect.Parameter) -> inspect.Parameter:
    changes = {}
    if isinstance(param.annotation, str):
        changes["annotation"] = _Shown(param.annotation)
    for name in ("stdout", "stderr", "stdin"):
        if param.default is getattr(sys, name, None) and param.default is not None:
            changes["default"] = _Shown(f"sys.{name}")
    return param.replace(**changes) if changes else param


def _signature(obj, width: int = 0) -> str:
    """``(a, *, b: int = 1) -> R``; one parameter a line when longer than ``width``."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    ret = sig.return_annotation
    if isinstance(ret, str):
        ret = _Shown(ret)
    params = [_clean(p) for p in sig.parameters.values()]
    sig = sig.replace(parameters=params, return_annotation=ret)
    text = str(sig)
    if not width or len(text) <= width or len(sig.parameters) < 2:
        return text
    # str(Signature) puts in the `/` and `*` markers; split its parameters at top-level commas
    inner, tail = text[1:].rsplit(")", 1) if ")" in text else (text, "")
    return "(\n" + "".join(f"    {part},\n" for part in _split(inner)) + ")" + tail


def _split(params: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in params:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _doc(obj) -> str:
    """The object's own docstring: not one inherited from `str`, not a dataclass's signature."""
    if inspect.isclass(obj):
        own = vars(obj).get("__doc__")
        if not own or own.startswith(f"{obj.__name__}("):
            return ""
        return inspect.cleandoc(own)
    return inspect.getdoc(obj) or ""


def _entry(dotted: str, obj) -> str:
    kind = "class" if inspect.isclass(obj) else "def"
    doc = _doc(obj) or "(no docstring)"
    signature = _signature(obj, width=88 - len(f"{kind} {dotted}"))
    if inspect.isclass(obj):  # a class's "-> None" and an Enum's functional API say nothing
        signature = "" if issubclass(obj, enum.Enum) else signature.removesuffix(" -> None")
    lines = [f"## `{dotted}`\n", f"```python\n{kind} {dotted}{signature}\n```\n", doc + "\n"]
    if inspect.isclass(obj):
        if issubclass(obj, enum.Enum):
            lines.append("Members: " + ", ".join(f"`{m.name}`" for m in obj))
        for name, member in vars(obj).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property) and member.__doc__:
                lines.append(f"- `{name}` (property): {inspect.cleandoc(member.__doc__)}")
            elif inspect.isfunction(member) and member.__doc__:
                first = inspect.cleandoc(member.__doc__).splitlines()[0]
                lines.append(f"- `{name}{_signature(member)}`: {first}")
        lines.append("")
    return "\n".join(lines)


def api_markdown(names: tuple[str, ...] = PUBLIC) -> str:
    """One section per public name that exists in this build, from its docstring."""
    parts = [
        "# Python API reference\n",
        "Generated from the docstrings of the public API when this site was built.\n",
    ]
    missing = []
    for dotted in names:
        obj = _resolve(dotted)
        if obj is None:
            missing.append(dotted)
        else:
            parts.append(_entry(dotted, obj))
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        parts.append(
            f'!!! note "Not in this build"\n    Not available when this site was built: {listed}.\n'
        )
    return "\n".join(parts)
