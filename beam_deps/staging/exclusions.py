"""What must never ship to a worker, and why.

Local code is shipped as files copied into a wheel. A project folder usually also holds a
virtualenv, the git history, caches and, worst of all, secrets: recognised by name (``.env``,
``*.pem``, ``.npmrc``, ``secrets.yaml``, ``credentials``, folders such as ``.aws`` and
``.kube``) and by content (service-account JSON, a ``-----BEGIN ... PRIVATE KEY-----`` block in
any file). Every file that is left out is left out for a stated reason, so
``beam-deps package list --verbose`` can show the user exactly what happened.

Git's ignore rules count wherever they are written: the ``.gitignore`` of a parent folder,
``.git/info/exclude`` and the user's global excludes. Inside a git work tree git itself is
asked; without git the rules are read by walking up to the work tree's top level.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Directory names that are never code to ship.
_SKIP_DIRS = {
    ".git": "version-control metadata",
    ".hg": "version-control metadata",
    ".svn": "version-control metadata",
    "__pycache__": "bytecode cache",
    ".mypy_cache": "tool cache",
    ".pytest_cache": "tool cache",
    ".ruff_cache": "tool cache",
    ".tox": "tool cache",
    ".nox": "tool cache",
    ".hypothesis": "tool cache",
    ".idea": "editor settings",
    ".vscode": "editor settings",
    "node_modules": "node packages",
    ".eggs": "build output",
    # Folders of credentials, wherever they are (a copied home folder, a dotfiles checkout).
    ".aws": "AWS credentials and config",
    ".azure": "Azure credentials",
    ".ssh": "SSH keys",
    ".gnupg": "GnuPG keys",
    ".docker": "Docker registry credentials",
    ".kube": "Kubernetes credentials",
}
_SECRET_NAMES = [
    (".env*", "may hold secrets (.env*)"),
    ("*.env", "may hold secrets (*.env)"),
    ("*.pem", "private key or certificate (*.pem)"),
    ("*.key", "private key (*.key)"),
    ("*.p12", "private key store (*.p12)"),
    ("*.pfx", "private key store (*.pfx)"),
    ("*.jks", "key store (*.jks)"),
    ("id_rsa*", "SSH key"),
    ("id_ed25519*", "SSH key"),
    ("id_ecdsa*", "SSH key"),
    (".netrc", "credentials (.netrc)"),
    (".pypirc", "credentials (.pypirc)"),
    (".git-credentials", "credentials (.git-credentials)"),
    (".npmrc", "may hold registry tokens (.npmrc)"),
    (".yarnrc.yml", "may hold registry tokens (.yarnrc.yml)"),
    (".pgpass", "database passwords (.pgpass)"),
    (".boto", "credentials (.boto)"),
    (".s3cfg", "credentials (.s3cfg)"),
    (".dockercfg", "Docker registry credentials (.dockercfg)"),
    ("*credentials*.json", "credential JSON"),
    ("*service*account*.json", "credential JSON"),
    ("client_secret*.json", "credential JSON"),
    ("*.kdbx", "password database"),
    ("*.keystore", "key store (*.keystore)"),
    ("*.jceks", "key store (*.jceks)"),
    ("*.ppk", "PuTTY private key (*.ppk)"),
    ("token.pickle", "OAuth token (token.pickle)"),
    (".vault-token", "Vault token (.vault-token)"),
    ("*.tfstate", "Terraform state, holds resource secrets (*.tfstate)"),
    ("*.tfstate.backup", "Terraform state, holds resource secrets (*.tfstate.backup)"),
    ("*.tfvars", "Terraform variables, may hold secrets (*.tfvars)"),
    (".terraformrc", "Terraform registry token (.terraformrc)"),
    ("terraform.rc", "Terraform registry token (terraform.rc)"),
    (".htpasswd", "password hashes (.htpasswd)"),
    ("kubeconfig*", "Kubernetes credentials (kubeconfig)"),
    ("*.kubeconfig", "Kubernetes credentials (*.kubeconfig)"),
    (".my.cnf", "MySQL credentials (.my.cnf)"),
    (".dockerconfigjson", "Docker registry credentials (.dockerconfigjson)"),
]
_JUNK_NAMES = [
    ("*.pyc", "bytecode"),
    ("*.pyo", "bytecode"),
    (".DS_Store", "OS metadata"),
    ("*.swp", "editor swap file"),
    ("*.egg-info", "build metadata"),
]
STAGING_IN_PROGRESS = "beam-deps staging in progress"
_STAGING_TEMP = re.compile(r"^\..+\.(?:tmp|old|probe)-[A-Za-z0-9_]+$")
_CREDENTIAL_JSON_KEYS = ("private_key", "client_secret", "refresh_token")
# secrets.yaml, .secrets.toml, prod-secrets.json, credentials, credentials.csv, db_credential.ini
# (the part of the name before its first dot holds the word "secret(s)" or "credential(s)"): a
# credential* file whatever its type, a secret* file when it holds configuration or data.
_SECRET_STEM = re.compile(r"^(?:[^.]*[_-])?(secrets?|credentials?)(?:[_-][^.]*)?$")
_CONFIG_SUFFIXES = (
    "", ".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties", ".txt",
    ".xml", ".csv", ".env",
)  # fmt: skip
# Python source is code the worker imports (a ``secrets.py`` or ``credentials.py`` module):
# it ships unless it holds a whole private key block.
_CODE_SUFFIXES = (".py", ".pyi", ".pyx", ".pxd")
_PRIVATE_KEY = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
_SCAN_LIMIT = 2 * 1024 * 1024  # larger files are data, not a key someone saved by mistake
_SHAPE_SCAN_LIMIT = 256 * 1024  # token shapes are looked for in small text files only


@dataclass(frozen=True)
class Exclusion:
    """One file or directory left out, with the reason shown to the user."""

    path: Path
    reason: str


@dataclass
class _IgnoreRule:
    base: Path  # the folder the pattern is relative to
    regex: re.Pattern
    negate: bool
    dir_only: bool
    pattern: str
    source: Path  # the file the pattern was read from


def _gitignore_regex(pattern: str) -> tuple[str, bool]:
    """Translate one gitignore pattern into a regex over a '/'-separated relative path."""
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # Matches the path itself; what is below an ignored folder is handled by the caller.
    return f"^{prefix}{body}$", anchored


def _read_rules(path: Path, base: Path) -> list[_IgnoreRule]:
    """The patterns of one ignore file (a .gitignore, or info/exclude relative to ``base``)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    rules = []
    for raw in lines:
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        regex, _ = _gitignore_regex(line.rstrip("/") if dir_only else line)
        rules.append(_IgnoreRule(base, re.compile(regex), negate, dir_only, raw.strip(), path))
    return rules


def _work_tree(start: Path) -> tuple[Path, Path | None] | None:
    """(top level, git dir) of the git work tree holding ``start``, found without git."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return folder, dot_git
        if dot_git.is_file():  # a linked work tree or a submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return folder, None
            git_dir = (folder / text.split(":", 1)[1].strip()).resolve()
            common = git_dir / "commondir"
            if common.is_file():
                git_dir = (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
            return folder, git_dir
    return None


def _run_git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    # check-ignore exits 1 when nothing is ignored: not an error.
    return proc.stdout if proc.returncode in (0, 1) else None


def _git_ignored(root: Path) -> dict[str, tuple[Path, str]] | None:
    """Files and folders below ``root`` that git ignores, as {relative path: (ignore file,
    pattern)}; None when git cannot tell (not installed, not a work tree, or ``root``
    itself is ignored: then git would hide everything the user explicitly pointed at)."""
    if shutil.which("git") is None:
        return None
    top = _run_git(["rev-parse", "--show-toplevel"], root)
    if not top or not top.strip():
        return None
    top_dir = Path(os.fsdecode(top.strip()))
    listed = _run_git(
        ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], root
    )
    if listed is None:
        return None
    paths = [p for p in listed.split(b"\0") if p]
    if b"./" in paths:
        return None  # root itself is ignored
    found: dict[str, tuple[Path, str]] = {}
    if not paths:
        return found
    # Which rule ignores each one (ls-files also lists folders that merely hold ignored files).
    verbose = _run_git(["check-ignore", "-v", "-z", "--stdin"], root, b"\0".join(paths) + b"\0")
    if verbose is None:
        return None
    fields = verbose.split(b"\0")
    for i in range(0, len(fields) - 3, 4):
        source, _line, pattern, path = (os.fsdecode(f) for f in fields[i : i + 4])
        if not pattern or pattern.startswith("!"):
            continue
        found[path.rstrip("/")] = (top_dir / source, pattern)
    return found


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir()


def _credential_json(path: Path) -> bool:
    """A JSON file that holds a private key or OAuth secret is a credential whatever its name."""
    try:
        if path.stat().st_size > 64 * 1024:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    if data.get("type") in ("service_account", "authorized_user", "external_account"):
        return True
    nested = [data] + [v for v in data.values() if isinstance(v, dict)]
    return any(k in d for d in nested for k in _CREDENTIAL_JSON_KEYS)


def _credential_content(path: Path) -> str | None:
    """Why the content of ``path`` is a credential: a private key block, or (in a small text
    file that is not code) a string shaped like a known credential, as check's BD110 sees one.

    In a text file the key's BEGIN line alone is enough. In Python source or a binary file only
    a whole block counts (its END line too): code that merely names the header, to parse keys,
    is code and ships. Other credential shapes are not looked for in code: a module the worker
    imports must ship, and what its values hold is check's to report."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > _SCAN_LIMIT:
        return None  # a FIFO would block the read
    # One stage walks the same tree several times (package list, build, cache key).
    return _credential_in(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8192)
def _credential_in(path: str, size: int, mtime_ns: int) -> str | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    code = path.lower().endswith(_CODE_SUFFIXES)
    binary = b"\0" in data[:8192]
    if b"PRIVATE KEY" in data:
        for match in _PRIVATE_KEY.finditer(data):
            end = b"-----END " + match[1] + b"-----"
            if not (code or binary) or data.find(end, match.end()) != -1:
                return f"holds a private key ({match[0].decode('ascii')})"
    if code or binary or size > _SHAPE_SCAN_LIMIT:
        return None
    from beam_deps.pickling.hazards import SecretDetector

    found = SecretDetector(environ={}).check(data.decode("utf-8", errors="replace"))
    return f"holds {found}" if found else None


def _outside(path: Path, top: Path) -> Path | None:
    """Where the symlink ``path`` leads when that is outside ``top`` (None: it stays inside,
    or ``path`` is no symlink)."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    return None if target.is_relative_to(top) else target


def _secret_name(name: str) -> bool:
    """Named like a file of secrets (``secrets.yaml``, ``credentials.csv``), and not code."""
    name = name.lower().lstrip(".")
    match = _SECRET_STEM.match(name.split(".", 1)[0])
    if match is None or name.endswith(_CODE_SUFFIXES):
        return False
    return match[1].startswith("credential") or os.path.splitext(name)[1] in _CONFIG_SUFFIXES


def _global_excludes(folder: Path) -> Path:
    """Git's global excludes file for a work tree: ``core.excludesFile``, else its default."""
    configured = _run_git(["config", "--path", "--get", "core.excludesFile"], folder)
    if configured and configured.strip():
        return (folder / os.path.expanduser(os.fsdecode(configured.strip()))).absolute()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "git" / "ignore"


def rule_files(folders: Iterable[Path], below: Iterable[Path] = ()) -> list[Path]:
    """Every file whose content decides what a ``Policy`` leaves out of ``folders``, and of
    everything under the folders ``below``.

    That is, for each folder: the ``.gitignore`` of every folder from its git work tree's top
    level (the file system's root outside git) down to it, ``.git/info/exclude`` and git's
    global excludes file; for the folders ``below``, also every ``.gitignore`` under them.
    Paths that do not exist are listed too: creating one changes what ships. The staging
    cache digests these files, so a new ignore rule is never answered with a stale staging.
    """
    found: dict[Path, None] = {}
    tops: dict[Path, None] = {}
    below = [Path(f).resolve() for f in below]
    for folder in [*(Path(f).resolve() for f in folders), *below]:
        tree = _work_tree(folder)
        top = tree[0] if tree else Path(folder.anchor)
        rel = folder.relative_to(top)
        for i in range(len(rel.parts) + 1):
            found[top.joinpath(*rel.parts[:i]) / ".gitignore"] = None
        if tree and top not in tops:
            tops[top] = None
            if tree[1] is not None:
                found[tree[1] / "info" / "exclude"] = None
            if shutil.which("git") is not None:
                found[_global_excludes(top)] = None
    for folder in below:
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames if d not in _SKIP_DIRS and not _is_virtualenv(here / d)
            )
            if ".gitignore" in filenames:
                found[here / ".gitignore"] = None
    return list(found)


def _loops(link: Path) -> bool:
    """Whether following the folder symlink ``link`` leads back to a folder above it."""
    target = link.resolve()
    return link.parent.resolve().is_relative_to(target)


@dataclass
class Policy:
    """Decides, for files below ``root``, whether they may ship and why not.

    Git's ignore rules apply as git applies them: ``.gitignore`` files from the work tree's
    top level down (parents of ``root`` too), ``.git/info/exclude`` and, when git answers,
    the user's global excludes. One exception: when ``root`` itself (or a folder above it) is
    ignored, only the rules about what is inside ``root`` count, since the user explicitly
    pointed at that folder. ``use_git=False`` reads the rules without asking git.
    """

    root: Path
    use_git: bool = True
    _rules: dict[Path, list[_IgnoreRule]] = field(default_factory=dict, repr=False)
    _verdicts: dict[Path, str | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        tree = _work_tree(self.root)
        self._top = tree[0] if tree else self.root
        self._base_rules: list[_IgnoreRule] = []
        if tree and tree[1] is not None:
            # Lowest precedence: every .gitignore overrides info/exclude.
            self._base_rules = _read_rules(tree[1] / "info" / "exclude", self._top)
        self._by_git = _git_ignored(self.root) if (self.use_git and tree) else None

    def _describe(self, source: Path, pattern: str) -> str:
        if source.is_relative_to(self._top):  # shown relative to the script's folder
            shown = Path(os.path.relpath(source, self.root)).as_posix()
        else:  # the user's global excludes file
            home = Path.home()
            shown = f"~/{source.relative_to(home)}" if source.is_relative_to(home) else str(source)
        return f"ignored by {shown}: {pattern}"

    def _rules_for(self, folder: Path) -> list[_IgnoreRule]:
        chain: list[_IgnoreRule] = list(self._base_rules)
        try:
            rel = folder.relative_to(self._top)
        except ValueError:
            return chain
        current = self._top
        for part in ("",) + rel.parts:
            current = current / part if part else current
            if current not in self._rules:
                self._rules[current] = _read_rules(current / ".gitignore", current)
            chain.extend(self._rules[current])
        return chain

    def _matching_rule(self, path: Path, is_dir: bool) -> _IgnoreRule | None:
        """The rule that ignores ``path`` itself (the last one matching wins, as in git)."""
        last = None
        for rule in self._rules_for(path.parent):
            if rule.dir_only and not is_dir:
                continue
            try:
                rel = path.relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.regex.match(rel):
                last = rule
        return None if last is None or last.negate else last

    def _gitignored(self, path: Path, is_dir: bool) -> str | None:
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return None
        # Git never looks inside an ignored folder: check the folders below root first.
        chain = [self.root.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts))]
        for i, current in enumerate([*chain, path]):
            last = i == len(chain)
            if not last and current in self._verdicts:
                verdict = self._verdicts[current]
            else:
                verdict = self._verdict(current, is_dir if last else True)
                if not last:
                    self._verdicts[current] = verdict
            if verdict:
                return verdict
        return None

    def _verdict(self, path: Path, is_dir: bool) -> str | None:
        if self._by_git is not None:
            hit = self._by_git.get(path.relative_to(self.root).as_posix())
            if hit:
                return self._describe(*hit)
        rule = self._matching_rule(path, is_dir)
        return self._describe(rule.source, rule.pattern) if rule else None

    def reason(self, path: Path) -> str | None:
        """Why ``path`` must not ship, or None when it may."""
        path = Path(path)
        name = path.name
        target = _outside(path, self._top)
        if target is not None:  # never read through it: it may be the user's credentials
            what = "folder" if path.is_dir() else "file"
            return f"symlink to a {what} outside the project ({target}): not followed"
        is_dir = path.is_dir()
        if is_dir:
            if name in _SKIP_DIRS:
                return _SKIP_DIRS[name]
            if _is_virtualenv(path):
                return "virtualenv"
            if (path / "beam_deps_manifest.json").is_file():
                return "beam-deps staging output"
            if _STAGING_TEMP.match(name):
                return STAGING_IN_PROGRESS
            if name.endswith(".egg-info") or name.endswith(".dist-info"):
                return "build metadata"
        else:
            for pattern, why in _SECRET_NAMES:
                if fnmatch.fnmatchcase(name.lower(), pattern):
                    return why
            for pattern, why in _JUNK_NAMES:
                if fnmatch.fnmatchcase(name, pattern):
                    return why
            if _secret_name(name):
                return "may hold secrets (named secret*/credential*)"
            if name.lower().endswith(".json") and _credential_json(path):
                return "credential JSON (holds a private key or secret)"
        ignored = self._gitignored(path.resolve(), is_dir)
        if ignored or is_dir:
            return ignored
        return _credential_content(path)  # reads the file: last, and only for what would ship

    def walk(self, top: Path) -> Iterator[tuple[Path, str | None]]:
        """Yield (path, reason) for files below ``top`` in sorted order; excluded folders are
        yielded once (not descended into)."""
        top = Path(top)
        # Symlinked folders inside the project are followed (shared code linked in ships
        # under the link's name); ``reason`` refuses those that lead outside it.
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            here = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                why = self.reason(here / d)
                if not why and (here / d).is_symlink() and _loops(here / d):
                    why = "symlink to a folder that contains it: not followed"
                if why:
                    yield here / d, why
                else:
                    keep.append(d)
            dirnames[:] = keep
            for f in sorted(filenames):
                p = here / f
                if p.is_symlink() and not p.exists():
                    yield p, "broken symlink"
                    continue
                yield p, self.reason(p)
