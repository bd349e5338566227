"""Rules about the classes dill rebuilds on the worker (BD311-BD313): a class of your script
pickled by value comes back as another copy (``super(Name, self)``), without the members
of a NamedTuple, or without a dataclass's fields.

Kept apart from ``session_rules`` (the rest of the BD2xx/BD3xx family) for size only; a new
rule goes in its family's block with an explanation, a fix, an example and its fixed
example (tests/test_catalogue_and_report.py checks each).
"""

from __future__ import annotations

from beam_deps.catalogue.model import Rule
from beam_deps.diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES = [
    Rule(
        code="BD311",
        name="super-of-another-copy",
        severity=E,
        reported_by=("check",),
        summary="`super(Name, self)` finds another copy of the class on the worker.",
        explanation="The two-argument `super(Name, self)` looks `Name` up as a global when "
        "the method runs and requires `self` to be an instance of what it finds. dill 0.3.6 "
        "and newer (`--pickle_library=dill_unsafe`) pickle a class of your script by value, "
        "so the worker rebuilds it for the payload; with `--save_main_session` the loaded "
        "session puts its own copy of the class under the same name in the worker's "
        "`__main__`. The method then reads the session's copy, the instance is of the "
        "payload's copy, and every call fails with \"TypeError: super(type, obj): obj must "
        'be an instance or subtype of type". beam-deps unpickles the payload after the '
        "session in the simulated worker and compares the two classes, so it reports only "
        "what the worker will really see (cloudpickle and dill 0.3.1.1 find one class).",
        fix="Write `super()` with no arguments: it uses the class the method was defined "
        "in, whatever the global name finds. Or define the class in a staged module "
        "(pickled by reference), or leave out `--save_main_session`.",
        example="class CleanUpper(Base):\n"
        "    def process(self, line):\n"
        "        yield super(CleanUpper, self).clean(line).upper()  # the session's CleanUpper\n",
        example_fixed="class CleanUpper(Base):\n"
        "    def process(self, line):\n"
        "        yield super().clean(line).upper()  # the class this method belongs to\n",
    ),
    Rule(
        code="BD312",
        name="session-class-loses-members",
        severity=E,
        reported_by=("check",),
        summary="dill gives the worker a NamedTuple class without its methods (or defaults).",
        explanation="dill (0.3.1.1 and newer) pickles a `typing.NamedTuple` or `namedtuple` "
        "class of your script by its name and field names only, so the worker's class has "
        "the fields but none of the methods, properties or class attributes you wrote. "
        "With `--save_main_session` the worker's `__main__` is filled from the saved "
        "session, and your functions find that class there: elements made on the worker "
        "(`Purchase(user, price, qty)` in a Map) or decoded there are of it. Without the "
        "session an instance a DoFn holds (its settings) comes back the same way. A "
        "NamedTuple imported from a module of yours that is not staged too: where the "
        "worker cannot import the module, dill rebuilds the class from the fields. Code "
        "that reads one of the lost members fails with \"AttributeError: 'Purchase' "
        "object has no attribute 'total'\". beam-deps loads the session and the payloads "
        "in the simulated worker, compares each class with the script's, and reports a "
        "member read by code that runs on the worker, of a class that code reaches. dill "
        "before 0.3.5 (Beam's `dill`, the default pickler of Beam 2.61 to 2.64) drops the "
        "fields' defaults too: a call on the worker that leaves a defaulted field out "
        '(`Item(name)` for `qty: int = 1`) fails with "TypeError: Item.__new__() missing '
        "1 required positional argument: 'qty'\"; beam-deps reports each such call.",
        fix="Put the logic in a function of the script (`def total(p): return p.price * "
        "p.qty`), which the session carries whole; or define the class in a staged module "
        "(pickled by reference, members intact); or use cloudpickle, Beam's default, "
        "without `--save_main_session`.",
        example="class Purchase(typing.NamedTuple):\n"
        "    price: float\n"
        "    qty: int\n"
        "\n"
        "    def total(self):  # not in the session's Purchase\n"
        "        return self.price * self.qty\n"
        "\n"
        "rows | beam.Map(parse) | beam.Map(lambda p: p.total())\n",
        example_fixed="class Purchase(typing.NamedTuple):\n"
        "    price: float\n"
        "    qty: int\n"
        "\n"
        "def total(purchase):  # a function: the session carries it\n"
        "    return purchase.price * purchase.qty\n"
        "\n"
        "rows | beam.Map(parse) | beam.Map(total)\n",
    ),
    Rule(
        code="BD313",
        name="dataclass-loses-fields",
        severity=E,
        reported_by=("check",),
        summary="dill before 0.3.5 gives the worker a dataclass whose `fields()` is empty.",
        explanation="dill before 0.3.5 (Beam's `dill`, the default pickler of Beam 2.61 to "
        "2.64) pickles a dataclass of your script by value, and with it a copy of the "
        "`dataclasses` module's private field marker. `dataclasses.fields()` keeps only "
        "the fields whose marker *is* the module's, so on the worker it finds none: "
        "`asdict(order)` gives `{}` and `astuple(order)` gives `()`, and the step that "
        "reads the dict later fails (\"KeyError: 'amount'\") or writes empty records. The "
        "class itself still works: its `__init__`, `__repr__` and `__eq__` were made "
        "when it was defined. With `--save_main_session` the session carries the class "
        "the same way. beam-deps loads the payloads and the session in the simulated "
        "worker, looks at the copies of your dataclasses there, and reports each call of "
        "`fields`, `asdict` or `astuple` by code that runs on the worker. dill 0.3.5 and "
        "newer, and cloudpickle, keep the marker.",
        fix="Build the dict from the fields you name (`{'customer': o.customer, 'amount': "
        "o.amount}`); or define the dataclass in a staged module (pickled by reference); "
        "or pickle with cloudpickle, Beam's default, or a newer dill "
        "(`--pickle_library=dill_unsafe`).",
        example="@dataclass\n"
        "class Order:\n"
        "    customer: str\n"
        "    amount: float\n"
        "\n"
        "lines | beam.Map(lambda l: asdict(Order(*l.split(','))))  # {} on the worker\n",
        example_fixed="@dataclass\n"
        "class Order:\n"
        "    customer: str\n"
        "    amount: float\n"
        "\n"
        "def as_dict(o):\n"
        "    return {'customer': o.customer, 'amount': o.amount}\n"
        "\n"
        "lines | beam.Map(lambda l: as_dict(Order(*l.split(','))))\n",
    ),
]
