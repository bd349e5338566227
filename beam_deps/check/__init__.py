"""``beam-deps check``: run a pipeline script without submitting it and report what will break.

Data flows one way: load the script -> collect payloads -> pickle -> inspect -> simulate the
worker (``simulated/``) -> detectors (``detectors/``) -> post-processing -> report.
"""

from beam_deps.check.script import PipelineAnalysis, check_script

__all__ = ["PipelineAnalysis", "check_script"]
