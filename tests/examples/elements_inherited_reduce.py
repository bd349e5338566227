"""BD117: a CombineFn subclasses Beam's ApproximateQuantilesCombineFn with an ``__init__`` of
its own (a metric key first, the quantile to return last), the shape of apache/beam#26716.
The base class's ``__reduce__`` rebuilds ``self.__class__`` with the base's arguments, so
the worker's copy has the number of quantiles as its key and ``False`` as the index: the
line comes back as ``101=0.0`` (the minimum, not the median), and nothing fails."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.stats import ApproximateQuantilesCombineFn


class MedianOf(ApproximateQuantilesCombineFn):
    def __init__(
        self,
        key,
        num_quantiles=101,
        max_num_elements=1_000_000,
        epsilon=0.01,
        num_buffers=None,
        buffer_size=None,
        return_quantile=50,
    ):
        spec = ApproximateQuantilesCombineFn.create(num_quantiles, epsilon, max_num_elements)._spec
        super().__init__(
            num_quantiles=num_quantiles,
            buffer_size=buffer_size or spec.buffer_size,
            num_buffers=num_buffers or spec.num_buffers,
        )
        self._key = key
        self._return_quantile = return_quantile

    def extract_output(self, accumulator):
        quantiles = super().extract_output(accumulator)
        return f"{self._key}={quantiles[self._return_quantile]}"


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        (
            p
            | beam.Create([float(v) for v in range(101)])
            | "Median" >> beam.CombineGlobally(MedianOf("latency"))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
