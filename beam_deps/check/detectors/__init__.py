"""Pipeline-level detectors used by `beam-deps check`, one module per diagnostic family.

* ``main_session``: what ``--save_main_session`` carries for this pickler (BD203, BD204)
* ``identity``: classes from ``__main__`` whose instances travel as elements (BD302)
* Python, Beam and pickler versions against the worker (BD405-BD408) are judged in
  ``beam_deps.environment.skew``, shared with staging
* ``staged``: what the pipeline's own options ship to workers (read as Beam's stager does)

Module-level state mutated by DoFns (BD205) and names undefined on the worker (BD201/BD202)
are found by the simulated worker (``beam_deps.check.simulated.probe``), which sees the functions
exactly as a worker will.
"""
