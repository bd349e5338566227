"""Staging hygiene, from a user review: a new ignore rule is never answered with a stale
cached staging, secret files never ship (and say why), and a `--out` that cannot be replaced
is one clear line and exit 2, with the previous `--out` left intact. Real builds, real git,
real mounts and file attributes where this machine allows them (skipped where it does not)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from staging_support import (  # noqa: F401
    cache_dir,
    cli,
    copy_fixture,
    git_init,
    immutable,
    tree,
    unwritable_folder,
    wheel_contents,
)

from beam_deps.staging import StagingError, cache, stage
from beam_deps.staging.exclusions import Policy
from beam_deps.staging.publish import publish as _publish

TOKEN = "mylib/internal_token.txt"


def append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(line + "\n")


# ---------------------------------------------------------------------------- 1. stale cache
@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The loose sample project inside a git work tree (tmp/repo/loose), with the user's
    global git configuration replaced by an empty one."""
    top = git_init(tmp_path / "repo")
    project = copy_fixture("loose", top)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (project / TOKEN).write_text("tok-ships-until-ignored\n")
    return project


# Where a new rule is written -> (file, line, how --verbose names the file).
RULE_PLACES = {
    "script folder .gitignore": (".gitignore", TOKEN, ".gitignore"),
    "parent .gitignore": ("../.gitignore", "internal_token.txt", "../.gitignore"),
    "package .gitignore": ("mylib/.gitignore", "internal_token.txt", "mylib/.gitignore"),
    "info/exclude": ("../.git/info/exclude", "internal_token.txt", "../.git/info/exclude"),
    "global excludes": ("../../xdg/git/ignore", "internal_token.txt", None),
}


@pytest.mark.parametrize("place", RULE_PLACES)
def test_a_new_ignore_rule_is_not_answered_from_the_cache(repo, tmp_path, place):
    out = tmp_path / "out"
    first = stage(repo / "pipeline.py", out=out)
    assert TOKEN in first.shipped and TOKEN in wheel_contents(out)

    where, line, shown = RULE_PLACES[place]
    rule_file = (repo / where).resolve()
    append(rule_file, line)
    second = stage(repo / "pipeline.py", out=out)
    assert not second.cached, "a new ignore rule was answered with the cached staging"
    assert TOKEN not in second.shipped and TOKEN not in wheel_contents(out)
    assert dict(second.excluded)[TOKEN] == f"ignored by {shown or rule_file}: {line}"
    assert "mylib/util.py" in wheel_contents(out)
    # Nothing changed since: the cache answers again.
    assert stage(repo / "pipeline.py", out=out).cached


def test_cli_stage_and_package_list_follow_a_new_gitignore(repo, tmp_path):
    """The review's repro, through the CLI: after ignoring a file and a data folder, neither
    `stage` nor `package list -v` reuses the staging that shipped them."""
    data = repo / "mylib" / "data"
    data.mkdir()
    for i in range(200):
        (data / f"row{i:03}.csv").write_text(f"{i}\n")
    cwd = repo
    staged = cli("stage", "pipeline.py", "--out", str(tmp_path / "O"), cwd=cwd)
    assert staged.returncode == 0, staged.stderr
    assert TOKEN in wheel_contents(tmp_path / "O")
    listed = cli("package", "list", "-v", "pipeline.py", cwd=cwd).stdout.splitlines()
    assert TOKEN in listed and len([x for x in listed if x.startswith("mylib/data/")]) == 200

    append(repo / ".gitignore", TOKEN)
    append(repo / ".gitignore", "mylib/data/")
    again = cli("stage", "pipeline.py", "--out", str(tmp_path / "O"), cwd=cwd)
    assert again.returncode == 0, again.stderr
    assert "reused" not in again.stdout
    members = wheel_contents(tmp_path / "O")
    assert TOKEN not in members and not [m for m in members if m.startswith("mylib/data/")]
    listing = cli("package", "list", "-v", "pipeline.py", cwd=cwd)
    lines = listing.stdout.splitlines()
    assert [x for x in lines if not x.startswith("excluded: ")] == [
        "mylib/__init__.py",
        "mylib/greeting.txt",
        "mylib/util.py",
    ]
    assert f"excluded: {TOKEN} (ignored by .gitignore: {TOKEN})" in lines
    assert "excluded: mylib/data (ignored by .gitignore: mylib/data/)" in lines


def test_a_new_ignore_rule_in_a_project_rebuilds_its_wheel(tmp_path, monkeypatch):
    """A project (pyproject.toml) is built from the files the policy lets through: a rule in
    the project's .gitignore must rebuild the wheel, not reuse the one that had the file."""
    project = git_init(tmp_path / "proj")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no.gitconfig"))
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "projpkg"
            version = "1.0"

            [tool.setuptools]
            packages = ["projpkg"]
            """
        )
    )
    (project / "projpkg").mkdir()
    (project / "projpkg" / "__init__.py").write_text("def inc(x):\n    return x + 1\n")
    (project / "projpkg" / "scratch.py").write_text("TOKEN = 'ships-until-ignored'\n")
    (project / "pipeline.py").write_text(
        "import apache_beam as beam\nimport projpkg\n\n"
        "with beam.Pipeline() as p:\n    p | beam.Create([1]) | beam.Map(projpkg.inc)\n"
    )
    out = tmp_path / "out"
    assert "projpkg/scratch.py" in wheel_contents(stage(project / "pipeline.py", out=out).out)
    (project / ".gitignore").write_text("scratch.py\n")
    again = stage(project / "pipeline.py", out=out)
    assert not again.cached
    assert "projpkg/scratch.py" not in wheel_contents(out)
    assert dict(again.excluded)["projpkg/scratch.py"] == "ignored by .gitignore: scratch.py"


def test_cache_entry_depends_on_the_rules_that_let_its_files_ship(tmp_path, monkeypatch):
    """Files found only while staging (an editable install's source, the project tree) are
    the entry's dependencies: a rule that starts ignoring one of them makes the entry stale."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no.gitconfig"))
    src = git_init(tmp_path / "editable")
    shipped = src / "edpkg" / "notes.txt"
    shipped.parent.mkdir()
    shipped.write_text("ships\n")
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "beam_deps_manifest.json").write_text("{}")
    cache.store("k" * 64, staged, {"shipped": ["edpkg/notes.txt"]}, [shipped])
    assert cache.lookup("k" * 64) is not None
    append(src / ".git" / "info" / "exclude", "notes.txt")
    assert cache.lookup("k" * 64) is None


# ---------------------------------------------------------------------------- 2. secrets
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAnot+a+real+key+but+shaped+like+one0123456789abcdef\n"
    "-----END RSA PRIVATE KEY-----\n"
)
SECRETS = {
    ".aws/credentials": "[default]\naws_secret_access_key = s3cr3t-aws\n",
    ".npmrc": "//registry.npmjs.org/:_authToken=s3cr3t-npm\n",
    "private_key.txt": "my key, keep it safe:\n" + PRIVATE_KEY,
    "settings.env": "DB_PASSWORD=s3cr3t-env\n",
    "secrets.yaml": "db: s3cr3t-yaml\n",
    "secrets.yml": "db: s3cr3t-yml\n",
    "secrets.json": '{"db": "s3cr3t-json"}\n',
    "secrets.toml": 'db = "s3cr3t-toml"\n',
    ".git-credentials": "https://user:s3cr3t-git@example.com\n",
    ".docker/config.json": '{"auths": {"r.example.com": {"auth": "s3cr3t-docker"}}}\n',
    ".kube/config": "users:\n- name: u\n  user:\n    token: s3cr3t-kube\n",
    "credentials.json": '{"password": "s3cr3t-credjson"}\n',
    "credentials.csv": "User name,Password\nme,s3cr3t-csv\n",
    "embedded_key.py": f"KEY = '''{PRIVATE_KEY}'''\n",
}
REASONS = {
    "mylib/.aws": "AWS credentials and config",
    "mylib/.npmrc": "may hold registry tokens (.npmrc)",
    "mylib/private_key.txt": "holds a private key (-----BEGIN RSA PRIVATE KEY-----)",
    "mylib/settings.env": "may hold secrets (*.env)",
    "mylib/secrets.yaml": "may hold secrets (named secret*/credential*)",
    "mylib/secrets.yml": "may hold secrets (named secret*/credential*)",
    "mylib/secrets.json": "may hold secrets (named secret*/credential*)",
    "mylib/secrets.toml": "may hold secrets (named secret*/credential*)",
    "mylib/.git-credentials": "credentials (.git-credentials)",
    "mylib/.docker": "Docker registry credentials",
    "mylib/.kube": "Kubernetes credentials",
    "mylib/credentials.json": "credential JSON",
    "mylib/credentials.csv": "may hold secrets (named secret*/credential*)",
    "mylib/embedded_key.py": "holds a private key (-----BEGIN RSA PRIVATE KEY-----)",
}
# Code and data that only look alarming: they ship.
HARMLESS = {
    "secrets.py": "import secrets as _stdlib\n\ndef token():\n    return 'generated'\n",
    "credentials.py": "import os\n\nUSER = os.environ.get('DB_USER')\n",
    "pem_header.py": "HEADER = '-----BEGIN RSA PRIVATE KEY-----'  # parses keys, holds none\n",
    "secretary.json": '{"role": "minutes"}\n',
    "secret_garden.html": "<p>a template</p>\n",
    "public_key.txt": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0C\n-----END PUBLIC KEY-----\n",
}


def test_secret_files_never_ship_and_say_why(tmp_path):
    project = copy_fixture("loose", tmp_path)
    for rel, text in {**SECRETS, **HARMLESS}.items():
        (project / "mylib" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "mylib" / rel).write_text(text)
    staged = cli("stage", "pipeline.py", "--out", str(tmp_path / "out"), cwd=project)
    assert staged.returncode == 0, staged.stderr
    members = wheel_contents(tmp_path / "out")
    blob = b"".join(members.values())
    assert b"s3cr3t" not in blob and b"PRIVATE KEY-----\nMIIE" not in blob
    assert {f"mylib/{rel}" for rel in HARMLESS} <= set(members)

    listing = cli("package", "list", "--verbose", "pipeline.py", cwd=project)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    for path, why in REASONS.items():
        assert f"excluded: {path} ({why})" in lines
    assert {f"mylib/{rel}" for rel in HARMLESS} <= set(lines)


def test_private_key_content_rules(tmp_path):
    """A key header in a text file is a key; Python source and binary files need the whole
    block (a parser that names the header is code); a public key or a huge file is not."""
    files = {
        "header_only.txt": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "pgp.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----",
        "encrypted.cfg": "k = -----BEGIN ENCRYPTED PRIVATE KEY-----\n",
        "names_it.py": "H = b'-----BEGIN EC PRIVATE KEY-----'\n",
        "binary.dat": "\0\0-----BEGIN EC PRIVATE KEY-----\0",
        "binary_key.dat": "\0" + PRIVATE_KEY,
        "public.txt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "huge.txt": "-----BEGIN RSA PRIVATE KEY-----\n" + "x" * (3 * 1024 * 1024),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    policy = Policy(tmp_path, use_git=False)
    reasons = {name: policy.reason(tmp_path / name) for name in files}
    assert reasons == {
        "header_only.txt": "holds a private key (-----BEGIN OPENSSH PRIVATE KEY-----)",
        "pgp.asc": "holds a private key (-----BEGIN PGP PRIVATE KEY BLOCK-----)",
        "encrypted.cfg": "holds a private key (-----BEGIN ENCRYPTED PRIVATE KEY-----)",
        "names_it.py": None,
        "binary.dat": None,
        "binary_key.dat": "holds a private key (-----BEGIN RSA PRIVATE KEY-----)",
        "public.txt": None,
        "huge.txt": None,
    }


# ---------------------------------------------------------------------------- 3. --out
@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A finished staging of the loose project, to be copied into each test's --out."""
    root = tmp_path_factory.mktemp("previous")
    project = copy_fixture("loose", root)
    staging = stage(project / "pipeline.py", out=root / "out")
    return project, staging.out


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("beam-deps: error: "), proc.stderr
    return lines[0]


def test_out_under_a_file_says_which_path_is_a_file(previous, tmp_path):
    project, _ = previous
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = one_error_line(
        cli("stage", "pipeline.py", "--out", str(blocker / "sub" / "out"), cwd=project)
    )
    assert line == (
        f"beam-deps: error: cannot write --out {blocker}/sub/out: {blocker} is a file, not a "
        "folder; choose another --out"
    )


def test_writable_out_in_an_unwritable_folder_blames_the_folder(previous, tmp_path):
    project, staged = previous
    parent = tmp_path / "shared"
    parent.mkdir()
    out = shutil.copytree(staged, parent / "out")
    before = tree(out)
    with unwritable_folder(parent):
        line = one_error_line(cli("stage", "pipeline.py", "--out", str(out), cwd=project))
    assert line.startswith(
        f"beam-deps: error: cannot write --out {out}: its parent folder {parent} is not writable ("
    )
    assert "renames it into place" in line
    assert tree(out) == before
    assert sorted(p.name for p in parent.iterdir()) == ["out"]


def test_immutable_out_is_refused_before_any_work(previous, tmp_path):
    project, staged = previous
    out = shutil.copytree(staged, tmp_path / "out")
    before = tree(out)
    with immutable(out):
        line = one_error_line(
            cli("stage", "pipeline.py", "--out", str(out), "--no-cache", cwd=project)
        )
    assert line == (
        f"beam-deps: error: cannot replace --out {out}: it is immutable (chattr +i), and "
        f"staging puts the new --out in place by renaming it; run `chattr -i {out}` or choose "
        "another --out"
    )
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "temporary folders left"


def test_a_failed_publish_is_a_staging_error_and_keeps_out(previous, tmp_path):
    """The last line of defence, for whatever the early checks cannot see: the rename that
    publishes fails, the error is one line, and --out is untouched."""
    _, staged = previous
    out = shutil.copytree(staged, tmp_path / "out")
    new = tmp_path / ".out.tmp-new"
    new.mkdir()
    (new / "requirements.txt").write_text("new==1\n")
    before = tree(out)
    with immutable(out), pytest.raises(StagingError) as info:
        _publish(new, out)
    assert str(info.value).startswith(
        f"cannot replace --out {out}: Operation not permitted; {out} is unchanged: it cannot "
        "be renamed"
    )
    assert tree(out) == before and tree(new) == {"requirements.txt": b"new==1\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.tmp-new", "out"]


# Runs in a private user + mount namespace (`unshare -rm`): mounts are real, need no
# privileges and vanish with the process.
IN_NAMESPACE = """
import json, os, shutil, subprocess, sys
from pathlib import Path

project, previous, work = map(Path, sys.argv[1:4])

def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes().hex()
            for p in sorted(root.rglob("*")) if p.is_file()}

def stage_into(out):
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "stage", "pipeline.py", "--out", str(out),
         "--no-cache"], cwd=project, capture_output=True, text=True)
    return proc.returncode, proc.stderr

result = {}
tmpfs = work / "tmpfs"
tmpfs.mkdir()
subprocess.run(["mount", "-t", "tmpfs", "none", str(tmpfs)], check=True)
shutil.copytree(previous, tmpfs, dirs_exist_ok=True)
before = tree(tmpfs)
result["tmpfs"] = [*stage_into(tmpfs), tree(tmpfs) == before]

source, bound = work / "source", work / "bound out"
shutil.copytree(previous, source)
bound.mkdir()
subprocess.run(["mount", "--bind", str(source), str(bound)], check=True)
before = tree(bound)
result["bind"] = [*stage_into(bound), tree(bound) == before]

from beam_deps.staging import StagingError
from beam_deps.staging.publish import publish as _publish
new = work / ".bound out.tmp-new"
new.mkdir()
try:
    _publish(new, bound)
    result["publish"] = "published"
except StagingError as exc:
    result["publish"] = str(exc)
result["publish_kept"] = tree(bound) == before and new.is_dir()
print(json.dumps(result))
"""


def test_out_that_is_a_mount_point(previous, tmp_path):
    project, staged = previous
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        pytest.skip("no unprivileged mount namespace here (unshare -rm)")
    if shutil.which("mount") is None:
        pytest.skip("mount is not installed")
    proc = subprocess.run(
        [unshare, "-rm", sys.executable, "-c", IN_NAMESPACE, str(project), str(staged),
         str(tmp_path)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1])),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, out in (("tmpfs", tmp_path / "tmpfs"), ("bind", tmp_path / "bound out")):
        code, stderr, kept = result[name]
        assert code == 2 and kept, (name, stderr)
        assert stderr.strip().splitlines() == [
            f"beam-deps: error: cannot replace --out {out}: it is a mount point, and staging "
            f"puts the new --out in place by renaming it; choose a folder inside it (e.g. "
            f"--out {out}/staging)"
        ]
    bound = tmp_path / "bound out"
    assert result["publish"] == (
        f"cannot replace --out {bound}: Device or resource busy; {bound} is unchanged: it is a "
        f"mount point or in use: choose a folder inside it (e.g. --out {bound}/staging)"
    )
    assert result["publish_kept"]
