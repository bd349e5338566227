"""BD317, fixed: the side PCollection is reduced to one value (``CombineGlobally(max)``)
before the Filter reads it as a singleton; a Create of one value is a singleton as it is."""

import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def run(output, argv):
    with beam.Pipeline(options=PipelineOptions(argv)) as p:
        limit = (
            p
            | "Limits" >> beam.Create([{"max": 5}, {"max": 7}])
            | "Max" >> beam.Map(lambda row: row["max"])
            | "Largest" >> beam.CombineGlobally(max)
        )
        offset = p | "Offset" >> beam.Create([100])
        (
            p
            | beam.Create([3, 6, 9])
            | beam.Filter(lambda x, limit: x > limit, limit=beam.pvalue.AsSingleton(limit))
            | beam.Map(lambda x, o: str(x + o), o=beam.pvalue.AsSingleton(offset))
            | beam.io.WriteToText(output, shard_name_template="")
        )


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
