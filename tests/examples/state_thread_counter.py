"""BD116: a DoFn downloads each page on a thread pool made in ``setup`` and counts the pages
inside the submitted function (the shape of apache/beam#21217). Beam counts a metric only on
the thread that runs the bundle: the pool's threads find no metrics container, so every
``FETCHED.inc()`` is dropped, silently. The job writes its metrics after the run: ``seen=6``,
and no ``fetched`` at all."""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics, MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

SEEN = Metrics.counter("pages", "seen")
FETCHED = Metrics.counter("pages", "fetched")


def download(url, fetched):
    fetched.inc()
    return f"<html>{url}</html>"


class Fetch(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(max_workers=4)

    def process(self, url):
        SEEN.inc()
        yield self.pool.submit(download, url, FETCHED).result()

    def teardown(self):
        self.pool.shutdown()


def run(output, argv):
    p = beam.Pipeline(options=PipelineOptions(argv))
    urls = [f"https://example.com/{n}" for n in range(6)]
    _ = p | beam.Create(urls) | beam.ParDo(Fetch())
    result = p.run()
    result.wait_until_finish()
    if os.environ.get("BEAM_DEPS_CHECK"):  # check runs nothing: there are no metrics to read
        return
    counters = result.metrics().query(MetricsFilter().with_namespace("pages"))["counters"]
    with open(output, "w") as out:
        for counter in counters:
            out.write(f"{counter.key.metric.name}={counter.committed}\n")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
