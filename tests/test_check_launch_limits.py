"""BD207 for the interpreter's limits and the process-wide generators (check only; the real
runs of the examples are in test_accuracy_state.py): what is reported, and what never is."""

from __future__ import annotations

import random
import sys
import textwrap

import pytest
from test_check_examples import CLOUDPICKLE

from beam_deps.check import check_script

PIPELINE = """
import argparse, random, sys
import numpy as np
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
{top}

def run(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    args, beam_args = parser.parse_known_args(argv)
    {launch}
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        p | beam.Create([1, 2]) | beam.ParDo(Fn()) | beam.io.WriteToText(args.output)

if __name__ == "__main__":
    run()
"""


def _bd207(tmp_path, top: str, launch: str, helper: str | None = None) -> list:
    if helper is not None:
        (tmp_path / "seeding.py").write_text(textwrap.dedent(helper))
    script = tmp_path / "job.py"
    script.write_text(PIPELINE.format(top=textwrap.dedent(top), launch=launch))
    report = check_script(script, argv=[str(tmp_path / "out"), *CLOUDPICKLE])
    return [d for d in report.diagnostics if d.code == "BD207"]


DRAWS = """
class Fn(beam.DoFn):
    def process(self, x):
        yield x + random.random()
"""
NP_DRAWS = """
class Fn(beam.DoFn):
    def process(self, x):
        yield x + float(np.random.rand())
"""
OWN_GENERATOR = """
class Fn(beam.DoFn):
    def setup(self):
        self.rng = random.Random(7)

    def process(self, x):
        yield x + self.rng.random()
"""
SEEDS_IN_SETUP = """
class Fn(beam.DoFn):
    def setup(self):
        random.seed(7)

    def process(self, x):
        yield x + random.random()
"""
RECURSES = """
def walk(n):
    return 0 if n == 0 else 1 + walk(n - 1)

class Fn(beam.DoFn):
    def process(self, x):
        yield walk(x)
"""
METHOD_RECURSES = """
class Fn(beam.DoFn):
    def walk(self, n):
        return 0 if n == 0 else 1 + self.walk(n - 1)

    def process(self, x):
        yield self.walk(x)
"""
FLAT = """
class Fn(beam.DoFn):
    def process(self, x):
        yield x + 1
"""


@pytest.mark.parametrize(
    "top, launch, generator",
    [
        (DRAWS, "random.seed(42)", "random"),
        (DRAWS, "random.seed(a=3)", "random"),
        (NP_DRAWS, "np.random.seed(42)", "numpy.random"),
    ],
    ids=["random", "keyword", "numpy"],
)
def test_a_seed_at_launch_with_worker_draws_is_an_error(tmp_path, top, launch, generator):
    (found,) = _bd207(tmp_path, top, launch)
    assert found.severity.value == "error"
    assert f"draws from {generator}'s process-wide generator" in found.message
    assert found.line and found.transform


@pytest.mark.parametrize(
    "top, launch",
    [
        (DRAWS, "random.seed()"),  # reseeded from the system: nothing to reproduce
        (DRAWS, "random.seed(None)"),
        (FLAT, "random.seed(42)"),  # the worker code draws nothing
        (OWN_GENERATOR, "random.seed(42)"),  # a generator of its own
        (SEEDS_IN_SETUP, "random.seed(42)"),  # seeded on the worker
        (NP_DRAWS, "random.seed(42)"),  # another generator than the one drawn from
        (DRAWS, "import seeding"),  # seeded at import: a worker importing it does too
    ],
    ids=["no-seed", "none", "no-draws", "own-generator", "seeds-in-setup", "other", "import"],
)
def test_no_seed_finding(tmp_path, top, launch):
    helper = "import random\nrandom.seed(42)\n"
    assert _bd207(tmp_path, top, launch, helper=helper) == []


def test_a_helper_seeding_at_launch_is_still_launch(tmp_path):
    """A seeding function of the user's module called from run() runs in this process only."""
    helper = "import random\n\ndef seed_everything(n):\n    random.seed(n)\n"
    (found,) = _bd207(tmp_path, DRAWS, "import seeding; seeding.seed_everything(1)", helper)
    assert "random.seed(1)" in found.message


@pytest.mark.parametrize("top", [RECURSES, METHOD_RECURSES], ids=["function", "method"])
def test_a_raised_recursion_limit_with_recursive_worker_code(tmp_path, top):
    """A warning: how deep the code recurses is the data's, and the limit is often raised at
    launch for pickling a deep object while the worker's recursion stays shallow."""
    (found,) = _bd207(tmp_path, top, "sys.setrecursionlimit(5000)")
    assert found.severity.value == "warning"
    assert "calls itself" in found.message and "RecursionError" in found.message


@pytest.mark.parametrize(
    "top, launch",
    [
        (FLAT, "sys.setrecursionlimit(5000)"),  # nothing recursive on the worker
        (RECURSES, "sys.setrecursionlimit(900)"),  # lowered: it fails here first
    ],
    ids=["not-recursive", "lowered"],
)
def test_no_recursion_finding(tmp_path, top, launch):
    assert _bd207(tmp_path, top, launch) == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="sys.set_int_max_str_digits is 3.11+")
def test_int_digits_lifted_at_launch_is_a_warning(tmp_path):
    """Whether a number of more than 4300 digits is ever made is the data's: ``str(x ** 3)``
    of small numbers runs anywhere (the review's false errors), so a warning."""
    powers = "class Fn(beam.DoFn):\n    def process(self, x):\n        yield str(10 ** x)\n"
    (found,) = _bd207(tmp_path, powers, "sys.set_int_max_str_digits(0)")
    assert found.severity.value == "warning" and "4300 digits" in found.message
    assert _bd207(tmp_path, FLAT, "sys.set_int_max_str_digits(0)") == []  # no text


SHARD_KEY = """
class Fn(beam.DoFn):
    def process(self, x):
        yield random.randint(0, 9), x
"""
SHUFFLED = """
class Fn(beam.DoFn):
    def process(self, x):
        items = [x, x + 1]
        random.shuffle(items)
        yield sorted(items)[0]
"""
DRAWN_LOCAL = """
class Fn(beam.DoFn):
    def process(self, x):
        noise = random.gauss(0, 1)
        yield x + noise
"""


@pytest.mark.parametrize(
    "top, severity",
    [(SHARD_KEY, "warning"), (SHUFFLED, "warning"), (DRAWN_LOCAL, "error")],
    ids=["shard-key", "shuffled", "drawn-local"],
)
def test_a_seed_is_an_error_only_where_the_draw_is_emitted(tmp_path, top, severity):
    """A random shard key (a grouping drops it) or a shuffle before sorting leave the results
    alone: a warning. A drawn number in what is emitted changes them: an error."""
    (found,) = _bd207(tmp_path, top, "random.seed(42)")
    assert found.severity.value == severity


def test_check_puts_the_seeding_functions_and_limits_back(tmp_path):
    import numpy as np

    originals = (random.seed, np.random.seed, sys.getrecursionlimit())
    assert _bd207(tmp_path, DRAWS, "random.seed(42)")
    assert _bd207(tmp_path, RECURSES, "sys.setrecursionlimit(5000)")
    assert (random.seed, np.random.seed, sys.getrecursionlimit()) == originals
    state = random.getstate()
    random.seed(5)  # the caller's own seeding is not recorded by a finished check
    random.setstate(state)
    assert _bd207(tmp_path, DRAWS, "pass") == []
