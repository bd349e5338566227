"""What a function or DoFn captures, and what travels by value or by reference."""

import json
import os.path

import apache_beam as beam
from apache_beam.internal import pickler
from payload import imported_names

# --8<-- [start:scope]
THRESHOLD = 10  # globals of the script a function reads travel with it, by value
UNUSED = "not captured"


def above_threshold(x):
    return x > THRESHOLD


def make_filter(limit):
    def above(x):  # a closure: `limit` travels in the closure cell
        return x > limit

    return above


def tag(x, prefix="n-"):  # a default argument travels with the function
    return prefix + json.dumps(x)  # json is imported by name on the worker


class Enrich(beam.DoFn):
    def __init__(self, table):
        self.table = table  # instance attributes travel with the DoFn

    def process(self, x):
        yield os.path.join(self.table, str(x))  # os.path: imported by name


copy = pickler.loads(pickler.dumps(above_threshold))  # what a worker gets
print("global carried by value:", sorted(k for k in copy.__globals__ if not k.startswith("__")))
print(
    "closure cell carried   :",
    pickler.loads(pickler.dumps(make_filter(7))).__closure__[0].cell_contents,
)
print("default carried        :", pickler.loads(pickler.dumps(tag)).__defaults__)
# imported_names: what the payload refers to by name (the worker must be able to import it)
print("by name, above_threshold:", imported_names(above_threshold))
print("by name, tag            :", imported_names(tag))
print("by name, Enrich         :", imported_names(Enrich("rates")))
print("by name, os.path.join   :", imported_names(os.path.join))
# --8<-- [end:scope]
