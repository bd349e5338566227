"""A custom source holding a socket: the error names a lambda, not the source."""

import socket

import apache_beam as beam
from apache_beam.io import iobase
from apache_beam.io.range_trackers import OffsetRangeTracker


# --8<-- [start:problem]
class LinesFromServer(iobase.BoundedSource):
    def __init__(self, address):
        self.sock = socket.create_connection(address) if address else socket.socket()

    def estimate_size(self):
        return 1

    def get_range_tracker(self, start, stop):
        return OffsetRangeTracker(start or 0, stop or 1)

    def read(self, tracker):
        yield self.sock.recv(1024)

    def split(self, desired_bundle_size, start=None, stop=None):
        yield iobase.SourceBundle(1, self, 0, 1)


p = beam.Pipeline()
p | beam.io.Read(LinesFromServer(None))  # Read wraps the source in Map(lambda _: source)
# --8<-- [end:problem]
