"""Which coder the elements a step emits meet, read from the pipeline Beam built.

Beam picks a PCollection's coder from its type (declared, or inferred from the code) when it
translates the pipeline: a coder registered for a class (``register_coder(X, RowCoder)``)
only where the type names the class, and a deterministic key coder only for the input of a
transform that groups by key. Everything else meets the fallback coder, which pickles a
script's class by reference. The element detectors (``identity``) ask here instead of
assuming a registration or a key is always honoured.
"""

from __future__ import annotations

from typing import Any


def has_own_coder(cls: type) -> bool:
    """A coder registered for ``cls`` (``beam.coders.registry.register_coder``, e.g. RowCoder
    for a NamedTuple) replaces the fallback coder, so its instances decode on any worker."""
    from apache_beam.coders import coders, typecoders

    try:
        coder = typecoders.registry.get_coder(cls)
    except Exception:  # noqa: BLE001 - a broken registration is Beam's error to report
        return False
    fallback = (coders.FastPrimitivesCoder, coders.PickleCoder, coders.DillCoder)
    return not isinstance(coder, fallback)


def names_class(hint: Any, cls: type, depth: int = 0) -> bool:
    """Whether a type hint holds ``cls`` (itself, or inside a Tuple, KV, List...)."""
    if hint is cls:
        return True
    if depth > 4:
        return False
    try:
        inner = list(hint._inner_types()) if hasattr(hint, "_inner_types") else []
        inner += list(getattr(hint, "union_types", None) or ())  # Optional[X], Union[...]
    except Exception:  # noqa: BLE001 - an odd hint: it names nothing we can tell
        return False
    return any(names_class(t, cls, depth + 1) for t in inner)


def one_output(node: Any) -> Any | None:
    outputs = list(getattr(node, "outputs", {}).values())
    return outputs[0] if len(outputs) == 1 else None


def own_coder_used(node: Any, cls: type) -> bool:
    """A coder registered for ``cls`` is used for the instances ``node`` emits: its output's
    type (declared, or inferred by Beam) names the class. An untyped output (``Any``) takes
    the fallback coder whatever is registered, and the worker fails to pickle the class by
    reference (m19p: the RowCoder NamedTuples of Google's Dataflow labs). Several outputs:
    those the code sends the instances to (``TaggedOutput("parsed_row", CommonLog(...))``;
    ``.with_outputs(...).with_output_types(CommonLog)`` types none of the tagged ones, the
    Dataflow labs' dead-letter pipeline); the registration is trusted where the code does
    not say."""
    if not has_own_coder(cls):
        return False
    output = one_output(node)
    if output is not None:
        return names_class(getattr(output, "element_type", None), cls)
    outputs = getattr(node, "outputs", {}) or {}
    tags = _tags_of(node, cls)
    if not tags or any(tag not in outputs for tag in tags):
        return True
    return any(names_class(getattr(outputs[tag], "element_type", None), cls) for tag in tags)


def _tags_of(node: Any, cls: type) -> set[str | None] | None:
    """The output tags a step's own code sends instances of ``cls`` to, if it says."""
    from beam_deps.check.detectors.emitted import emitted_tags
    from beam_deps.check.detectors.shuffle_inputs import emitting_functions
    from beam_deps.pipeline.payloads import user_code

    target = user_code(getattr(getattr(node, "transform", None), "fn", None))
    functions = emitting_functions(target)
    if not functions:
        return None
    try:
        found = emitted_tags(functions[0])
    except Exception:  # noqa: BLE001 - unreadable code: the registration is trusted
        return None
    return None if found is None else found.get(cls.__name__)


def keyed_inputs(pipeline: Any) -> set[int]:
    """The ids of the PCollections a transform that needs keyed input reads (a GroupByKey,
    a combine per key, composites included). Beam gives exactly these a deterministic key
    coder when it translates the pipeline (``Pipeline.to_runner_api``'s
    ``ForceKvInputTypes``), which writes an Enum or a NamedTuple key with its class by
    value; the keys of any other PCollection (the input of a ``CoGroupByKey``'s tagging
    step, of a Map) take the plain coder, which pickles their class by reference."""
    from apache_beam.pipeline import PipelineVisitor

    found: set[int] = set()

    class Keyed(PipelineVisitor):
        def enter_composite_transform(self, node: Any) -> None:
            self.visit_transform(node)

        def visit_transform(self, node: Any) -> None:
            try:
                needs = node.transform.runner_api_requires_keyed_input()
            except Exception:  # noqa: BLE001 - no such method, or a transform that raises
                return
            if needs and node.inputs:
                found.add(id(node.inputs[0]))

    pipeline.visit(Keyed())
    return found


def read_as_keyed(producer: Any, keyed: set[int]) -> bool:
    """Whether the producer's one output is read by a transform that needs keyed input, or
    cannot be told (several outputs): its keys then take the deterministic coder."""
    output = one_output(producer)
    return output is None or id(output) in keyed
