"""BD310, grouping keys the deterministic coder refuses or changes: check predicts it, isolated
workers prove it.

A shuffle encodes each key with Beam's deterministic coder. A numpy scalar key fails the job
on Beam 2.62 and newer, and on Beam 2.61 (Python 3.11+) arrives as 0, so every key lands in
one group; a ``datetime.date`` key fails on every Beam. Each example is checked, then run for
real on isolated workers (tests/isolated.py): the failing ones fail with the message check
predicts, or write the merged groups it describes; the fixed ones, and a numpy key whose pair
type is declared (the keys then take Beam's integer coder), pass check and compute the right
result. A key reaches the shuffle through Beam's steps that keep the element (a ``Reshuffle``,
a ``WindowInto``, a ``CoGroupByKey``'s tagging and flattening) as well, and ``GroupBy(fn)``'s
key is what ``fn`` returns. Runs in the beam261 and beam265 envs too ([beam] check in tox.ini).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from apache_beam.coders import coders
from support.golden import check_golden
from test_check_examples import CLOUDPICKLE, EXAMPLES, Example, ExampleRuns

from beam_deps.check import check_script
from beam_deps.check.detectors.grouping_keys import key_sample
from beam_deps.check.detectors.value_types import UNKNOWN


def _refuses_numpy() -> bool:
    """What this Beam's deterministic coder does to a numpy scalar key (Beam's own coder)."""
    try:
        coders.FastPrimitivesCoder().as_deterministic_coder("GroupByKey").encode(np.float64(1))
    except TypeError:
        return True
    return False


REFUSES_NUMPY = _refuses_numpy()
E = frozenset
KEY_EXAMPLES = [
    Example(
        "elements_key_numpy.py",
        E({"BD310"}),
        fails_with="Unable to deterministically encode" if REFUSES_NUMPY else None,
        args=("{out}/out.txt",),
    ),
    Example("elements_key_numpy_fixed.py", args=("{out}/out.txt",)),
    Example("elements_key_numpy_declared.py", args=("{out}/out.txt",)),
    Example(
        "elements_key_date.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_date_fixed.py", args=("{out}/out.txt",)),
    # the date through a variable (ts = strptime(...); ts.date()), and in the Create values
    Example(
        "elements_key_date_variable.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_date_variable_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_key_create_date.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_create_date_fixed.py", args=("{out}/out.txt",)),
    # through a Reshuffle and a WindowInto, which hand the element on as it is
    Example(
        "elements_key_reshuffle.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_reshuffle_fixed.py", args=("{out}/out.txt",)),
    # into a CoGroupByKey (each input tagged, flattened, one shuffle), and GroupBy(fn)'s key
    Example(
        "elements_key_cogbk_date.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_cogbk_date_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_key_groupby_date.py",
        E({"BD310"}),
        fails_with="of type '<class 'datetime.date'>'",
        args=("{out}/out.txt",),
    ),
    Example("elements_key_groupby_date_fixed.py", args=("{out}/out.txt",)),
]
OUTPUTS = {
    # Beam 2.61: every bucket arrives as 0.0, so all six values land in the first one
    "elements_key_numpy-cloudpickle": None if REFUSES_NUMPY else ["0-9:6"],
    "elements_key_numpy_fixed-cloudpickle": ["0-9:2", "10-19:3", "30-39:1"],
    "elements_key_numpy_declared-cloudpickle": ["0:2", "1:3"],
    "elements_key_date_fixed-cloudpickle": ["2024-03-01:['ann', 'bob']", "2024-03-02:['ann']"],
    "elements_key_date_variable_fixed-cloudpickle": ["2024-01-01=15", "2024-01-02=3"],
    "elements_key_create_date_fixed-cloudpickle": ["2024-01-01=15", "2024-01-02=3"],
    "elements_key_reshuffle_fixed-cloudpickle": ["2024-01-01=15", "2024-01-02=3"],
    "elements_key_cogbk_date_fixed-cloudpickle": [
        "2024-01-01 sales=15 refunds=2",
        "2024-01-02 sales=3 refunds=0",
    ],
    "elements_key_groupby_date_fixed-cloudpickle": ["2024-01-01=2", "2024-01-02=1"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = ExampleRuns(tmp_path_factory.mktemp("keys"), KEY_EXAMPLES)
    yield runs
    runs.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", KEY_EXAMPLES, ids=[e.id for e in KEY_EXAMPLES])
def test_check_predicts_the_real_run(example, runs):
    # Beam 2.61's default is dill, which has its own findings for these scripts (BD201)
    report = check_script(
        EXAMPLES / example.script, argv=example.pipeline_args(runs.out_dir(example))
    )
    assert {d.code for d in report.errors} == example.errors, report.diagnostics
    for d in report.errors:
        assert d.file == str(EXAMPLES / example.script) and d.line and d.transform, d
        assert d.path and d.fix, d
        if example.fails_with:  # check says what the worker will say
            assert example.fails_with in d.message, d
        else:
            assert "keys that differ are grouped together" in d.message, d
    runs.assert_real_run(example, OUTPUTS.get(example.id))


def test_errors_page_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "{out}").mkdir()
    report = check_script(EXAMPLES / "elements_key_date.py", argv=["{out}/out.txt", *CLOUDPICKLE])
    (found,) = report.errors
    line = f"elements_key_date.py:{found.line}: {found.code} [{found.severity.value}] "
    if "please provide a type hint" in found.message:  # the page shows Beam 2.62+'s words
        check_golden("check_key_not_deterministic", line + found.message + "\n")
    else:  # Beam 2.61's own words for the same refusal
        assert "defines __getstate__ but not __setstate__" in found.message, found


@dataclasses.dataclass
class _Point:
    x: int


@dataclasses.dataclass(frozen=True)
class _FrozenPoint:
    x: int


def _keyed(source: str):
    """The key expression of ``lambda v: (KEY, 1)`` and a function whose globals are this
    module's (np, datetime, Decimal, the dataclasses above)."""

    def function(v):
        return v

    tree = ast.parse(source, mode="eval").body
    return tree.elts[0], function


@pytest.mark.parametrize(
    "source, made",
    [
        ("(np.int64(v), 1)", np.int64),
        ("(np.floor(v / 10), 1)", np.float64),
        ("(np.argmax(v), 1)", np.int64),
        ("(datetime.datetime.strptime(v, '%Y'), 1)", datetime.datetime),
        ("(datetime.datetime.fromisoformat(v).date(), 1)", datetime.date),
        ("(Decimal(v), 1)", Decimal),
        ("(frozenset(v), 1)", frozenset),
        ("(_Point(v), 1)", _Point),
        ("((v, np.int64(v)), 1)", tuple),
    ],
)
def test_key_types_the_code_fixes(source, made):
    expr, function = _keyed(source)
    assert isinstance(key_sample(expr, function), made)


@pytest.mark.parametrize(
    "source",
    [
        "(v, 1)",  # anything
        "(int(np.floor(v)), 1)",  # made a Python int
        "(np.floor(v).item(), 1)",  # .item(): a Python float
        "(str(v.date()), 1)",
        "(_FrozenPoint(v), 1)",  # frozen: encoded by its fields, which the code decides
        "(v.isoformat(), 1)",
        "(np.count_nonzero(v), 1)",  # a Python int
        "(row['day'], 1)",
        "(v.date(), 1)",  # a class of the user's may have a date() giving a str
    ],
)
def test_keys_not_claimed(source):
    expr, function = _keyed(source)
    assert key_sample(expr, function) is UNKNOWN


def test_declared_key_type_takes_its_own_coder(tmp_path):
    report = check_script(
        EXAMPLES / "elements_key_numpy_declared.py", argv=[f"{tmp_path}/o", *CLOUDPICKLE]
    )
    assert "BD310" not in {d.code for d in report.diagnostics}
    # np.floor gives whole numbers, which a declared int key keeps (an independent review
    # proved this runs right on isolated workers: no claim from a non-whole sample)
    script = tmp_path / "floor_int.py"
    script.write_text(
        "import sys\n"
        "from typing import Tuple\n"
        "import apache_beam as beam\n"
        "import numpy as np\n"
        "def bucket(v) -> Tuple[int, int]:\n"
        "    return np.floor(v / 10), 1\n"
        "with beam.Pipeline(argv=sys.argv[1:]) as p:\n"
        "    p | beam.Create([3, 12]) | beam.Map(bucket) | beam.CombinePerKey(sum)\n"
    )
    report = check_script(script, argv=CLOUDPICKLE)
    assert "BD310" not in {d.code for d in report.diagnostics}, report.diagnostics


def test_keys_pickled_where_the_user_allows_it(tmp_path):
    """--allow_non_deterministic_key_coders: Beam pickles the keys instead of refusing them
    (a date key then runs on isolated workers, as a Timestamp key does)."""
    argv = [f"{tmp_path}/o", *CLOUDPICKLE]
    report = check_script(EXAMPLES / "elements_key_cogbk_date.py", argv=argv)
    assert "BD310" in {d.code for d in report.errors}
    allowed = [*argv, "--allow_non_deterministic_key_coders"]
    report = check_script(EXAMPLES / "elements_key_cogbk_date.py", argv=allowed)
    assert not {"BD310", "BD329"} & {d.code for d in report.diagnostics}, report.diagnostics


def test_whole_element_is_the_key_of_count_per_element(tmp_path):
    script = tmp_path / "per_element.py"
    script.write_text(
        "import sys\n"
        "import apache_beam as beam\n"
        "import numpy as np\n"
        "with beam.Pipeline(argv=sys.argv[1:]) as p:\n"
        "    (p | beam.Create([1.5, 2.5]) | beam.Map(lambda v: np.round(v))\n"
        "       | beam.combiners.Count.PerElement() | beam.Map(print))\n"
    )
    report = check_script(script, argv=CLOUDPICKLE)
    assert [d.code for d in report.errors] == ["BD310"], report.diagnostics
    assert Path(report.errors[0].file) == script
