"""What BD201 says about ``__main__.X`` reads in worker code (a value the script set on its
own ``__main__`` at launch, spotify/klio's RunConfig) and what it leaves alone. The real runs
are tests/examples/elements_main_setting*.py in test_accuracy_elements.py."""

from __future__ import annotations

import textwrap

import pytest

from beam_deps.check import check_script

SCRIPT = """\
import __main__
import sys
import apache_beam as beam

def settings():
{body}

__main__.config = {{"minimum": 2}}
with beam.Pipeline(argv=sys.argv[1:]) as p:
    p | beam.Create([1, 2, 3]) | beam.Filter(lambda x: x >= settings()["minimum"])
"""


def _bd201(tmp_path, body):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT.format(body=textwrap.indent(textwrap.dedent(body), "    ")))
    report = check_script(script, argv=["--pickle_library=cloudpickle"])
    return [d.message for d in report.diagnostics if d.code == "BD201"]


@pytest.mark.parametrize(
    "body, words",
    [
        ("return __main__.config", "has no attribute 'config'"),
        (
            'if not hasattr(__main__, "config"):\n    raise RuntimeError("unset")\n'
            "return __main__.config",
            "your code's own check that it is there fails on the worker",
        ),
    ],
    ids=["read", "checked-then-raises"],
)
def test_a_value_set_on_main_at_launch(tmp_path, body, words):
    (message,) = _bd201(tmp_path, body)
    assert "reads __main__.config" in message and words in message


@pytest.mark.parametrize(
    "body",
    [
        'if hasattr(__main__, "config"):\n    return __main__.config\nreturn {"minimum": 0}',
        "return {'minimum': len(__main__.json.dumps([]))}",  # sdk_worker_main imports json
        # an unrelated raise does not make the fallback fail
        'if not sys.argv:\n    raise RuntimeError("no argv")\n'
        'return __main__.config if hasattr(__main__, "config") else {"minimum": 0}',
        'try:\n    return __main__.config\nexcept AttributeError:\n    return {"minimum": 0}',
    ],
    ids=["fallback", "worker-main-has-it", "unrelated-raise", "except"],
)
def test_nothing_claimed(tmp_path, body):
    assert _bd201(tmp_path, body) == []
