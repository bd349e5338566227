"""The simulated worker used by ``beam-deps check``: a fresh interpreter that sees only what a
worker would (``child.py``, stdlib only), driven from the submitting side by ``probe.py``."""
