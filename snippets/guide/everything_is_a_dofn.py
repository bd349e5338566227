"""Map, FlatMap, Filter and ParDo all produce a ParDo carrying a DoFn."""

import apache_beam as beam


def is_even(x):
    return x % 2 == 0


# --8<-- [start:wrap]
class Scale(beam.DoFn):
    def process(self, element, factor, offset=0):
        yield element * factor + offset


transforms = {
    "Map(lambda)": beam.Map(lambda x: x + 1),
    "FlatMap(function)": beam.FlatMap(str.split),
    "Filter(function)": beam.Filter(is_even),
    "ParDo(DoFn)": beam.ParDo(Scale(), 2),
}
for name, transform in transforms.items():
    print(f"{name:18} -> {type(transform).__name__} carrying {type(transform.fn).__name__}")
# --8<-- [end:wrap]

# --8<-- [start:carries]
p = beam.Pipeline()
factors = p | "Factors" >> beam.Create([3])
pardo = beam.ParDo(Scale(), beam.pvalue.AsSingleton(factors), offset=1)
_ = p | beam.Create([1, 2]) | pardo
print("fn:", type(pardo.fn).__name__)
print("args:", pardo.args, "kwargs:", pardo.kwargs)
print("side inputs:", [type(s).__name__ for s in pardo.side_inputs])
# --8<-- [end:carries]
