import sys

import apache_beam as beam

sys.exit(3)
