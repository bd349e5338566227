"""The fix for ``state_thread_counter.py``: the pool's function only downloads, and
``process`` counts the page once the future's result is back, on the bundle's thread. The
job writes ``fetched=6`` and ``seen=6``."""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics, MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

SEEN = Metrics.counter("pages", "seen")
FETCHED = Metrics.counter("pages", "fetched")


def download(url):
    return f"<html>{url}</html>"


class Fetch(beam.DoFn):
    def setup(self):
        self.pool = ThreadPoolExecutor(max_workers=4)

    def process(self, url):
        SEEN.inc()
        page = self.pool.submit(download, url).result()
        FETCHED.inc()
        yield page

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
