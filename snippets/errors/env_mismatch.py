"""Beam's own check, run by every worker before it processes a bundle."""

from apache_beam.portability.api import beam_fn_api_pb2, beam_runner_api_pb2
from apache_beam.runners.worker import bundle_processor

# --8<-- [start:problem]
# The capability a pipeline built with Python 3.10 and Beam 2.64.0 carries:
submitted = "beam:version:sdk_base:apache/beam_python3.10_sdk:2.64.0"
descriptor = beam_fn_api_pb2.ProcessBundleDescriptor(
    transforms={"t": beam_runner_api_pb2.PTransform(environment_id="env")},
    environments={"env": beam_runner_api_pb2.Environment(capabilities=[submitted])},
)
# What the worker does with the first bundle it is given:
bundle_processor._verify_descriptor_created_in_a_compatible_env(descriptor)
# --8<-- [end:problem]
