import sys

from beam_deps.cli import main

sys.exit(main())
