"""Worker targets: the worker model each runner gets, and check against Beam's SDK image.

Nothing is submitted: DataflowRunner options only choose the worker model. The SDK image's
package list is beam-deps' own data (``beam_deps/environment/images``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap

import apache_beam
import pytest

from beam_deps.check import check_script
from beam_deps.cli import main
from beam_deps.environment import images
from beam_deps.environment.workers import runner_starts_image, worker_model

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
IMAGE = f"apache/beam_python{PY}_sdk:{apache_beam.__version__}"
DATAFLOW = [
    "--runner=DataflowRunner",
    "--project=my-proj-123",
    "--region=us-central1",
    "--temp_location=gs://my-bucket-123/tmp",
]

SCRIPT = """
import apache_beam as beam
import yaml


class Parse(beam.DoFn):
    def process(self, html):
        import bs4
        import pandas
        import sqlalchemy

        yield pandas.DataFrame([bs4.BeautifulSoup(html, "html.parser").text]), sqlalchemy


class Table(beam.DoFn):
    def process(self, rows):
        import tabulate

        yield tabulate.tabulate(rows)


def run(argv=None):
    with beam.Pipeline(argv=argv) as p:
        lines = p | beam.Create(["<p>x</p>"])
        lines | "parse" >> beam.ParDo(Parse())
        lines | "table" >> beam.ParDo(Table())
        lines | "dump" >> beam.Map(yaml.safe_dump)


if __name__ == "__main__":
    run()
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "job.py"
    path.write_text(textwrap.dedent(SCRIPT))
    return path


def _missing(report) -> set[str]:
    return {d.extra.get("module") for d in report.diagnostics if d.code in ("BD401", "BD403")}


def test_dataflow_workers_have_the_sdk_image_packages(script):
    report = check_script(script, argv=DATAFLOW)
    # pandas, bs4 and sqlalchemy are in Beam's image (not installed here); tabulate is not
    assert _missing(report) == {"tabulate"}
    assert report.worker["kind"] == "sdk-image"
    assert report.worker["image"] == IMAGE


def test_a_named_worker_image_gets_that_image_model(script):
    report = check_script(script, worker_image=IMAGE)
    assert _missing(report) == {"tabulate"}
    assert report.worker["label"] == f"SDK container image {IMAGE}"


def test_a_version_differing_from_the_image_is_said_with_both_versions(script):
    from importlib.metadata import version

    here = version("pyyaml")
    there = images.packages(apache_beam.__version__, PY)["pyyaml"]
    report = check_script(script, argv=DATAFLOW)
    said = [d for d in report.diagnostics if d.code == "BD410" and "yaml" in d.message]
    if here == there:
        assert not said
    else:
        assert len(said) == 1
        assert f"PyYAML=={there}" in said[0].message and here in said[0].message


def test_local_workers_see_the_local_environment(script):
    report = check_script(script)  # DirectRunner: local worker processes
    assert {"bs4", "sqlalchemy", "tabulate"} <= _missing(report)
    # pandas is apache-beam's `dataframe` extra: on a local worker when installed here
    # (tests/test_worker_model_local.py)
    assert ("pandas" in _missing(report)) == (importlib.util.find_spec("pandas") is None)
    assert report.worker["kind"] == "local"


def test_worker_requirements_win_over_the_image(script, tmp_path):
    freeze = tmp_path / "freeze.txt"
    freeze.write_text(f"apache-beam=={apache_beam.__version__}\npyyaml\n")
    report = check_script(script, argv=DATAFLOW, worker_requirements=str(freeze))
    assert {"pandas", "bs4", "sqlalchemy", "tabulate"} <= _missing(report)
    assert report.worker["kind"] == "freeze"


def test_an_unknown_image_is_said_once_with_the_nearest_model(script):
    report = check_script(script, worker_image=f"apache/beam_python{PY}_sdk:2.99.0")
    notes = [d for d in report.diagnostics if d.code == "BD415"]
    assert len(notes) == 1 and "--worker-requirements" in notes[0].message
    assert _missing(report) == {"tabulate"}


def test_json_output_names_the_worker_model(script, capsys):
    code = main(["check", "--format", "json", str(script), "--", *DATAFLOW])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # tabulate is missing on the worker
    assert data["worker"]["image"] == IMAGE


@pytest.mark.parametrize(
    ("options", "image"),
    [
        ({"runner": "DataflowRunner"}, True),
        ({"runner": "apache_beam.runners.dataflow.DataflowRunner"}, True),
        ({"runner": "PortableRunner"}, True),
        ({"runner": "PortableRunner", "environment_type": "DOCKER"}, True),
        ({"runner": "PortableRunner", "environment_type": "EXTERNAL"}, False),
        ({"runner": "PortableRunner", "environment_type": "LOOPBACK"}, False),
        ({"runner": "PortableRunner", "environment_type": "PROCESS"}, False),
        (
            {
                "runner": "PortableRunner",
                "environment_type": "beam:env:harness_subprocess_python:v1",
            },
            False,
        ),
        ({"runner": "FlinkRunner", "flink_master": "[auto]"}, False),
        ({"runner": "FlinkRunner", "flink_master": "flink:8081"}, True),
        ({"runner": "DirectRunner"}, False),
        ({"runner": "PrismRunner"}, False),
        ({}, False),
    ],
)
def test_which_runner_starts_the_sdk_image(options, image):
    assert runner_starts_image(options) is image


def test_every_shipped_model_has_beams_image_packages():
    assert {("2.61.0", "3.10"), ("2.65.0", "3.12"), ("2.69.0", "3.13"), ("2.77.0", "3.13")} <= set(
        images.known()
    )
    for beam, python in images.known():
        packages = images.packages(beam, python)
        assert packages["apache-beam"] == beam
        for name in (
            "pandas",
            "beautifulsoup4",
            "sqlalchemy",
            "scikit-learn",
            "google-cloud-bigquery",
        ):
            assert name in packages, (beam, python, name)
        assert "tabulate" not in packages


def test_the_default_model_follows_the_installed_beam_and_python():
    model = worker_model({"runner": "DataflowRunner"})
    assert model.image == IMAGE and model.model == (apache_beam.__version__, PY)
    assert not model.notes
    older = worker_model({"runner": "DataflowRunner"}, beam_version="2.62.5", python="3.12")
    assert older.model == ("2.62.0", "3.12") and len(older.notes) == 1


def test_a_beam_older_than_2_61_is_one_line_and_exit_2(script, capsys, monkeypatch):
    monkeypatch.setattr(apache_beam, "__version__", "2.60.0")
    assert main(["check", str(script)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apache-beam 2.60.0 is installed" in err[0] and ">=2.61.0" in err[0]


def test_no_beam_is_one_line_and_exit_2(script, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "apache_beam", None)  # `import apache_beam` raises
    assert main(["stage", str(script), "--out", str(script.parent / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apache-beam is not installed" in err[0]
    assert not (script.parent / "out").exists()


STAGED = """
import apache_beam as beam
import requests
import yaml


def run(argv=None):
    with beam.Pipeline(argv=argv) as p:
        p | beam.Create([{"a": 1}]) | beam.Map(yaml.safe_dump) | beam.Map(requests.utils.quote)


if __name__ == "__main__":
    run()
"""


def test_stage_for_dataflow_leaves_out_what_the_image_has(tmp_path, monkeypatch):
    """The image's packages at your version are not staged; a differing one is pinned to
    yours, with a warning that says both versions."""
    from importlib.metadata import version

    from beam_deps.staging.stage import stage

    monkeypatch.setenv("BEAM_DEPS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "job").mkdir()
    script = tmp_path / "job" / "job.py"
    script.write_text(STAGED)
    image = images.packages(apache_beam.__version__, PY)
    here = {name: version(name) for name in ("pyyaml", "requests")}
    for_image = stage(script, out=tmp_path / "dataflow", pipeline_args=DATAFLOW, progress=None)
    lines = {line.split("==")[0].lower(): line for line in for_image.requirements}
    for name in ("pyyaml", "requests"):
        if image.get(name) == here[name]:
            assert name not in lines, lines
        else:
            assert lines[name].endswith(f"=={here[name]}")
            (warning,) = [
                d for d in for_image.diagnostics if d.code == "BD410" and name in d.message.lower()
            ]
            assert image[name] in warning.message
    # local workers: both are apache-beam dependencies, installed here at these versions
    local = stage(script, out=tmp_path / "direct", progress=None)
    assert not {"pyyaml", "requests"} & {r.split("==")[0].lower() for r in local.requirements}


DEFAULT_PICKLER = """
import apache_beam as beam

FACTOR = 3


class Scale(beam.DoFn):
    def process(self, x):
        yield x * FACTOR


def run(argv=None):
    with beam.Pipeline(argv=argv) as p:
        p | beam.Create([1]) | beam.ParDo(Scale())


if __name__ == "__main__":
    run()
"""


def test_the_default_pickler_of_the_installed_beam_decides_nameerror(tmp_path):
    """Beam 2.61-2.64 pickle with dill by default: a script class reading a script global
    fails on the worker with NameError; from 2.65 (cloudpickle) the same script is clean."""
    from beam_deps.beam import profile

    script = tmp_path / "scale.py"
    script.write_text(DEFAULT_PICKLER)
    report = check_script(script)
    undefined = [d for d in report.diagnostics if d.code == "BD201"]
    if profile().default_library == "dill":
        assert len(undefined) == 1 and "'FACTOR'" in undefined[0].message
    else:
        assert not undefined and report.ok
