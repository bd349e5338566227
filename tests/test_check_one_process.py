"""Checks run one after another in one process (a notebook, a test suite, the Python API)
see each script as a fresh worker would: what one script changes in Beam's pickler does not
carry over to the next check."""

from __future__ import annotations

import textwrap

from beam_deps.check import check_script

_PIPELINE = """
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

import onelib
{register}

if __name__ == "__main__":
    with beam.Pipeline(options=PipelineOptions(sys.argv[1:])) as p:
        p | beam.Create(["a"]) | beam.Map(onelib.shout)
"""


def test_a_module_registered_by_value_does_not_stay_registered(tmp_path):
    (tmp_path / "onelib.py").write_text("def shout(s):\n    return s.upper()\n")
    registers = tmp_path / "registers.py"
    registers.write_text(
        textwrap.dedent(_PIPELINE).format(
            register="from apache_beam.internal.cloudpickle import cloudpickle\n"
            "cloudpickle.register_pickle_by_value(onelib)"
        )
    )
    plain = tmp_path / "plain.py"
    plain.write_text(textwrap.dedent(_PIPELINE).format(register=""))
    first = check_script(registers, argv=[])
    assert "BD402" not in {d.code for d in first.errors}, first.diagnostics  # by value: shipped
    second = check_script(plain, argv=[])
    assert "BD402" in {d.code for d in second.errors}, second.diagnostics  # not shipped
