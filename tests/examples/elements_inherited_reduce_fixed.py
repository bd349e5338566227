"""The fix for BD117: the subclass writes its own ``__reduce__``, which rebuilds it with its
own constructor's arguments, so the worker's copy is the object built here: ``latency=50.0``."""

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

    def __reduce__(self):
        return (
            type(self),
            (self._key, self._num_quantiles, 1_000_000, 0.01, None, None, self._return_quantile),
        )


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
