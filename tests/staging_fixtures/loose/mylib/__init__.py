"""Local code the pipeline imports: must ship as a wheel."""

from mylib.util import describe, shout

__all__ = ["describe", "shout"]
