"""``python -m beam_deps``: the ``beam-deps`` command where its script is not on PATH."""

import sys

from beam_deps.cli import main

if __name__ == "__main__":
    sys.exit(main())
