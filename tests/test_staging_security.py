"""Staging under attack and bad luck (issue 12, items 7-15): symlinks that leave the project,
symlinked code folders, secrets in options and in files, staged directories sharing files,
an `--out` that is not ours, a script whose imports depend on the environment, a full disk.
Each test reproduces the attack or the fault on a real project with a real `stage`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from staging_support import cache_dir, cli, copy_fixture, tree, wheel_contents  # noqa: F401

from beam_deps.staging import StagingError, stage
from beam_deps.staging.exclusions import Policy

OUTSIDE_SECRET = b"outside-the-project-do-not-ship"


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def shipped_bytes(out: Path) -> bytes:
    return b"".join(wheel_contents(out).values()) + b"".join(tree(out).values())


# ---------------------------------------------------------------------------- 7. file symlinks
def test_file_symlinks_leaving_the_project_are_not_followed_and_said(tmp_path):
    outside = write(tmp_path / "home" / ".config" / "creds.txt", OUTSIDE_SECRET.decode())
    project = copy_fixture("loose", tmp_path)
    (project / "mylib" / "creds.txt").symlink_to(outside)
    (project / "mylib" / "notes_link.txt").symlink_to(project / "notes.txt")  # stays inside
    staging = stage(project / "pipeline.py", out=tmp_path / "out", use_cache=False)
    assert staging.ok, staging.diagnostics
    assert OUTSIDE_SECRET not in shipped_bytes(staging.out)
    assert (
        "mylib/creds.txt",
        f"symlink to a file outside the project ({outside.resolve()}): not followed",
    ) in staging.excluded
    members = wheel_contents(staging.out)
    assert members["mylib/notes_link.txt"] == (project / "notes.txt").read_bytes()
    assert "mylib/notes_link.txt" in staging.shipped


def test_cli_package_list_says_what_symlink_was_skipped(tmp_path):
    outside = write(tmp_path / "elsewhere" / "key.txt", OUTSIDE_SECRET.decode())
    project = copy_fixture("loose", tmp_path)
    (project / "mylib" / "key.txt").symlink_to(outside)
    proc = cli("package", "list", "pipeline.py", "--verbose", "--no-cache", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (
        "excluded: mylib/key.txt (symlink to a file outside the project "
        f"({outside.resolve()}): not followed)"
    ) in proc.stdout.splitlines()
    assert "mylib/key.txt" not in proc.stdout.replace("excluded: mylib/key.txt", "")


# ---------------------------------------------------------------------------- 8. folder symlinks
def linked_project(tmp_path: Path, target: Path) -> Path:
    """job.py imports code from jobs/shared, a symlink to ``target``."""
    project = tmp_path / "project"
    write(project / "jobs" / "__init__.py")
    write(target / "__init__.py")
    write(target / "helpers.py", "def twice(x):\n    return x * 2\n")
    (project / "jobs" / "shared").symlink_to(target, target_is_directory=True)
    write(
        project / "job.py",
        """
        import apache_beam as beam

        from jobs.shared import helpers

        with beam.Pipeline() as p:
            _ = p | beam.Create([1, 2]) | beam.Map(helpers.twice)
        """,
    )
    return project


def test_a_symlinked_code_folder_inside_the_project_ships(tmp_path):
    project = linked_project(tmp_path, tmp_path / "project" / "common" / "shared_code")
    staging = stage(project / "job.py", out=tmp_path / "out", use_cache=False)
    assert staging.ok, staging.diagnostics
    members = wheel_contents(staging.out)
    assert b"def twice" in members["jobs/shared/helpers.py"]
    assert "jobs/shared/helpers.py" in staging.shipped


def test_a_symlinked_code_folder_outside_the_project_is_an_error(tmp_path):
    target = tmp_path / "elsewhere" / "shared_code"
    project = linked_project(tmp_path, target)
    out = tmp_path / "out"
    with pytest.raises(StagingError) as info:
        stage(project / "job.py", out=out, use_cache=False)
    assert str(info.value) == (
        f"jobs/shared is a symlink to a folder outside the project ({target.resolve()}); "
        "workers would miss its modules: copy it into the project, or install it as a package "
        "the workers install too"
    )
    assert not out.exists()


def test_a_folder_symlink_loop_is_not_followed(tmp_path):
    project = copy_fixture("loose", tmp_path)
    (project / "mylib" / "again").symlink_to(project / "mylib", target_is_directory=True)
    reasons = dict(Policy(project).walk(project / "mylib"))
    assert reasons[project / "mylib" / "again"] == (
        "symlink to a folder that contains it: not followed"
    )


# ---------------------------------------------------------------------------- 9. options
SECRET_OPTIONS = {
    "--db_password=hunter2": "--db_password=********",
    "--api-key": "--api-key",
    "s3cr3t-value-x": "********",
    "--auth=ghp_" + "a1B2" * 9: "--auth=********",
    "--sink=postgresql://etl:pa55word@db.internal/jobs": (
        "--sink=postgresql://etl:********@db.internal/jobs"
    ),
    "--temp_location=/tmp/beam": "--temp_location=/tmp/beam",
}


def test_secret_options_are_redacted_in_the_manifest_and_the_cache(tmp_path, cache_dir):  # noqa: F811
    project = copy_fixture("loose", tmp_path)
    args = list(SECRET_OPTIONS)
    staging = stage(project / "pipeline.py", out=tmp_path / "out", pipeline_args=args)
    assert staging.ok, staging.diagnostics
    recorded = json.loads((staging.out / "beam_deps_manifest.json").read_text())
    assert recorded["inputs"]["pipeline_args"] == list(SECRET_OPTIONS.values())
    everything = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    everything += shipped_bytes(staging.out)
    for secret in (b"hunter2", b"s3cr3t-value-x", b"a1B2a1B2", b"pa55word"):
        assert secret not in everything
    again = stage(project / "pipeline.py", out=tmp_path / "out", pipeline_args=args)
    assert again.cached  # redaction does not cost the cache


def test_redaction_keeps_what_is_no_secret():
    from beam_deps.staging.manifest import redact_options

    kept = [
        "--use_token",  # a flag named like a secret, followed by another option
        "--runner=DataflowRunner",
        "--password_file=/etc/job/db.pw",  # where the secret is, not the secret
        "--max_tokens=512",
        "--sdk_location=https://example.org/beam.tar.gz",
        "--api_key",  # the last argument: nothing to redact
    ]
    assert redact_options(kept) == kept


# ---------------------------------------------------------------------------- 11. credentials
CREDENTIAL_FILES = (
    "token.pickle",
    ".vault-token",
    "terraform.tfstate",
    ".htpasswd",
    "kubeconfig",
    "release.keystore",
)


def test_credential_files_are_excluded_by_name_and_by_content(tmp_path):
    project = copy_fixture("loose", tmp_path)
    for name in CREDENTIAL_FILES:
        write(project / "mylib" / name, f"{name}-{OUTSIDE_SECRET.decode()}\n")
    aws = "AKIA" + "Q2WX7RTY4UIO3PZL"
    write(project / "mylib" / "settings.yaml", f"region: eu\naccess_key_id: {aws}\n")
    write(project / "mylib" / "readme.md", "gh token: ghp_" + "Zx9Y" * 9 + "\n")
    write(project / "mylib" / "table.yaml", "table: events\n")
    staging = stage(project / "pipeline.py", out=tmp_path / "out", use_cache=False)
    assert staging.ok, staging.diagnostics
    shipped = shipped_bytes(staging.out)
    assert OUTSIDE_SECRET not in shipped and aws.encode() not in shipped
    assert b"Zx9YZx9Y" not in shipped
    excluded = dict(staging.excluded)
    for name in CREDENTIAL_FILES:
        assert f"mylib/{name}" in excluded, name
    assert excluded["mylib/settings.yaml"] == (
        "holds a string shaped like a credential (AKIAQ2WX...)"
    )
    assert excluded["mylib/readme.md"] == "holds a string shaped like a credential (ghp_Zx9Y...)"
    assert "mylib/table.yaml" in staging.shipped


def test_code_is_not_excluded_for_a_token_shape(tmp_path):
    """A module the worker imports ships whatever strings it holds (a false exclusion breaks
    the pipeline); only a whole private key block keeps code out."""
    folder = tmp_path / "p"
    module = write(folder / "tokens.py", 'EXAMPLE = "task-runner-abcdefghijklmnopqrstuvwxyz"\n')
    assert Policy(folder).reason(module) is None


# ---------------------------------------------------------------------------- 12. hard links
def test_staged_directories_never_share_files(tmp_path):
    project = copy_fixture("loose", tmp_path)
    first = stage(project / "pipeline.py", out=tmp_path / "one")
    second = stage(project / "pipeline.py", out=tmp_path / "two")
    assert second.cached
    for path in sorted(p for p in second.out.rglob("*") if p.is_file()):
        assert path.stat().st_nlink == 1, path
        other = first.out / path.relative_to(second.out)
        assert not path.samefile(other), path
    before = tree(first.out)
    (second.out / "requirements.txt").write_text("edited==1\n")
    assert tree(first.out) == before
    third = stage(project / "pipeline.py", out=tmp_path / "three")
    assert tree(third.out) == before


# ---------------------------------------------------------------------------- 13. --out
def test_an_out_with_a_stray_manifest_is_not_replaced(tmp_path):
    project = copy_fixture("loose", tmp_path)
    out = tmp_path / "thesis"
    write(out / "beam_deps_manifest.json", "{}\n")
    write(out / "chapter1.tex", "\\chapter{One}\n")
    before = tree(out)
    with pytest.raises(StagingError) as info:
        stage(project / "pipeline.py", out=out, use_cache=False)
    assert str(info.value) == (
        f"--out {out} is not empty and is not a beam-deps staging directory (chapter1.tex is "
        "not part of the staging its beam_deps_manifest.json describes); refusing to replace "
        "it: choose a new or empty directory"
    )
    assert tree(out) == before


def test_a_previous_staging_with_a_file_added_is_not_replaced(tmp_path):
    project = copy_fixture("loose", tmp_path)
    staging = stage(project / "pipeline.py", out=tmp_path / "out")
    write(staging.out / "wheels" / "notes.txt", "mine\n")
    before = tree(staging.out)
    with pytest.raises(StagingError, match=r"\(wheels/notes.txt is not part of the staging"):
        stage(project / "pipeline.py", out=staging.out, use_cache=False)
    assert tree(staging.out) == before
    (staging.out / "wheels" / "notes.txt").unlink()
    assert stage(project / "pipeline.py", out=staging.out, use_cache=False).written


# ---------------------------------------------------------------------------- 14. environment
def test_the_cache_follows_the_environment_the_script_reads(tmp_path, monkeypatch):
    project = tmp_path / "plugins"
    write(project / "plug_a.py", "NAME = 'a'\n")
    write(project / "plug_b.py", "NAME = 'b'\n")
    write(
        project / "job.py",
        """
        import importlib
        import os

        import apache_beam as beam

        plugin = importlib.import_module(os.environ.get("JOB_PLUGIN", "plug_a"))

        with beam.Pipeline() as p:
            _ = p | beam.Create([plugin.NAME])
        """,
    )
    out = tmp_path / "out"
    monkeypatch.setenv("JOB_PLUGIN", "plug_a")
    first = stage(project / "job.py", out=out)
    assert "plug_a.py" in first.shipped and "plug_b.py" not in first.shipped
    assert stage(project / "job.py", out=out).cached
    monkeypatch.setenv("JOB_PLUGIN", "plug_b")
    second = stage(project / "job.py", out=out)
    assert not second.cached
    assert "plug_b.py" in second.shipped and "plug_a.py" not in second.shipped
    monkeypatch.delenv("JOB_PLUGIN")
    third = stage(project / "job.py", out=out)
    assert not third.cached  # unset is a value too
    assert "plug_a.py" in third.shipped


def test_a_script_that_reads_the_whole_environment_is_never_reused(tmp_path):
    project = tmp_path / "copies"
    write(
        project / "job.py",
        """
        import os

        import apache_beam as beam

        settings = dict(os.environ)

        with beam.Pipeline() as p:
            _ = p | beam.Create([len(settings)])
        """,
    )
    stage(project / "job.py", out=tmp_path / "out")
    assert not stage(project / "job.py", out=tmp_path / "out").cached


# ---------------------------------------------------------------------------- 15. full disk
FULL_DISK = """
import json, os, shutil, subprocess, sys
from pathlib import Path

project, previous, work = map(Path, sys.argv[1:4])

def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes().hex()
            for p in sorted(root.rglob("*")) if p.is_file()}

disk = work / "disk"
disk.mkdir()
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "none", str(disk)], check=True)
out = disk / "out"
shutil.copytree(previous, out)
with open(out / "requirements.txt", "a") as f:  # edited: the cache must copy its own again
    f.write("# edited\\n")
before = tree(out)
fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    pass
os.close(fd)
results = []
for cache in (["--no-cache"], []):  # built afresh, and copied from the stage cache
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "stage", "pipeline.py", "--out", str(out),
         *cache], cwd=project, capture_output=True, text=True)
    leftovers = sorted(p.name for p in disk.iterdir())
    results.append([proc.returncode, proc.stderr, tree(out) == before, leftovers])
print(json.dumps(results))
"""


def test_a_full_disk_under_out_is_one_line_and_keeps_out(tmp_path):
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        pytest.skip("no unprivileged mount namespace here (unshare -rm)")
    project = copy_fixture("loose", tmp_path)
    previous = tmp_path / "previous"
    env = {"PYTHONPATH": str(Path(__file__).parents[1])}
    # Staged by the same command as below, so the second run below is a cache hit.
    assert cli("stage", "pipeline.py", "--out", str(previous), cwd=project, env=env).returncode == 0
    proc = subprocess.run(
        [unshare, "-rm", sys.executable, "-c", FULL_DISK, str(project), str(previous),
         str(tmp_path)],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh, from_cache = json.loads(proc.stdout.strip().splitlines()[-1])
    for code, stderr, kept, leftovers in (fresh, from_cache):
        assert code == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in stderr, stderr
        assert lines[0].startswith("beam-deps: error: cannot write ")
        assert "No space left on device" in lines[0]
        assert kept
        assert leftovers == ["filler", "out"]
