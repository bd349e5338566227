"""Beam's validation of the dill version, as Beam's own runners call it."""

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.options.pipeline_options_validator import PipelineOptionsValidator
from apache_beam.runners.direct.direct_runner import DirectRunner

# --8<-- [start:check]
options = PipelineOptions(["--pickle_library=dill"])
for error in PipelineOptionsValidator(options, DirectRunner()).validate():
    print(error)
# --8<-- [end:check]
