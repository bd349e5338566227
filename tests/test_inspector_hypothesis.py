"""Random object graphs with unpicklable leaves planted at random places.

The inspector must report exactly the planted paths (no miss, no extra) and never raise.
"""

from __future__ import annotations

import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.objects import Holder, Refuses, make_closure

import beam_deps

NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta", "rows", "cfg"])


def specs():
    leaves = st.one_of(
        st.tuples(st.just("int"), st.integers(-5, 5)),
        st.tuples(st.just("str"), st.text(max_size=4)),
        st.tuples(st.just("bad"), st.sampled_from(["refuses", "sqlite"])),
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.just("dict"), st.lists(st.tuples(NAMES, children), max_size=4)),
            st.tuples(st.just("list"), st.lists(children, max_size=4)),
            st.tuples(st.just("tuple"), st.lists(children, max_size=3)),
            st.tuples(st.just("obj"), st.lists(st.tuples(NAMES, children), max_size=3)),
            st.tuples(st.just("closure"), children),
        )

    return st.recursive(leaves, extend, max_leaves=12)


def build(spec, path, planted, resources):
    """Make the object for ``spec`` at ``path``; record where bad leaves were planted."""
    kind, body = spec
    if kind in ("int", "str"):
        return body
    if kind == "bad":
        planted.add(path)
        if body == "sqlite":
            conn = sqlite3.connect(":memory:")
            resources.append(conn)
            return conn
        return Refuses()
    if kind in ("dict", "obj"):
        unique = dict(body)  # a repeated key keeps its last child, as in a dict literal
        if kind == "dict":
            return {k: build(c, f"{path}[{k!r}]", planted, resources) for k, c in unique.items()}
        return Holder(**{k: build(c, f"{path}.{k}", planted, resources) for k, c in unique.items()})
    if kind == "list":
        return [build(c, f"{path}[{i}]", planted, resources) for i, c in enumerate(body)]
    if kind == "tuple":
        return tuple(build(c, f"{path}[{i}]", planted, resources) for i, c in enumerate(body))
    if kind == "closure":
        return make_closure(build(body, f"{path} closure 'value'", planted, resources))
    raise AssertionError(kind)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(specs())
def test_reports_exactly_the_planted_paths(spec):
    planted: set[str] = set()
    resources: list = []
    root = {"root": None}
    root["root"] = build(spec, "dict['root']", planted, resources)
    try:
        report = beam_deps.check_object(root)
    finally:
        for r in resources:
            r.close()
    reported = {d.path for d in report.diagnostics if d.severity.value == "error"}
    assert reported == planted
    assert report.ok == (not planted)
    assert all(d.code in ("BD101", "BD106") for d in report.errors)
