"""Pipelines built three ways in one script: a with-block, p.run().wait_until_finish()
inside a function, and one never run. Each has one BD205 problem of its own."""

import apache_beam as beam

FIRST, SECOND, THIRD = [], [], []


def build_and_run():
    p = beam.Pipeline()
    p | "Second" >> beam.Create([2]) | "AddSecond" >> beam.Map(lambda x: SECOND.append(x))
    p.run().wait_until_finish()


with beam.Pipeline() as p:
    p | "First" >> beam.Create([1]) | "AddFirst" >> beam.Map(lambda x: FIRST.append(x))

build_and_run()

never_run = beam.Pipeline()
never_run | "Third" >> beam.Create([3]) | "AddThird" >> beam.Map(lambda x: THIRD.append(x))
