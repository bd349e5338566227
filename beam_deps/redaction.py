"""Secrets never printed: passwords in URLs, and secrets used as dict keys in object paths.

The inspector (``pickling``) finds a secret *value* (BD110) and says so without showing it,
but an object path names the dict keys it goes through (``Lookup.clients['ghp_...']``), so
a secret used as a key was printed in full by the same run that masked it as a value. Every
finding passes through ``redact_diagnostic`` before it is reported (``check.postprocess``)
or rendered (``report.render``), in every format. A URL with a password
(``postgresql://user:pw@host``, any ``scheme://user:pass@host``) is a secret too: its
password is masked wherever it appears (``mask_urls``), and ``check`` reports one carried in
a payload (``check.detectors.arguments.secret_urls``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from beam_deps.diagnostics import Diagnostic

MASK = "********"

# scheme://user:password@host (RFC 3986 userinfo characters; the password may not be empty)
_USERINFO = r"[A-Za-z0-9._~%!$&'()*+,;=-]"
URL_WITH_PASSWORD = re.compile(
    rf"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{{1,30}}://)(?P<user>{_USERINFO}{{0,200}}):"
    rf"(?P<password>(?:{_USERINFO}|:){{1,200}})@(?=[A-Za-z0-9\[])"
)
URL_WITH_PASSWORD_BYTES = re.compile(URL_WITH_PASSWORD.pattern.encode())
# A password that stands for one instead of being one: %(password)s, ****, xxxx, <...>.
_PLACEHOLDER = re.compile(r"%\(\w*\)s|\*+|x+|X+|\$[A-Z_][A-Z0-9_]*|%[A-Z_][A-Z0-9_]*%")
_PLACEHOLDER_WORDS = ("changeme", "change_me", "placeholder", "example", "dummy", "redacted",
                      "your_", "your-", "yourpass")  # fmt: skip
# Well-known credential prefixes: a key label cut at 40 characters keeps only a prefix.
_CREDENTIAL_PREFIX = re.compile(
    r"AKIA[0-9A-Z]{4}|-----BEGIN [A-Z ]*PRIVATE|gh[pousr]_[A-Za-z0-9]{4}|github_pat_"
    r"|AIza[0-9A-Za-z_\-]{4}|xox[abprs]-|sk-[A-Za-z0-9_\-]{4}|eyJ[A-Za-z0-9_-]{4}"
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{4}|[Bb]earer [A-Za-z0-9\-._~+/]{8}"
)
# A URL cut before its '@': scheme://user:pass...
_CUT_URL = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*://{_USERINFO}*:")


def is_real_password(password: str) -> bool:
    """Not a placeholder (``%(pw)s``, ``****``, ``xxxx``, ``$DB_PASS``, ``changeme``)."""
    lowered = password.lower()
    return not _PLACEHOLDER.fullmatch(password) and not any(
        w in lowered for w in _PLACEHOLDER_WORDS
    )


def url_passwords(text: str) -> list[re.Match[str]]:
    """The URLs in ``text`` that carry a real password."""
    return [m for m in URL_WITH_PASSWORD.finditer(text) if is_real_password(m.group("password"))]


def mask_urls(text: str | None) -> str | None:
    """``text`` with the password of every URL replaced by ``********``."""
    if not text or "://" not in text:
        return text
    return URL_WITH_PASSWORD.sub(
        lambda m: (
            f"{m.group('scheme')}{m.group('user')}:{MASK}@"
            if is_real_password(m.group("password"))
            else m.group(0)
        ),
        text,
    )


def shown_url(match: re.Match[str]) -> str:
    """A URL match as it may be printed: ``postgresql://admin:********@``."""
    return f"{match.group('scheme')}{match.group('user')}:{MASK}@"


def _secret_key(content: str, cut: bool) -> str | None:
    """What a dict key's text (``content``, ``cut`` when the label was shortened) may show:
    None when it is no secret, else its masked form."""
    if "://" in content:
        masked = mask_urls(content)
        if masked != content:
            return masked
        if cut:
            match = _CUT_URL.match(content)
            if match and content[match.end() :]:
                return match.group(0) + MASK
    if len(content) < 8:
        return None
    from beam_deps.pickling.hazards import secret_detector

    detector = secret_detector()
    if cut:
        if _CREDENTIAL_PREFIX.match(content) or any(
            value.startswith(content) for value in detector.env_values
        ):
            return MASK
        return None
    return MASK if detector.check(content) else None


_KEY_LABEL = re.compile(r"\[(?P<b>b?)(?P<q>['\"])")


def redact_path(path: str | None) -> str | None:
    """An object path with every dict key that is a secret masked: ``Lookup.clients['ghp_...']``
    becomes ``Lookup.clients['********']``; a URL key keeps all but its password."""
    if not path or "[" not in path:
        return path
    out: list[str] = []
    at = 0
    for start in _KEY_LABEL.finditer(path):
        if start.start() < at:
            continue
        quote = start.group("q")
        body_from = start.end()
        # the label ends at the closing quote + ']' or, shortened to 40 characters, at '...]'
        i, end, cut = body_from, None, False
        while i < len(path):
            c = path[i]
            if c == "\\":
                i += 2
                continue
            if c == quote and path.startswith("]", i + 1):
                end = i
                break
            if path.startswith("...]", i) and i - start.start() >= 38:
                end, cut = i, True
                break
            i += 1
        if end is None:
            continue
        content = path[body_from:end]
        masked = _secret_key(content, cut)
        if masked is None:
            continue
        out.append(path[at:body_from])
        out.append(masked.replace(quote, "\\" + quote))
        out.append(quote + "]" if not cut else "...]")
        at = end + (2 if not cut else 4)
    out.append(path[at:])
    return "".join(out)


_STRING_LITERAL = re.compile(r"(?P<q>['\"])(?P<s>(?:[^\\'\"]|\\.)*?)(?P=q)")


def redact_source_line(text: str) -> str:
    """A line of the user's code as printed under a finding: a string literal that is a
    secret (a credential's shape, a secret environment value, a URL's password) is masked,
    so the line shown for a BD110 does not print what its message hides."""
    if "'" not in text and '"' not in text:
        return text

    def masked(m: re.Match[str]) -> str:
        shown = _secret_key(m.group("s"), False)
        return m.group(0) if shown is None else f"{m.group('q')}{shown}{m.group('q')}"

    return mask_urls(_STRING_LITERAL.sub(masked, text)) or text


def redact_diagnostic(d: Diagnostic) -> Diagnostic:
    """A copy of ``d`` that shows no secret key in its path and no password in a URL."""
    path = mask_urls(redact_path(d.path))
    message, transform = mask_urls(d.message), mask_urls(d.transform)
    if (path, message, transform) == (d.path, d.message, d.transform):
        return d
    return dataclasses.replace(d, path=path, message=message, transform=transform)


__all__ = [
    "MASK",
    "URL_WITH_PASSWORD",
    "URL_WITH_PASSWORD_BYTES",
    "is_real_password",
    "mask_urls",
    "redact_diagnostic",
    "redact_path",
    "redact_source_line",
    "shown_url",
    "url_passwords",
]
