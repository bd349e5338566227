"""Staging building blocks, each on real files: exclusions, the AST closure, distributions,
requirement resolution, reproducible archives, the manifest and declarations."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from beam_deps.diagnostics import Severity
from beam_deps.environment.distributions import Environment, _parse_direct_url, worker_image
from beam_deps.staging import archives, manifest
from beam_deps.staging.exclusions import Policy
from beam_deps.staging.imports import closure, is_stdlib
from beam_deps.staging.requirements import Need, resolve
from beam_deps.staging.requires import Declaration, declared_on, merge, requires
from beam_deps.staging.stage import beam_args


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------- exclusions
def test_policy_rejects_secrets_caches_venvs_and_gitignored(tmp_path):
    write(tmp_path / ".gitignore", "*.log\n/build/\nsecret_dir/\n!keep.log\n")
    write(tmp_path / "pkg/__init__.py")
    write(tmp_path / "pkg/run.log")
    write(tmp_path / "pkg/keep.log")
    write(tmp_path / "build/x.py")
    write(tmp_path / "pkg/secret_dir/a.py")
    write(tmp_path / ".env.production", "TOKEN=1")
    write(tmp_path / "pkg/tls.key")
    write(tmp_path / "pkg/creds.json", json.dumps({"type": "service_account", "private_key": "x"}))
    write(tmp_path / "pkg/config.json", json.dumps({"rows": 3}))
    write(tmp_path / "venv/pyvenv.cfg", "home = /usr")
    write(tmp_path / "pkg/__pycache__/m.cpython-311.pyc")
    write(tmp_path / ".out.tmp-k2j3h4/requirements.txt")
    write(tmp_path / "old-out/beam_deps_manifest.json", "{}")
    policy = Policy(tmp_path)
    reasons = {p.relative_to(tmp_path).as_posix(): why for p, why in policy.walk(tmp_path)}
    assert reasons["pkg/__init__.py"] is None
    assert reasons["pkg/config.json"] is None
    assert reasons["pkg/keep.log"] is None  # negated pattern
    assert reasons["pkg/run.log"] == "ignored by .gitignore: *.log"
    assert reasons["build"] == "ignored by .gitignore: /build/"
    assert reasons["pkg/secret_dir"] == "ignored by .gitignore: secret_dir/"
    assert "secrets" in reasons[".env.production"]
    assert "key" in reasons["pkg/tls.key"]
    assert "credential" in reasons["pkg/creds.json"]
    assert reasons["venv"] == "virtualenv"
    assert reasons["pkg/__pycache__"] == "bytecode cache"
    assert reasons[".out.tmp-k2j3h4"] == "beam-deps staging in progress"
    assert reasons["old-out"] == "beam-deps staging output"


# ---------------------------------------------------------------------------- imports
def test_closure_follows_local_code_and_separates_external(tmp_path):
    script = write(
        tmp_path / "main.py",
        "import os\nimport helpers\nfrom pkg import sub\n"
        "try:\n    import ujson_not_here\nexcept ImportError:\n    ujson_not_here = None\n"
        "def f():\n    import iniconfig\n",
    )
    write(tmp_path / "helpers.py", "import json\nimport packaging.version\n")
    write(tmp_path / "pkg/__init__.py", "from . import sub\nfrom .sub import thing\n")
    write(tmp_path / "pkg/sub.py", "import yaml\nthing = 1\n")
    write(tmp_path / "unused.py", "import never_imported\n")
    result = closure(script)
    assert set(result.local) == {"helpers", "pkg"}
    assert result.local["pkg"] == tmp_path / "pkg"
    tops = result.top_level_external()
    assert {"packaging", "yaml", "iniconfig", "ujson_not_here"} <= tops
    assert "os" not in tops and "json" not in tops and "never_imported" not in tops
    assert all(s.guarded for s in result.external["ujson_not_here"])
    assert not any(s.guarded for s in result.external["iniconfig"])
    assert script in result.files and tmp_path / "pkg" / "sub.py" in result.files


def test_stdlib_detection_by_name_and_by_file():
    import sysconfig

    assert is_stdlib("os.path") and is_stdlib("__future__")
    assert not is_stdlib("iniconfig")
    data = Path(sysconfig.get_paths()["stdlib"]) / "_sysconfigdata_x.py"
    assert is_stdlib("_sysconfigdata_x", data)


# ---------------------------------------------------------------------------- distributions
def test_direct_url_kinds():
    editable = _parse_direct_url('{"url": "file:///src/p", "dir_info": {"editable": true}}')
    assert editable.kind == "editable" and editable.path == Path("/src/p")
    assert editable.requirement("p") is None
    vcs = _parse_direct_url(
        '{"url": "https://github.com/o/r.git", "vcs_info": {"vcs": "git", "commit_id": "abc1"}}'
    )
    assert vcs.requirement("r") == "r @ git+https://github.com/o/r.git@abc1"
    wheel = _parse_direct_url('{"url": "file:///w/x-1-py3-none-any.whl", "archive_info": {}}')
    assert wheel.kind == "local_archive"


@pytest.fixture(scope="module")
def env():
    return Environment()


def test_worker_image_is_beam_closure(env):
    image = worker_image(env)
    assert image.has("apache-beam") and image.has("numpy") and image.has("protobuf")
    assert not image.has("iniconfig") and not image.has("pytest")
    assert image.version("numpy") == env.version("numpy")


def test_resolve_pins_needed_distributions_minus_the_image(env):
    needs = [
        Need("iniconfig", "import"),
        Need("numpy", "built"),
        Need("apache_beam.transforms", "payload"),
        Need("json", "import"),
    ]
    result = resolve(needs, env, worker_image(env))
    assert result.lines == [f"iniconfig=={env.version('iniconfig')}"]
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]


def test_resolve_pins_transitive_closure(env):
    # pytest needs iniconfig, pluggy, packaging...; packaging is in Beam's closure.
    result = resolve([Need("pytest", "import")], env, worker_image(env))
    names = [line.split("==")[0].lower() for line in result.lines]
    assert "pytest" in names and "iniconfig" in names and "pluggy" in names
    assert "packaging" not in names


def test_resolve_reports_skew_against_worker_requirements(env, tmp_path):
    freeze = write(tmp_path / "image.txt", "apache-beam==2.77.0\nnumpy==1.26.4\n")
    result = resolve([Need("numpy", "import")], env, worker_image(env, freeze))
    assert result.lines == [f"numpy=={env.version('numpy')}"]
    assert [d.code for d in result.diagnostics] == ["BD410"]


def test_resolve_unmapped_and_missing_modules(env, tmp_path):
    ghost = write(tmp_path / "ghostmod.py")
    needs = [
        Need("ghostmod", "built", file=str(ghost)),
        Need("not_installed_anywhere", "import", at="x.py:3", line=3),
        Need("optional_missing", "import", at="x.py:4", line=4, guarded=True),
    ]
    result = resolve(needs, env, worker_image(env))
    codes = sorted(d.code for d in result.diagnostics)
    assert codes == ["BD403", "BD411"]
    assert result.lines == []


def test_unmapped_module_points_at_its_import_site(env, tmp_path):
    """Imported by the script and also seen while building: the diagnostic keeps s.py:2."""
    ghost = write(tmp_path / "pathonly.py")
    needs = [
        Need("pathonly", "built", file=str(ghost)),
        Need("pathonly", "import", at="/p/s.py:2", line=2),
        Need("pathonly", "payload"),
    ]
    (bd411,) = resolve(needs, env, worker_image(env)).diagnostics
    assert (bd411.code, bd411.file, bd411.line) == ("BD411", "/p/s.py", 2)
    assert str(ghost) in bd411.message  # the module's file, from the "built" need


def test_resolve_declarations_override_and_conflict(env):
    decls = [
        Declaration("iniconfig>=2", "__main__.A"),
        Declaration("six<2", "pipeline"),
    ]
    result = resolve([], env, worker_image(env), decls)
    # The installed version satisfies the declaration: pinned to what was checked.
    assert f"iniconfig=={env.version('iniconfig')}" in result.lines
    assert not any(line.startswith("six") for line in result.lines)  # image's six satisfies it
    conflict = resolve(
        [],
        env,
        worker_image(env),
        [Declaration("iniconfig==1.0", "__main__.A"), Declaration("iniconfig==2.0", "__main__.B")],
    )
    assert "BD409" in [d.code for d in conflict.diagnostics]
    assert "BD420" in [d.code for d in conflict.diagnostics]


# ---------------------------------------------------------------------------- declarations
def test_requires_records_strings_only_and_merges():
    @requires("pandas==2.2.3")
    class Fn:
        pass

    @requires("numpy>=1", "pyarrow")
    def fn(x):
        return x

    assert declared_on(Fn) == ("pandas==2.2.3",)
    assert declared_on(Fn()) == ("pandas==2.2.3",)
    assert declared_on(fn) == ("numpy>=1", "pyarrow")
    merged = merge(
        [Declaration("pandas>=2", "a"), Declaration("pandas<2.3", "b")], {"pandas": "2.2.3"}
    )
    assert len(merged) == 1 and not merged[0].conflict
    clash = merge([Declaration("pandas>=2.3", "a"), Declaration("pandas<2", "b")], {})
    assert clash[0].conflict


def test_requires_rejects_invalid_requirement():
    from beam_deps.errors import UsageError

    with pytest.raises(UsageError, match="invalid requirement"):
        requires("pandas>=>2")


# ---------------------------------------------------------------------------- archives
def test_build_wheel_is_reproducible_and_valid(tmp_path, monkeypatch):
    src = write(tmp_path / "src/mod.py", "X = 1\n")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    wa = archives.build_wheel(a, "my-mod", "0.0.0+abc", {"mod.py": src}, top_level=["mod"])
    src.touch()  # a new mtime must not change the bytes
    wb = archives.build_wheel(b, "my-mod", "0.0.0+abc", {"mod.py": src}, top_level=["mod"])
    assert wa.name == "my_mod-0.0.0+abc-py3-none-any.whl"
    assert wa.read_bytes() == wb.read_bytes()
    with zipfile.ZipFile(wa) as zf:
        names = zf.namelist()
        record = zf.read("my_mod-0.0.0+abc.dist-info/RECORD").decode()
        assert names[-1].endswith("RECORD")
        assert all(i.date_time == (1980, 1, 2, 0, 0, 0) for i in zf.infolist())
    assert f"mod.py,{archives.record_hash(b'X = 1' + chr(10).encode())},6" in record
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    c = tmp_path / "c"
    c.mkdir()
    wc = archives.build_wheel(c, "my-mod", "0.0.0+abc", {"mod.py": src}, top_level=["mod"])
    assert wc.read_bytes() != wa.read_bytes()


def test_normalize_sdist_is_stable(tmp_path):
    import tarfile
    import time

    def make(target: Path, mtime: float) -> None:
        f = write(tmp_path / "p-1/setup.py", "print(1)\n")
        import os

        os.utime(f, (mtime, mtime))
        with tarfile.open(target, "w:gz") as tf:
            tf.add(tmp_path / "p-1", arcname="p-1")

    one, two = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    make(one, time.time() - 1000)
    time.sleep(1.1)  # a different gzip header timestamp too
    make(two, time.time())
    assert one.read_bytes() != two.read_bytes()
    archives.normalize_sdist(one)
    archives.normalize_sdist(two)
    assert one.read_bytes() == two.read_bytes()


# ---------------------------------------------------------------------------- manifest
def test_manifest_key_verify_and_args(tmp_path):
    req = write(tmp_path / "requirements.txt", "iniconfig==2.3.1\n")
    whl = write(tmp_path / "wheels/x-0.0.0-py3-none-any.whl", "not really a wheel")
    arts = [
        manifest.artifact(tmp_path, whl, "local_wheel"),
        manifest.artifact(tmp_path, req, "requirements"),
    ]
    data = manifest.build(
        artifacts=arts,
        requirements=["iniconfig==2.3.1"],
        pickle_library="cloudpickle",
        beam_version="2.77.0",
        inputs={},
    )
    assert [a["role"] for a in data["artifacts"]] == ["requirements", "local_wheel"]
    assert len(data["environment_key"]) == 64
    manifest.write(tmp_path, data)
    assert manifest.read(tmp_path) == data
    assert manifest.verify(tmp_path) == []
    whl.write_text("tampered")
    assert manifest.verify(tmp_path) == ["wheels/x-0.0.0-py3-none-any.whl"]
    other = manifest.build(
        artifacts=arts,
        requirements=["iniconfig==2.3.0"],
        pickle_library="cloudpickle",
        beam_version="2.77.0",
        inputs={},
    )
    assert other["environment_key"] != data["environment_key"]
    args = beam_args(tmp_path, arts)
    assert args == [
        f"--requirements_file={tmp_path}/requirements.txt",
        "--requirements_cache=skip",
        f"--extra_package={tmp_path}/wheels/x-0.0.0-py3-none-any.whl",
        f"--files_to_stage={tmp_path}/beam_deps_manifest.json",
    ]


def test_wheelhouse_target_arguments_for_another_worker():
    from beam_deps.staging.wheelhouse import Target

    assert Target().pip_args() == []
    args = Target("3.12", ("manylinux2014_aarch64",)).pip_args()
    assert args == [
        "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
        "--platform", "manylinux2014_aarch64",
    ]  # fmt: skip
    assert "manylinux2014_x86_64" in Target("3.11").pip_args()


GITIGNORE = """\
*.log
!keep.log
/build/
docs/*.md
**/tmp
a/**/b
cache/
*.py[co]
sub/dir/file.txt
data?.csv
"""
PATHS = [
    "x.log", "keep.log", "deep/y.log", "deep/keep.log", "build/out.py", "src/build/out.py",
    "docs/readme.md", "docs/deep/readme.md", "tmp/t.py", "pkg/tmp/t.py", "a/b/f.py",
    "a/x/y/b/f.py", "a/bb/f.py", "cache/c.py", "pkg/cache/c.py", "m.pyc", "m.py",
    "sub/dir/file.txt", "other/sub/dir/file.txt", "data1.csv", "data10.csv", "ok/fine.py",
]  # fmt: skip


def test_gitignore_verdicts_match_git(tmp_path):
    """The exclusion policy reads .gitignore exactly as git does (checked against real git)."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write(tmp_path / ".gitignore", GITIGNORE)
    for rel in PATHS:
        write(tmp_path / rel)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "--no-index", *PATHS],
        capture_output=True,
        text=True,
    )
    by_git = set(proc.stdout.split())
    policy = Policy(tmp_path, use_git=False)  # our own reading of the rules, not git's
    by_us = {rel for rel in PATHS if policy.reason(tmp_path / rel)}
    # Files inside an ignored folder count as ignored (git never descends into it).
    by_us |= {
        rel
        for rel in PATHS
        if any(
            policy.reason(tmp_path / folder) for folder in Path(rel).parents if str(folder) != "."
        )
    }
    assert by_us == by_git


def git_repo(root: Path) -> Path:
    """A real git work tree whose top-level .gitignore and info/exclude hide files in jobs/."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root / ".gitignore", "local_settings.py\n")
    write(root / ".git/info/exclude", "*.dump\n")
    write(root / "jobs/s.py")
    write(root / "jobs/helpers.py")
    write(root / "jobs/local_settings.py", 'PASSWORD = "hunter2"\n')
    write(root / "jobs/db.dump")
    write(root / "jobs/pkg/local_settings.py")
    return root / "jobs"


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "rules-walk"])
def test_rules_above_the_script_folder_apply(tmp_path, use_git):
    """A .gitignore in a parent folder and .git/info/exclude hide files, as git does; both
    when git answers and when the rules are read without git."""
    jobs = git_repo(tmp_path)
    policy = Policy(jobs, use_git=use_git)
    reasons = {p.relative_to(jobs).as_posix(): why for p, why in policy.walk(jobs)}
    assert reasons["local_settings.py"] == "ignored by ../.gitignore: local_settings.py"
    assert reasons["pkg/local_settings.py"] == "ignored by ../.gitignore: local_settings.py"
    assert reasons["db.dump"] == "ignored by ../.git/info/exclude: *.dump"
    assert reasons["s.py"] is None and reasons["helpers.py"] is None


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "rules-walk"])
def test_an_ignored_script_folder_still_ships_its_modules(tmp_path, use_git):
    """When the folder the user points at is itself ignored (a scratch folder), only rules
    for the files inside it apply: the folder was chosen explicitly."""
    jobs = git_repo(tmp_path)
    write(tmp_path / ".gitignore", "local_settings.py\njobs/\n")
    policy = Policy(jobs, use_git=use_git)
    assert policy.reason(jobs / "helpers.py") is None
    assert policy.reason(jobs / "local_settings.py") == (
        "ignored by ../.gitignore: local_settings.py"
    )


def test_no_dead_code_in_staging():
    """Every class and function defined at the top of a staging module is used somewhere in
    the package (dead code misleads readers about what staging does)."""
    import ast

    package = Path(__file__).parent.parent / "beam_deps"
    used: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                used.update(alias.name for alias in node.names)
    unused = [
        f"{path.name}:{node.name}"
        for path in sorted((package / "staging").glob("*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in used
    ]
    assert unused == []


def test_global_excludes_apply_when_git_answers(tmp_path, monkeypatch):
    """The user's global excludes file (core.excludesFile's default) is git's to read."""
    jobs = git_repo(tmp_path / "repo")
    config = write(tmp_path / "xdg" / "git" / "ignore", "*.secret\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(write(tmp_path / "empty.gitconfig")))
    write(jobs / "token.secret")
    assert Policy(jobs).reason(jobs / "token.secret") == f"ignored by {config}: *.secret"
    assert Policy(jobs).reason(jobs / "s.py") is None
