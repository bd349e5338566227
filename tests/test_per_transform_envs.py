"""Per-transform environments (beam_deps.split): two transforms that need incompatible packages
run in one pipeline, each in its own environment.

The unit tests build real Beam pipelines and read the proto the PortableRunner would submit and
the stages Beam's own fusion makes of it. The slow tests run the pipeline on a real worker pool
booted by beam-deps-boot (the embedded job server serves each environment its own artifacts):
one DoFn requires mergedeep==1.3.4, another mergedeep==1.3.1, and each writes the version it
imported; the same pipeline without beam-deps fails with the conflict on the same workers.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import apache_beam as beam
import boot_support as bs
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.portability.fn_api_runner import translations
from apache_beam.runners.portability.portable_runner import PortableRunner

import beam_deps
from beam_deps.environment.groups import Group, Needs, declared_by_transform, group
from beam_deps.errors import UsageError
from beam_deps.split import use_environments
from beam_deps.split.hook import requirements_for
from beam_deps.split.proto import PREFIX, environments_of

PORTABLE = [
    "--runner=PortableRunner",
    "--job_endpoint=embed",
    "--environment_type=EXTERNAL",
    "--environment_config=localhost:1",  # nothing is submitted in the unit tests
    "--requirements_cache=skip",  # no pip download while the proto is built
]


@beam_deps.requires("mergedeep==1.3.4")
class New(beam.DoFn):
    def process(self, word):
        yield word


@beam_deps.requires("mergedeep==1.3.1")
class Old(beam.DoFn):
    def process(self, word):
        yield word


@beam_deps.requires("tabulate==0.9.0")
def tab(word):
    return word


@beam_deps.requires("six==1.16.0")
class Both(beam.PTransform):
    """A decorated composite: its declaration covers every transform inside it."""

    def expand(self, pcoll):
        return pcoll | "Inner" >> beam.Map(str.upper) | "Tab" >> beam.Map(tab)


def chain(options: list[str]) -> beam.Pipeline:
    """Create -> Upper -> New -> Old -> Lower: without environments, one fused stage."""
    p = beam.Pipeline(options=PipelineOptions(options))
    (
        p
        | beam.Create(["alpha", "beta"])
        | "Upper" >> beam.Map(str.upper)
        | "New" >> beam.ParDo(New())
        | "Old" >> beam.ParDo(Old())
        | "Lower" >> beam.Map(str.lower)
    )
    return p


def portable_proto(p: beam.Pipeline) -> beam_runner_api_pb2.Pipeline:
    """The proto the PortableRunner submits (what the job service receives)."""
    return PortableRunner.get_proto_pipeline(p, p.options)


def fused_stages(proto) -> list[tuple[str, list[str]]]:
    """(environment, transform labels) of each stage Beam's fusion makes of ``proto``."""
    known = frozenset(
        [
            common_urns.primitives.IMPULSE.urn,
            common_urns.primitives.GROUP_BY_KEY.urn,
            common_urns.primitives.FLATTEN.urn,
        ]
    )
    _, stages = translations.create_and_optimize_stages(
        proto, translations.standard_optimize_phases(), known_runner_urns=known
    )
    return [(s.environment or "", sorted(t.unique_name for t in s.transforms)) for s in stages]


# ------------------------------------------------------------------ who needs what


def test_declarations_are_found_on_dofns_functions_and_composites():
    p = beam.Pipeline(options=PipelineOptions(PORTABLE))
    words = p | beam.Create(["a"])
    words | "New" >> beam.ParDo(New())
    words | "Tabbed" >> beam.Map(tab)
    words | "Both" >> Both()
    words | "Plain" >> beam.Map(str.lower)
    assert declared_by_transform(p) == {
        "New": Needs(("mergedeep==1.3.4",)),
        "Tabbed": Needs(("tabulate==0.9.0",)),
        "Both/Inner": Needs(("six==1.16.0",)),
        "Both/Tab": Needs(("six==1.16.0", "tabulate==0.9.0")),
    }


def test_compatible_declarations_share_a_group_and_conflicting_ones_do_not():
    groups = group(
        {
            "New": ("mergedeep==1.3.4",),
            "Tab": ("tabulate==0.9.0",),
            "Old": ("mergedeep==1.3.1",),
            "Older": ("mergedeep<1.3.2",),
        }
    )
    assert groups == [
        Group(
            "mergedeep-1.3.4_tabulate-0.9.0",
            ("mergedeep==1.3.4", "tabulate==0.9.0"),
            ("New", "Tab"),
        ),
        Group("mergedeep-1.3.1", ("mergedeep==1.3.1", "mergedeep<1.3.2"), ("Old", "Older")),
    ]


def test_a_transform_that_conflicts_with_the_pipeline_level_declarations_is_left_to_bd409():
    groups = group(
        {"New": ("mergedeep==1.3.4",), "Old": ("mergedeep==1.3.1",)}, base=["mergedeep>=1.3.2"]
    )
    assert [(g.name, g.transforms) for g in groups] == [("mergedeep-1.3.4", ("New",))]


def test_group_names_are_unique_and_file_safe():
    groups = group({"A": ("pkg[extra]>=1; python_version>'3'",), "B": ("pkg<1",)})
    names = [g.name for g in groups]
    assert len(set(names)) == 2
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-_") for n in names), names


def test_a_group_environment_replaces_the_pipelines_lines_for_what_it_declares(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("mergedeep==1.3.4\nrequests==2.32.3  # comment\n")
    setup = PipelineOptions([f"--requirements_file={req}"]).view_as(
        beam.options.pipeline_options.SetupOptions
    )
    old = Group("mergedeep-1.3.1", ("mergedeep==1.3.1",), ("Old",))
    assert requirements_for(old, setup, base=["six==1.16.0"]) == [
        "requests==2.32.3",
        "six==1.16.0",
        "mergedeep==1.3.1",
    ]


# ------------------------------------------------------------------ the proto and fusion


def test_each_group_gets_a_clone_of_the_default_environment_with_its_own_dependencies():
    p = chain(PORTABLE)
    assert use_environments(p) is True
    proto = portable_proto(p)
    envs = environments_of(proto)
    assert envs[PREFIX + "mergedeep-1.3.4"] == ["New"]
    assert envs[PREFIX + "mergedeep-1.3.1"] == ["Old"]
    (default_id,) = [e for e in envs if not e.startswith(PREFIX)]
    assert "Upper" in envs[default_id] and "Lower" in envs[default_id]
    default = proto.components.environments[default_id]
    for name, pin in (
        ("mergedeep-1.3.4", b"mergedeep==1.3.4"),
        ("mergedeep-1.3.1", b"mergedeep==1.3.1"),
    ):
        clone = proto.components.environments[PREFIX + name]
        # the same worker (urn, payload, capabilities): only the dependencies differ
        assert (clone.urn, clone.payload) == (default.urn, default.payload)
        assert list(clone.capabilities) == list(default.capabilities)
        requirements = [d for d in clone.dependencies if _staged_name(d) == "requirements.txt"]
        assert len(requirements) == 1
        path = beam_runner_api_pb2.ArtifactFilePayload.FromString(requirements[0].type_payload).path
        assert open(path, "rb").read().splitlines() == [pin]
    assert "requirements.txt" not in [_staged_name(d) for d in default.dependencies]
    # only a runner's serialisation (with its default environment) is split, never the
    # to_runner_api() that check and stage call to read the payloads
    assert not [e for e in environments_of(p.to_runner_api()) if e.startswith(PREFIX)]


def test_fusion_never_joins_transforms_of_two_environments():
    plain = chain(PORTABLE)
    (only,) = [labels for env, labels in fused_stages(portable_proto(plain)) if "New" in labels]
    assert {"Upper", "New", "Old", "Lower"} <= set(only)  # control: one stage without the split

    split = chain(PORTABLE)
    use_environments(split)
    stages = fused_stages(portable_proto(split))
    where = {label: env for env, labels in stages for label in labels}
    assert where["New"] == PREFIX + "mergedeep-1.3.4"
    assert where["Old"] == PREFIX + "mergedeep-1.3.1"
    assert where["Upper"] == where["Lower"] not in (where["New"], where["Old"])
    for env, labels in stages:
        assert not ({"New", "Old"} <= set(labels)), (env, labels)


def test_no_conflict_means_no_split_unless_asked():
    def pipeline():
        p = beam.Pipeline(options=PipelineOptions(PORTABLE))
        p | beam.Create(["a"]) | "New" >> beam.ParDo(New()) | "Tab" >> beam.Map(tab)
        return p

    quiet = pipeline()
    use_environments(quiet)
    assert not [e for e in environments_of(portable_proto(quiet)) if e.startswith(PREFIX)]

    asked = pipeline()
    use_environments(asked, always=True)
    envs = environments_of(portable_proto(asked))
    assert envs[PREFIX + "mergedeep-1.3.4_tabulate-0.9.0"] == ["New", "Tab"]


def test_dataflow_is_refused_with_one_line_unless_the_experimental_opt_in():
    options = [
        "--runner=DataflowRunner",
        "--project=my-project-123",
        "--region=us-central1",
        "--temp_location=gs://my-bucket/tmp",
    ]
    with pytest.raises(UsageError, match="not supported on Dataflow") as info:
        use_environments(chain(options))
    assert "\n" not in str(info.value)
    assert use_environments(chain(options), experimental_dataflow=True) is True


def test_runners_without_per_environment_workers_are_left_alone_with_a_warning(caplog):
    p = chain(["--runner=DirectRunner"])
    with caplog.at_level(logging.WARNING, logger="beam_deps.split"):
        assert use_environments(p) is False
    assert "no effect on" in caplog.text
    assert not [e for e in environments_of(p.to_runner_api()) if e.startswith(PREFIX)]


def _staged_name(dep) -> str:
    if dep.role_urn != common_urns.artifact_roles.STAGING_TO.urn:
        return ""
    return beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(dep.role_payload).staged_name


# ------------------------------------------------------------------ on a real worker pool

# The pipeline the dependencies page shows (snippets/deps/environments.py): two DoFns, each
# writing the mergedeep version it imported, and the one-line hook for `python pipeline.py`.
SNIPPET = Path(__file__).resolve().parents[1] / "snippets" / "deps" / "environments.py"
HOOK = "        beam_deps.split.use_environments(p)  # only needed for `python pipeline.py`\n"

EXPECTED = [
    "new alpha mergedeep==1.3.4",
    "new beta mergedeep==1.3.4",
    "old alpha mergedeep==1.3.1",
    "old beta mergedeep==1.3.1",
]


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> bs.Assets:
    return bs.assets(tmp_path_factory.getbasetemp() / "boot-assets")


@pytest.fixture(scope="module")
def pool(assets, tmp_path_factory):
    with bs.running_pool(assets, tmp_path_factory.mktemp("split-pool")) as worker_pool:
        yield worker_pool


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The page's pipeline as is (``hooked.py``) and without the hook line, i.e. without
    anything of beam-deps at run time (``two_versions.py``)."""
    root = tmp_path_factory.mktemp("split-project")
    text = SNIPPET.read_text()
    assert HOOK in text
    (root / "hooked.py").write_text(text)
    (root / "two_versions.py").write_text(text.replace(HOOK, ""))
    return root


def _submit(cmd: list[str], project, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=str(project), env=bs.clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_each_dofn_imports_its_own_version_on_real_workers(pool, project, tmp_path):
    """``python -m beam_deps.split`` (how ``beam-deps run`` starts an unchanged script)."""
    out = tmp_path / "out"
    mark = pool.mark()
    proc = _submit(
        [
            sys.executable,
            "-m",
            "beam_deps.split",
            str(project / "two_versions.py"),
            f"--output={out}",
        ]
        + bs.portable_args(pool),
        project,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert bs.read_outputs(out) == EXPECTED
    log = pool.log_since(mark)
    installed = [ln for ln in log.splitlines() if "beam-deps-boot[" in ln and "installed " in ln]
    assert any("mergedeep==1.3.4" in ln for ln in installed), log[-3000:]
    assert any("mergedeep==1.3.1" in ln for ln in installed), log[-3000:]


@pytest.mark.slow
def test_the_python_hook_does_the_same_for_python_pipeline_py(pool, project, tmp_path):
    out = tmp_path / "out"
    proc = _submit(
        [sys.executable, str(project / "hooked.py"), f"--output={out}"] + bs.portable_args(pool),
        project,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert bs.read_outputs(out) == EXPECTED


@pytest.mark.slow
def test_without_beam_deps_the_same_pipeline_fails_with_the_conflict(pool, project, tmp_path):
    """What a user does without per-transform environments: one requirements file with both
    pins. No single environment can hold them, and the workers cannot start."""
    both = tmp_path / "requirements.txt"
    both.write_text("mergedeep==1.3.4\nmergedeep==1.3.1\n")
    out = tmp_path / "out"
    proc = _submit(
        [sys.executable, str(project / "two_versions.py"), f"--output={out}"]
        + bs.portable_args(pool, f"--requirements_file={both}"),
        project,
    )
    assert proc.returncode != 0
    # Beam 2.77's stager downloads the lines one by one and the workers' installer refuses;
    # Beam 2.61's stager already refuses at submission (pip download of the whole file)
    at_boot = "Because you require mergedeep==1.3.4 and mergedeep==1.3.1, we can conclude"
    at_submission = "Cannot install mergedeep==1.3.1 and mergedeep==1.3.4"
    assert at_boot in proc.stderr or at_submission in proc.stderr, proc.stderr[-3000:]
    assert bs.read_outputs(out) == []


def test_the_launcher_turns_the_dataflow_refusal_into_one_line_and_exit_2(tmp_path):
    script = tmp_path / "p.py"
    script.write_text(
        textwrap.dedent(
            """
            import apache_beam as beam
            from apache_beam.options.pipeline_options import PipelineOptions
            p = beam.Pipeline(options=PipelineOptions(
                ["--runner=DataflowRunner", "--project=my-project-123",
                 "--region=us-central1", "--temp_location=gs://my-bucket/tmp"]))
            p | beam.Create([1])
            p.run()
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.split", str(script)],
        capture_output=True,
        text=True,
        env=bs.clean_env(),
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("beam-deps:")]
    assert len(lines) == 1 and "not supported on Dataflow" in lines[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_own_environment_keeps_a_transform_apart_even_without_a_conflict():
    @beam_deps.requires("tabulate==0.9.0", own_environment=True)
    class Apart(beam.DoFn):
        def process(self, word):
            yield word

    p = beam.Pipeline(options=PipelineOptions(PORTABLE))
    words = p | beam.Create(["a"])
    words | "New" >> beam.ParDo(New())
    words | "Apart" >> beam.ParDo(Apart())
    words | "Tab" >> beam.Map(tab)  # the same declaration, but not asked to be apart
    declared = declared_by_transform(p)
    assert declared["Apart"] == Needs(("tabulate==0.9.0",), own=True)
    groups = group(declared)
    assert [(g.transforms, g.own) for g in groups] == [
        (("New", "Tab"), False),
        (("Apart",), True),
    ]
    use_environments(p)
    envs = environments_of(portable_proto(p))
    assert envs[PREFIX + "tabulate-0.9.0"] == ["Apart"]
    assert envs[PREFIX + "mergedeep-1.3.4_tabulate-0.9.0"] == ["New", "Tab"]


# ------------------------------------------------------------------ staging one folder per group


def test_a_group_environment_keeps_the_default_pins_and_resolves_its_own_declarations():
    """pip resolves the group's declarations against the kept lines and the worker image:
    the declared version replaces the default's pin, its dependencies are added unless the
    image already has them at that version."""
    from beam_deps.environment.distributions import WorkerImage
    from beam_deps.staging.environments import resolve

    base = ["mergedeep==1.3.4", "tabulate==0.9.0"]
    assert resolve(["mergedeep==1.3.1"], base) == ["mergedeep==1.3.1", "tabulate==0.9.0"]

    alone = resolve(["python-dateutil==2.8.2"], base)
    assert "python-dateutil==2.8.2" in alone and any(x.startswith("six==") for x in alone)
    image = WorkerImage({"six": "1.16.0"}, "test image")
    on_image = resolve(["python-dateutil==2.8.2"], base, image)
    assert on_image == ["mergedeep==1.3.4", "python-dateutil==2.8.2", "tabulate==0.9.0"]


def test_stage_writes_one_folder_per_environment_listed_in_one_manifest(project, tmp_path):
    """The group whose requirements equal the default environment's stays there; the other
    gets environments/<name>/ with its own requirements, wheelhouse and manifest."""
    out = tmp_path / "staging"
    args = ["--", "--runner=PortableRunner", "--job_endpoint=embed",
            "--environment_type=EXTERNAL", "--environment_config=localhost:1"]  # fmt: skip
    cmd = [sys.executable, "-m", "beam_deps.cli", "stage", "two_versions.py", "--out", str(out)]
    env = bs.clean_env(BEAM_DEPS_CACHE_DIR=str(tmp_path / "cache"))
    # a runner that starts no workers per environment: the conflict stays BD409, nothing staged
    direct = subprocess.run(
        cmd + ["--", "--runner=DirectRunner"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert direct.returncode == 1 and "BD409" in direct.stderr, direct.stderr[-3000:]
    assert not out.exists()
    for extra in (["--wheelhouse"], ["--wheelhouse", "--no-cache"]):  # again into the same --out
        proc = subprocess.run(
            cmd + extra + args, cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert "environment   environments/mergedeep-1.3.1/ mergedeep-1.3.1: Old" in proc.stdout
    assert f"python -m beam_deps.split --staging {out} two_versions.py" in proc.stdout
    data = json.loads((out / "beam_deps_manifest.json").read_text())
    envs = data["environments"]
    assert envs["mergedeep-1.3.4"] == {
        "default": True,
        "declared": ["mergedeep==1.3.4"],
        "transforms": ["New"],
        "requirements": ["mergedeep==1.3.4"],
    }
    old = envs["mergedeep-1.3.1"]
    assert (old["path"], old["transforms"]) == ("environments/mergedeep-1.3.1", ["Old"])
    folder = out / old["path"]
    assert (folder / "requirements.txt").read_text() == "mergedeep==1.3.1\n"
    inner = json.loads((folder / "beam_deps_manifest.json").read_text())
    assert inner["environment_key"] == old["environment_key"] != data["environment_key"]
    assert sorted(a["path"] for a in inner["artifacts"]) == [
        "requirements.txt",
        "wheelhouse/mergedeep-1.3.1-py3-none-any.whl",
    ]
    # the default environment's own files are untouched by the split
    assert (out / "requirements.txt").read_text() == "mergedeep==1.3.4\n"
    assert [a["path"] for a in data["artifacts"] if a["role"] == "wheelhouse"] == [
        "wheelhouse/mergedeep-1.3.4-py3-none-any.whl"
    ]


@pytest.mark.slow
def test_beam_deps_run_gives_each_dofn_its_version_on_real_workers(pool, project, tmp_path):
    """The whole path: stage (one folder per environment, offline wheels), check, then run the
    unchanged script through beam_deps.split; the workers of each environment boot from that
    environment's manifest."""
    out = tmp_path / "out"
    mark = pool.mark()
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "run", "two_versions.py", "--wheelhouse"]
        + ["--out", str(tmp_path / "staging"), "--", f"--output={out}"]
        + bs.portable_args(pool),
        cwd=str(project),
        env=bs.clean_env(BEAM_DEPS_CACHE_DIR=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert bs.read_outputs(out) == EXPECTED
    assert "beam-deps: environment mergedeep-1.3.1 (mergedeep==1.3.1) for Old" in proc.stderr
    assert "beam-deps: the default environment (mergedeep==1.3.4) for New" in proc.stderr
    assert "-m beam_deps.split --staging" in proc.stderr
    log = pool.log_since(mark)
    installed = [ln for ln in log.splitlines() if "beam-deps-boot[" in ln and "installed " in ln]
    assert any("mergedeep==1.3.1" in ln for ln in installed), log[-3000:]
    assert not any("from the package index" in ln for ln in log.splitlines()), log[-3000:]


@pytest.mark.parametrize(
    ("argv", "splits"),
    [
        (["--runner=PortableRunner", "--environment_type=EXTERNAL"], True),
        (["--runner=FlinkRunner"], True),  # DOCKER by default
        (["--runner=apache_beam.runners.portability.spark_runner.SparkRunner"], True),
        (["--runner=PortableRunner", "--environment_type=LOOPBACK"], False),
        (["--runner=DirectRunner"], False),
        ([], False),  # the DirectRunner
        (["--runner=DataflowRunner"], False),
    ],
)
def test_only_runners_with_workers_per_environment_split_at_staging(argv, splits):
    from beam_deps.environment.groups import runner_splits, split_groups

    assert runner_splits(argv) is splits
    declared = {"New": Needs(("mergedeep==1.3.4",)), "Old": Needs(("mergedeep==1.3.1",))}
    assert bool(split_groups(declared, (), argv)) is splits


def test_the_experimental_dataflow_mode_makes_every_staged_name_unique(tmp_path):
    """Dataflow stages all environments' files into one folder by name: with the opt-in each
    environment's names carry its group, so two requirements.txt cannot overwrite each other."""
    from beam_deps.split.hook import dependencies

    options = PipelineOptions(["--requirements_cache=skip", "--sdk_location=container"])
    names = {}
    for g in group({"New": ("mergedeep==1.3.4",), "Old": ("mergedeep==1.3.1",)}):
        deps = dependencies(options, g, None, (), str(tmp_path / g.name), unique_names=True)
        names[g.name] = sorted(_staged_name(d) for d in deps if _staged_name(d))
    assert "mergedeep-1.3.1--requirements.txt" in names["mergedeep-1.3.1"]
    assert "mergedeep-1.3.4--requirements.txt" in names["mergedeep-1.3.4"]
    assert not set(names["mergedeep-1.3.1"]) & set(names["mergedeep-1.3.4"])


def test_the_default_environment_keeps_the_first_groups_declarations():
    from beam_deps.environment.declarations import Declaration
    from beam_deps.environment.groups import default_declarations

    groups = group({"New": ("mergedeep==1.3.4",), "Old": ("mergedeep==1.3.1", "tabulate")})
    declared = [
        Declaration("six==1.16.0", "pipeline"),
        Declaration("mergedeep==1.3.4", "__main__.New"),
        Declaration("mergedeep==1.3.1", "__main__.Old"),
        Declaration("tabulate", "__main__.Old"),
    ]
    kept = [d.requirement for d in default_declarations(declared, groups)]
    assert kept == ["six==1.16.0", "mergedeep==1.3.4"]


def test_check_judges_each_transform_by_its_own_environment(project, tmp_path):
    """`run`'s check runs the simulated worker once per staged environment: a transform
    placed in an environment that lacks what it imports is reported there (with the
    environment's name), though the default environment has it."""
    from beam_deps.check.environments import check_environments
    from beam_deps.staging import manifest
    from beam_deps.staging.result import beam_args

    out = tmp_path / "staging"
    bare = out / "environments" / "bare"
    bare.mkdir(parents=True)

    def environment(folder: Path, lines: list[str]) -> dict:
        (folder / "requirements.txt").write_text("".join(f"{x}\n" for x in lines))
        files = [manifest.artifact(folder, folder / "requirements.txt", "requirements")]
        data = manifest.build(
            artifacts=files, requirements=lines, pickle_library="cloudpickle",
            beam_version=beam.__version__, inputs={},
        )  # fmt: skip
        manifest.write(folder, data)
        return data

    inner = environment(bare, ["six==1.16.0"])  # no mergedeep, which Old imports
    top = environment(out, ["mergedeep==1.3.4"])
    top["environments"] = {
        "mergedeep-1.3.4": {"default": True, "declared": [], "transforms": ["New"]},
        "bare": {
            "path": "environments/bare",
            "environment_key": inner["environment_key"],
            "declared": [],
            "transforms": ["Old"],
        },
    }
    manifest.write(out, top)
    default_args = beam_args(out, [manifest.Artifact(**a) for a in top["artifacts"]])
    # workers in containers: a local worker would import mergedeep from this interpreter
    argv = ["--runner=PortableRunner", "--environment_type=DOCKER",
            f"--output={tmp_path / 'o'}"]  # fmt: skip
    script = project / "two_versions.py"
    report = check_environments(script, out, argv=argv, default_args=default_args)
    found = [(d.code, d.transform, d.extra.get("environment")) for d in report.errors]
    assert found == [("BD401", "Old", "bare")], report.diagnostics
    # the same check with the default environment's options only sees nothing wrong
    from beam_deps.check import check_script

    assert check_script(script, argv=argv + default_args).ok
    # `beam-deps check -- <the options stage printed>` finds the staging by its manifest and
    # checks each environment as run does, from the API and from the command line
    from beam_deps.check.environments import check_script_environments, staged_split

    assert staged_split(argv + default_args) == (out, argv, default_args)
    assert staged_split(argv) is None
    pasted = check_script_environments(script, argv=argv + default_args)
    assert [(d.code, d.transform, d.extra.get("environment")) for d in pasted.errors] == found
    proc = subprocess.run(
        [sys.executable, "-m", "beam_deps.cli", "check", str(script), "--format", "json", "--"]
        + argv
        + default_args,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    shown = [d for d in json.loads(proc.stdout)["diagnostics"] if d["severity"] == "error"]
    assert [(d["code"], d["transform"], d["extra"]["environment"]) for d in shown] == found


def test_check_reports_the_conflict_where_the_runner_cannot_split_it(project):
    """`check` says BD409 as `stage` does (one environment: the DirectRunner, Dataflow); on a
    runner that starts workers per environment the split is what will happen: no BD409."""
    from beam_deps.check import check_script

    script = project / "two_versions.py"
    direct = check_script(script, argv=["--runner=DirectRunner"])
    (conflict,) = [d for d in direct.errors if d.code == "BD409"]
    assert "mergedeep==1.3.4 (__main__.New" in conflict.message
    assert "mergedeep==1.3.1 (__main__.Old" in conflict.message
    assert conflict.file == str(script) and conflict.line == 26  # the second declaration
    portable = check_script(
        script,
        argv=[
            "--runner=PortableRunner",
            "--environment_type=EXTERNAL",
            "--environment_config=localhost:1",
        ],  # fmt: skip
    )
    assert not [d for d in portable.diagnostics if d.code == "BD409"]
