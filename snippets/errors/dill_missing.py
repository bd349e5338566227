"""Asking for the dill pickler where dill is not installed."""

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

# --8<-- [start:problem]
options = PipelineOptions(["--pickle_library=dill"])
beam.Pipeline(options=options)  # raises at once if dill is not installed
# --8<-- [end:problem]
