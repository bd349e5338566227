"""Declaring what a transform needs on the workers, next to the code that needs it."""

import apache_beam as beam

import beam_deps

# --8<-- [start:requires]
beam_deps.requires_base("beautifulsoup4==4.12.3")  # needed by the whole pipeline


@beam_deps.requires("pandas==2.2.3")
class ToFrame(beam.DoFn):
    def process(self, rows):
        import pandas as pd  # imported on the worker only

        yield pd.DataFrame(rows)


# --8<-- [end:requires]

print(ToFrame.__beam_deps_requires__)
