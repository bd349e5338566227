"""BD205's severity: a global a DoFn fills is an error only where the script reads it after
the pipeline ran (it expects a result it never gets: pitfall_module_state.py prints "SEEN has 0
items" on isolated workers, tests/test_check_examples.py); a per-worker cache nothing reads
back stays a warning."""

from __future__ import annotations

from beam_deps.check import check_script
from beam_deps.check.detectors.worker_findings import read_after_run

WITH_BLOCK = """\
import apache_beam as beam
TOTALS = []
before = 1
with beam.Pipeline() as p:
    p | beam.Create([1]) | beam.Map(TOTALS.append)
print(TOTALS, later)
"""

RUN_CALL = """\
import apache_beam as beam


def main():
    p = beam.Pipeline()
    p | beam.Create([1])
    early = TOTALS
    p.run().wait_until_finish()
    return len(TOTALS)
"""

CACHE = """\
import sys
import apache_beam as beam

CACHE = {}


def lookup(x):
    if x not in CACHE:
        CACHE[x] = x * 2  # a per-worker cache: nothing reads it back
    return CACHE[x]


with beam.Pipeline(argv=sys.argv[1:]) as p:
    p | beam.Create([1, 2]) | beam.Map(lookup)
print("done")
"""


def test_names_read_after_a_with_block(tmp_path):
    script = tmp_path / "a.py"
    script.write_text(WITH_BLOCK)
    found = read_after_run(str(script), 5)
    assert found == {"print": 6, "TOTALS": 6, "later": 6}


def test_names_read_after_run_in_the_same_body(tmp_path):
    script = tmp_path / "b.py"
    script.write_text(RUN_CALL)
    found = read_after_run(str(script), 5)
    assert found == {"len": 9, "TOTALS": 9}  # `early = TOTALS` is before the run


def test_unreadable_or_unknown_places_give_nothing(tmp_path):
    assert read_after_run(str(tmp_path / "missing.py"), 3) == {}
    assert read_after_run(None, None) == {}


def test_a_cache_nothing_reads_back_stays_a_warning(tmp_path):
    script = tmp_path / "cache.py"
    script.write_text(CACHE)
    (found,) = [d for d in check_script(script).diagnostics if d.code == "BD205"]
    assert found.severity.value == "warning", found
    assert "per-worker cache" in found.message


PATH_CHANGE = """\
import sys
import apache_beam as beam


class Job:
    seen = []


def tag(x):
    sys.path.append("/opt/extra")  # the interpreter's state, not the user's
    return x


with beam.Pipeline(argv=sys.argv[1:]) as p:
    p | beam.Create([1, 2]) | beam.Map(tag)
print(Job.seen, sys.path)
"""


def test_only_the_users_own_classes_hold_state(tmp_path):
    """``Job.seen.append`` in worker code is the user's state (tests/examples/
    pitfall_class_state.py proves it on isolated workers); ``sys.path.append`` is not."""
    script = tmp_path / "path.py"
    script.write_text(PATH_CHANGE)
    assert [d for d in check_script(script).diagnostics if d.code == "BD205"] == []
    found = read_after_run(str(script), 15)
    assert found["Job.seen"] == 16 and found["sys.path"] == 16


LAZY = """\
import sys
import apache_beam as beam

_TOKENIZER = None


def _tokenizer():
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = str.split  # made once per worker process, as meant
    return _TOKENIZER


def words(line):
    return len(_tokenizer()(line))


with beam.Pipeline(argv=sys.argv[1:]) as p:
    p | beam.Create(["a b", "c"]) | beam.Map(words)
print(READ_BACK)
"""


def test_a_lazily_made_global_is_no_finding(tmp_path):
    """``global X; if X is None: X = make()`` is the per-process cache Beam's docs show for a
    model or a tokenizer (tensorflow/datasets' C4 cleaner): each worker makes its own, as
    meant. The same global read back after the run is still the error."""
    script = tmp_path / "lazy.py"
    script.write_text(LAZY.replace("READ_BACK", '"done"'))
    assert [d for d in check_script(script).diagnostics if d.code == "BD205"] == []
    script.write_text(LAZY.replace("READ_BACK", "_TOKENIZER"))
    (found,) = [d for d in check_script(script).diagnostics if d.code == "BD205"]
    assert found.severity.value == "error", found
