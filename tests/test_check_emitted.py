"""Which script classes a function emits (BD302 reports only those, not helper objects)."""

from __future__ import annotations

import pytest

from beam_deps.check.detectors.emitted import emitted_constructors


class Point:
    def __init__(self, x):
        self.x = x


class Parser:
    def parse(self, line):
        return line.split("=")


def yields_it(x):
    yield Point(x)


def yields_a_pair(x):
    point = Point(x)
    yield x, point


def returns_a_built_list(xs):
    out = []
    for x in xs:
        out.append(Point(x))
    return out


def returns_a_comprehension(xs):
    return [Point(x) for x in xs]


def uses_a_helper(line):
    parser = Parser()
    yield parser.parse(line)


def uses_a_helper_inline(line):
    return Parser().parse(line)


def returns_a_copy(xs):
    points = [Point(x) for x in xs]
    return {"points": list(points)}  # the copy holds the points (tapas' dict(parse(line)))


def copies_a_helpers_result(line):
    result = dict(parse_points(line))
    result["line"] = line
    return result


def parse_points(line):
    return {"points": [Point(x) for x in line.split()]}


def yields_timestamped(x):
    import apache_beam as beam

    yield beam.window.TimestampedValue(Point(x), 0)  # the element is the Point


def yields_tagged(x):
    import apache_beam as beam

    point = Point(x)
    if x:
        yield beam.pvalue.TaggedOutput("points", point)
    yield beam.pvalue.TaggedOutput("raw", x)


pair_lambda = lambda x: (x, Point(x))  # noqa: E731
helper_lambda = lambda line: Parser().parse(line)  # noqa: E731


@pytest.mark.parametrize(
    "function",
    [
        yields_it,
        yields_a_pair,
        returns_a_built_list,
        returns_a_comprehension,
        returns_a_copy,
        yields_timestamped,
        yields_tagged,
        pair_lambda,
    ],
)
def test_emitted_instances_are_found(function):
    assert "Point" in emitted_constructors(function)


def test_a_copy_of_a_helpers_result_emits_what_the_helper_returns():
    from beam_deps.check.detectors.emitted import emitted_calls

    assert "parse_points" in emitted_calls(copies_a_helpers_result)


@pytest.mark.parametrize("function", [uses_a_helper, uses_a_helper_inline, helper_lambda])
def test_helpers_used_inside_are_not_emitted(function):
    assert "Parser" not in emitted_constructors(function)


def test_a_lambda_inside_a_pipeline_expression_is_parsed():
    import apache_beam as beam

    from beam_deps.pipeline.payloads import user_code

    transform = beam.Map(lambda x: (x, Point(x)))
    assert "Point" in emitted_constructors(user_code(transform.fn))


def test_unreadable_source_is_unknown():
    namespace: dict = {}
    exec("def f(x):\n    return Point(x)\n", {"Point": Point}, namespace)
    assert emitted_constructors(namespace["f"]) is None


def keyed_by_point(x):
    yield Point(x), 1


def keyed_through_a_variable(x):
    pair = (Point(x), x)
    return [pair]


def point_as_value_in_a_list(xs):
    return [(x, Point(x)) for x in xs]


@pytest.mark.parametrize(
    "function, roles",
    [
        (keyed_by_point, {"key"}),
        (keyed_through_a_variable, {"key"}),
        (point_as_value_in_a_list, {"value"}),
        (yields_it, {"value"}),
        (yields_a_pair, {"value"}),
        (returns_a_built_list, {"value"}),
    ],
)
def test_keys_and_values_are_told_apart(function, roles):
    assert emitted_constructors(function)["Point"] == roles


def test_the_output_tags_instances_are_sent_to():
    from beam_deps.check.detectors.emitted import emitted_tags

    assert emitted_tags(yields_tagged) == {"Point": {"points"}}
    assert emitted_tags(yields_it) == {"Point": {None}}  # the main output
