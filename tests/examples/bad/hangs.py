import time

import apache_beam as beam

while True:
    time.sleep(0.1)
