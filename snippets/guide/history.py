"""Which pickler Beam uses when --pickle_library is not given."""

from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions

# --8<-- [start:default]
print("default pickle library:", pickler.DEFAULT_PICKLE_LIB)
options = PipelineOptions([]).view_as(SetupOptions)
print("--pickle_library when not given:", options.pickle_library)
# --8<-- [end:default]
