"""Issue 14, what elements and loops do on workers: check predicts it, isolated workers prove it.

Each example under tests/examples/elements_*.py and loop_*.py is checked, then run for real on
ISOLATED workers (tests/isolated.py: workers in an empty folder, without the script's folder or
``__main__``): a failing one must fail with the message check predicts (or, for the silent
kinds, write the wrong result the message describes), its fixed variant must pass check and
really compute the right result. The messages shown on the website's errors page are golden
files written here.
"""

from __future__ import annotations

import functools
import operator
import re
from functools import partial
from pathlib import Path

import pytest
from conftest import DILL_LIBRARY, HAS_DILL
from support.golden import check_golden
from test_check_examples import BEAM_EXAMPLES, CLOUDPICKLE, EXAMPLES, Example, ExampleRuns

from beam_deps.beam import profile
from beam_deps.check import check_script
from beam_deps.check.detectors.emitted import emitted_constructors, emitted_functions

E = frozenset
# Beam up to 2.77: RowCoder gives a schema's Tuple field back as a list (2.78 as a tuple, and
# the same examples run and get no BD306): each Beam is held to what it really does.
LISTS = profile().row_tuples_as_lists
ELEMENT_EXAMPLES = [
    # 4. Enum members emitted as grouped values
    Example(
        "elements_enum_value.py",
        E({"BD302"}),
        fails_with="Can't pickle <enum 'Level'>: attribute lookup Level on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_enum_value_fixed.py", args=("{out}/out.txt",)),
    # ... an Enum a helper returns inside the emitted pair, no shuffle (m18 c08)
    Example(
        "elements_enum_helper.py",
        E({"BD302"}),
        fails_with="Can't pickle <enum 'Severity'>: attribute lookup Severity on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_enum_helper_fixed.py", args=("{out}/out.txt",)),
    # ... Enum members as the keys of a CoGroupByKey, whose tagging step reads them with the
    # plain coder, not the deterministic key coder (m19 s07)
    Example(
        "elements_enum_key_cogbk.py",
        E({"BD302"}),
        fails_with="Can't pickle <enum 'Region'>: attribute lookup Region on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_enum_key_cogbk_fixed.py", args=("{out}/out.txt",)),
    # ... a NamedTuple registered with RowCoder in a PCollection whose type does not name it:
    # made by an untyped DoFn, or passed on by an untyped step (m19p, Dataflow's labs)
    Example(
        "elements_rowcoder_untyped.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.CommonLog'>: attribute lookup CommonLog",
        args=("{out}/out.txt",),
    ),
    Example(
        "elements_rowcoder_passthrough.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.CommonLog'>: attribute lookup CommonLog",
        args=("{out}/out.txt",),
    ),
    Example("elements_rowcoder_passthrough_fixed.py", args=("{out}/out.txt",)),
    # ... sent to a tagged output, which .with_outputs(...).with_output_types(X) leaves
    # untyped (the dead-letter pipeline of Google's Dataflow labs, m26b 26)
    Example(
        "elements_rowcoder_tagged.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.CommonLog'>: attribute lookup CommonLog",
        args=("{out}/out.txt",),
    ),
    Example("elements_rowcoder_tagged_fixed.py", args=("{out}/out.txt",)),
    # 5. a function inside the elements (standard pickle, whatever --pickle_library says)
    Example(
        "elements_function.py",
        E({"BD305"}),
        fails_with="Can't pickle local object 'Route.process.<locals>.scale'",
        args=("{out}/out.txt",),
    ),
    Example("elements_function_fixed.py", args=("{out}/out.txt",)),
    # ... a script function picked from a dispatch table
    Example(
        "elements_function_table.py",
        E({"BD305"}),
        fails_with="attribute lookup as_percent on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_function_table_fixed.py", args=("{out}/out.txt",)),
    # ... a functools.partial of a script function (m24 f43)
    Example(
        "elements_function_partial.py",
        E({"BD305"}),
        fails_with="attribute lookup convert on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_function_partial_fixed.py", args=("{out}/out.txt",)),
    # ... a script function looked up by name in __main__ at run time (m24 f53)
    Example(
        "elements_main_lookup.py",
        E({"BD329"}),
        fails_with="module '__main__' has no attribute 'handle_click'",
        args=("{out}/out.txt",),
    ),
    Example("elements_main_lookup_fixed.py", args=("{out}/out.txt",)),
    Example(  # dill's main session puts the script's functions in the worker's __main__
        "elements_main_lookup.py",
        library=DILL_LIBRARY,
        save_main_session=True,
        args=("{out}/out.txt",),
    ),
    # dill's main session puts the script's functions in the worker's __main__: it runs
    Example(
        "elements_function_table.py",
        library=DILL_LIBRARY,
        save_main_session=True,
        args=("{out}/out.txt",),
    ),
    # ... a function a CombineFn keeps in its accumulators (apache/beam#28558): encoded with
    # the standard pickle at the lifted combine, the payload's copy of the function fails
    # with every pickler, dill's main session included
    Example(
        "elements_accumulator_function.py",
        E({"BD305"}),
        fails_with="attribute lookup drop_uncertainty on __main__ failed",
        args=("{out}/out.txt",),
    ),
    Example("elements_accumulator_function_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_accumulator_function.py",
        E({"BD305"}),
        library=DILL_LIBRARY,
        save_main_session=True,
        fails_with="it's not the same object as __main__.drop_uncertainty",
        args=("{out}/out.txt",),
    ),
    # 8. late binding of a loop variable: silently wrong, a warning
    Example("loop_late_binding.py", E({"BD112"}), args=("{out}/out.txt",)),
    Example("loop_late_binding_fixed.py", args=("{out}/out.txt",)),
    # ... the key functions of one GroupBy, made by a dict comprehension (pipe-gaps)
    Example("loop_groupby_keys.py", E({"BD112"}), args=("{out}/out.txt",)),
    Example("loop_groupby_keys_fixed.py", args=("{out}/out.txt",)),
    # ... at the script's top level the loop variable is a global (m18 f23): the same wrong
    # totals with cloudpickle and with dill's main session; dill without it: a NameError
    Example("loop_late_binding_main.py", E({"BD112"}), args=("{out}/out.txt",)),
    Example("loop_late_binding_main_fixed.py", args=("{out}/out.txt",)),
    Example(
        "loop_late_binding_main.py",
        E({"BD112"}),
        library=DILL_LIBRARY,
        save_main_session=True,
        args=("{out}/out.txt",),
    ),
    Example(
        "loop_late_binding_main.py",
        E({"BD201"}),
        fails_with="NameError",
        library=DILL_LIBRARY,
        args=("{out}/out.txt",),
    ),
    Example(
        "loop_late_binding_main_fixed.py",
        library=DILL_LIBRARY,
        save_main_session=True,
        args=("{out}/out.txt",),
    ),
    # 9. the coder a declared type picks changes the value
    Example(
        "elements_schema_tuple.py",
        E({"BD306"}) if LISTS else E(),
        fails_with="unhashable type: 'list'" if LISTS else None,
        args=("{out}/out.txt",),
    ),
    Example("elements_schema_tuple_fixed.py", args=("{out}/out.txt",)),
    Example("elements_schema_tuple_converted.py", args=("{out}/out.txt",)),
    Example(
        "elements_function_factory.py",
        E({"BD305"}),
        fails_with="Can't pickle local object 'make_rule.<locals>.rule'",
        args=("{out}/out.txt",),
    ),
    Example(
        "elements_schema_tuple_reshuffle.py",
        E({"BD306"}) if LISTS else E(),
        fails_with="unhashable type: 'list'" if LISTS else None,
        args=("{out}/out.txt",),
    ),
    Example("elements_lossy_int.py", E({"BD306"}), args=("{out}/out.txt",)),
    Example("elements_lossy_int_fixed.py", args=("{out}/out.txt",)),
    Example("elements_lossy_int_combined.py", args=("{out}/out.txt",)),
    # ... the float is an item of a table of floats (m18 f11)
    Example("elements_lossy_int_table.py", E({"BD306"}), args=("{out}/out.txt",)),
    Example("elements_lossy_int_table_fixed.py", args=("{out}/out.txt",)),
    # on a branch only some inputs take: a warning (the data decides; this data takes it)
    Example("elements_none_under_bool.py", warnings=E({"BD306"}), args=("{out}/out.txt",)),
    Example("elements_none_under_bool_fixed.py", args=("{out}/out.txt",)),
    # the coder a declared type picks refuses a value the code emits (BD308)
    Example(
        "elements_none_under_int.py",
        E({"BD329"}),  # the Create's values take that path: run here, settled
        warnings=E({"BD308"}),
        fails_with="TypeError: an integer is required",
        args=("{out}/out.txt",),
    ),
    Example("elements_none_under_int_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_map_returns_none.py",
        E({"BD329"}),  # the Create's values take that path: run here, settled
        warnings=E({"BD308"}),
        fails_with="TypeError: 'NoneType' object is not iterable",
        args=("{out}/out.txt",),
    ),
    Example("elements_map_returns_none_fixed.py", args=("{out}/out.txt",)),
    # one value where Beam iterates (process returns a dict), a generator where it does not
    Example(
        "elements_process_returns_dict.py",
        E({"BD314"}),
        fails_with=(
            "Returning a dict from a ParDo or FlatMap is not allowed"
            if profile().refuses_single_outputs
            else "string indices must be integers"
        ),
        args=("{out}/out.txt",),
    ),
    Example("elements_process_returns_dict_fixed.py", args=("{out}/out.txt",)),
    Example(  # a str method's result (m20 t13): older Beams write one character per line
        "elements_process_returns_str.py",
        E({"BD314"}),
        fails_with=(
            "Returning a str from a ParDo or FlatMap is not allowed"
            if profile().refuses_single_outputs
            else None
        ),
        args=("{out}/out.txt",),
    ),
    Example("elements_map_generator.py", E({"BD314"}), args=("{out}/out.txt",)),
    Example("elements_map_generator_fixed.py", args=("{out}/out.txt",)),
    # a dict view or a generator inside the elements: refused, or emptied by the encoding that
    # samples every output and feeds the shuffle (m20 t10, t11)
    Example(
        "elements_dict_view.py",
        E({"BD316"}),
        fails_with="TypeError: cannot pickle 'dict_keys' object",
        args=("{out}/out.txt",),
    ),
    Example("elements_dict_view_fixed.py", args=("{out}/out.txt",)),
    Example("elements_generator_value.py", E({"BD316"}), args=("{out}/out.txt",)),
    Example("elements_generator_value_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_regex_match.py",
        E({"BD316"}),
        fails_with="cannot pickle 're.Match' object",
        args=("{out}/out.txt",),
    ),
    Example("elements_regex_match_fixed.py", args=("{out}/out.txt",)),
    # AsSingleton of a side PCollection of two elements (m20 t15)
    Example(
        "elements_singleton_many.py",
        E({"BD317"}),
        fails_with="PCollection of size 2 with more than one element accessed as a singleton",
        args=("{out}/out.txt",),
    ),
    Example("elements_singleton_many_fixed.py", args=("{out}/out.txt",)),
    # ... and AsDict of rows that are not (key, value) pairs
    Example(
        "elements_asdict_rows.py",
        E({"BD317"}),
        fails_with="dictionary update sequence element #0 has length 3; 2 is required",
        args=("{out}/out.txt",),
    ),
    Example("elements_asdict_rows_fixed.py", args=("{out}/out.txt",)),
    # elements stamped with a naive datetime
    Example(
        "elements_naive_timestamp.py",
        E({"BD318"}),
        fails_with="ValueError: dt has no timezone info",
        args=("{out}/out.txt",),
    ),
    Example("elements_naive_timestamp_fixed.py", args=("{out}/out.txt",)),
    # a CombineFn's add_input that does not return the accumulator (m21 u04)
    Example(
        "elements_combine_no_return.py",
        E({"BD319"}),
        fails_with="AttributeError: 'NoneType' object has no attribute 'append'",
        args=("{out}/out.txt",),
    ),
    Example("elements_combine_no_return_fixed.py", args=("{out}/out.txt",)),
    # finish_bundle that yields a plain value (m21 u01)
    Example(
        "elements_finish_bundle_plain.py",
        E({"BD320"}),
        fails_with="Finish Bundle should only output WindowedValue type",
        args=("{out}/out.txt",),
    ),
    Example("elements_finish_bundle_plain_fixed.py", args=("{out}/out.txt",)),
    # a CoGroupByKey input that was never keyed (m21 u34)
    Example(
        "elements_cogroup_unkeyed.py",
        E({"BD321"}),
        fails_with="takes 2 positional arguments but 7 were given",
        args=("{out}/out.txt",),
    ),
    Example("elements_cogroup_unkeyed_fixed.py", args=("{out}/out.txt",)),
    # a state cell whose coder cannot encode what is written (m21 u08)
    Example(
        "elements_state_coder.py",
        E({"BD322"}),
        fails_with="TypeError: an integer is required",
        args=("{out}/out.txt",),
    ),
    Example("elements_state_coder_fixed.py", args=("{out}/out.txt",)),
    # a step's function needs more arguments than Beam gives (m22 v11, v28)
    Example(
        "elements_map_pair_args.py",
        E({"BD323"}),
        fails_with="missing 1 required positional argument: 'count'",
        args=("{out}/out.txt",),
    ),
    Example("elements_map_pair_args_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_process_window.py",
        E({"BD323"}),
        fails_with="missing 1 required positional argument: 'window'",
        args=("{out}/out.txt",),
    ),
    Example("elements_process_window_fixed.py", args=("{out}/out.txt",)),
    # a lifecycle method under another spelling: Beam never calls it (m22 v13)
    Example(
        "elements_setup_misspelled.py",
        E({"BD324"}),
        fails_with="'Enrich' object has no attribute 'table'",
        args=("{out}/out.txt",),
    ),
    Example("elements_setup_misspelled_fixed.py", args=("{out}/out.txt",)),
    # a PTransform's setup(), which Beam never calls (oppia/oppia#24934; m27b 04)
    Example(
        "elements_ptransform_setup.py",
        E({"BD324"}),
        fails_with="'NoneType' object is not subscriptable",
        args=("{out}/out.txt",),
    ),
    Example("elements_ptransform_setup_fixed.py", args=("{out}/out.txt",)),
    # a DoFn without process: its logic in a method named otherwise (SO 56502093; m28b 20)
    Example(
        "elements_dofn_no_process.py",
        E({"BD324"}),
        fails_with="NotImplementedError",
        args=("{out}/out.txt",),
    ),
    Example("elements_dofn_no_process_fixed.py", args=("{out}/out.txt",)),
    # state on words that were never keyed (apache/beam#20520; m28b 13)
    Example(
        "elements_state_unkeyed.py",
        E({"BD339"}),
        fails_with="Input value to a stateful DoFn or KeyParam must be a KV tuple",
        args=("{out}/out.txt",),
    ),
    Example("elements_state_unkeyed_fixed.py", args=("{out}/out.txt",)),
    # a subclass rebuilt by the __reduce__ it inherits from Beam's ApproximateQuantilesCombineFn
    # (apache/beam#26716; m27b 20)
    Example("elements_inherited_reduce.py", E({"BD117"}), args=("{out}/out.txt",)),
    Example("elements_inherited_reduce_fixed.py", args=("{out}/out.txt",)),
    # a Filter whose function never returns its decision: every element dropped
    Example("elements_filter_no_return.py", E({"BD334"}), args=("{out}/out.txt",)),
    Example("elements_filter_no_return_fixed.py", args=("{out}/out.txt",)),
    # parsed JSON grouped without a key: the shuffle's pair coder iterates the dict
    Example(
        "elements_json_groupbykey.py",
        E({"BD335"}),
        fails_with="Number of components does not match number of coders",
        args=("{out}/out.txt",),
    ),
    Example("elements_json_groupbykey_fixed.py", args=("{out}/out.txt",)),
    # an epoch in milliseconds read as seconds, then windowed: a window per element
    Example("elements_millis_timestamps.py", E({"BD336"}), args=("{out}/out.txt",)),
    Example("elements_millis_timestamps_fixed.py", args=("{out}/out.txt",)),
    # finish_bundle emits into the global window while its input is windowed (apache/beam#25014)
    Example(
        "elements_finish_bundle_window.py",
        E({"BD337"}),
        fails_with="Cannot convert GlobalWindow to apache_beam.utils.windowed_value._Interval",
        args=("{out}/out.txt",),
    ),
    Example("elements_finish_bundle_window_fixed.py", args=("{out}/out.txt",)),
    # FlatMap(lambda x: x) after GroupIntoBatches: the key and the batch (apache/beam#28716)
    Example("elements_flatmap_groups.py", E({"BD338"}), args=("{out}/out.txt",)),
    Example("elements_flatmap_groups_fixed.py", args=("{out}/out.txt",)),
    # accumulators of a script class made by a helper method (pangeo-forge-recipes#616)
    Example(
        "elements_accumulator_class.py",
        E({"BD302"}),
        fails_with="Can't pickle <class '__main__.Totals'>: attribute lookup Totals on __main__",
        args=("{out}/out.txt",),
    ),
    Example("elements_accumulator_class_fixed.py", args=("{out}/out.txt",)),
    # settings put on __main__ at launch, read back by worker code (spotify/klio's RunConfig)
    Example(
        "elements_main_setting.py",
        E({"BD201"}),
        fails_with="AttributeError: module '__main__' has no attribute 'settings'",
        args=("{out}/out.txt",),
    ),
    Example("elements_main_setting_fixed.py", args=("{out}/out.txt",)),
    Example(  # dill's saved main session carries them: it runs
        "elements_main_setting.py",
        library=DILL_LIBRARY,
        save_main_session=True,
        args=("{out}/out.txt",),
    ),
    # a combine's function that reads its argument as a list (m22 v04)
    Example(
        "elements_combine_mean.py",
        E({"BD325"}),
        fails_with="object of type '_ReiterableChain' has no len()",
        args=("{out}/out.txt",),
    ),
    Example("elements_combine_mean_fixed.py", args=("{out}/out.txt",)),
    # windowing that cannot do what is meant (m22 v22, v35)
    Example(
        "elements_flatten_windows.py",
        E({"BD326"}),
        fails_with="Invalid PaneInfoEncoding",
        args=("{out}/out.txt",),
    ),
    Example("elements_flatten_windows_fixed.py", args=("{out}/out.txt",)),
    Example("elements_window_no_timestamps.py", E({"BD327"}), args=("{out}/out.txt",)),
    Example("elements_window_no_timestamps_fixed.py", args=("{out}/out.txt",)),
    # BatchElements in the global window, then windows (apache/beam#27937; m27a 09)
    Example("elements_batch_rewindow.py", E({"BD327"}), args=("{out}/out.txt",)),
    Example("elements_batch_rewindow_fixed.py", args=("{out}/out.txt",)),
    # a schema field read from dicts (m22 v16)
    Example(
        "elements_groupby_dict_field.py",
        E({"BD328"}),
        fails_with="'dict' object has no attribute 'region'",
        args=("{out}/out.txt",),
    ),
    Example("elements_groupby_dict_field_fixed.py", args=("{out}/out.txt",)),
    # the first steps run on the elements the pipeline provides (m22 v09, v18, v20, v21)
    Example(
        "elements_header_line.py",
        E({"BD329"}),
        fails_with="invalid literal for int() with base 10: 'amount'",
        args=("{out}/out.txt",),
    ),
    Example("elements_header_line_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_partition_range.py",
        E({"BD329"}),
        fails_with="PartitionFn specified out-of-bounds partition index: 3 not in [0, 3)",
        args=("{out}/out.txt",),
    ),
    Example("elements_partition_range_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_side_lookup.py",
        E({"BD329"}),
        fails_with="KeyError: 'BR'",
        args=("{out}/out.txt",),
    ),
    Example("elements_side_lookup_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_combine_text.py",
        E({"BD329"}),
        fails_with="TypeError: unsupported operand type(s) for +: 'int' and 'str'",
        args=("{out}/out.txt",),
    ),
    Example("elements_combine_text_fixed.py", args=("{out}/out.txt",)),
    # ... a CoGroupByKey join where one side lacks a key (the left-join surprise)
    Example(
        "elements_cogroup_join.py",
        E({"BD329"}),
        fails_with="IndexError: list index out of range",
        args=("{out}/out.txt",),
    ),
    Example("elements_cogroup_join_fixed.py", args=("{out}/out.txt",)),
    # ... a value that does not parse, after a Reshuffle
    Example(
        "elements_reshuffle_parse.py",
        E({"BD329"}),
        fails_with="ValueError: could not convert string to float: 'n/a'",
        args=("{out}/out.txt",),
    ),
    Example("elements_reshuffle_parse_fixed.py", args=("{out}/out.txt",)),
    # ... a key the deterministic key coder refuses, made by a step (apache/beam#24665)
    Example(
        "elements_timestamp_key.py",
        E({"BD329"}),
        fails_with="Unable to deterministically encode 'Timestamp(",
        args=("{out}/out.txt",),
    ),
    Example("elements_timestamp_key_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_singleton_per_key.py",
        E({"BD329"}),
        fails_with="with more than one element accessed as a singleton view",
        args=("{out}/out.txt",),
    ),
    Example("elements_singleton_per_key_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_gz_plain.py",
        E({"BD330"}),
        fails_with="incorrect header check",
        args=("{out}/out.txt",),
    ),
    Example("elements_gz_plain_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_latin1_input.py",
        E({"BD330"}),
        fails_with="'utf-8' codec can't decode byte 0xe9",
        args=("{out}/out.txt",),
    ),
    Example("elements_latin1_input_fixed.py", args=("{out}/out.txt",)),
    # Avro rows whose timestamp-millis field the derived schema takes as INT64 (beam#31656)
    Example(
        "elements_avro_timestamp_rows.py",
        E({"BD330"}),
        # "an integer is required" (Beam 2.78); "... cannot be interpreted as an integer" (2.61)
        fails_with="an integer",
        args=("{out}/out.txt",),
    ),
    Example("elements_avro_timestamp_rows_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_uint64_key.py",
        E({"BD329"}),
        fails_with="Cannot estimate size for integer value '18446744073709551361'",
        args=("{out}/out.txt",),
    ),
    Example("elements_uint64_key_fixed.py", args=("{out}/out.txt",)),
    # a CombineFn that hands every key the same accumulator (m20 t33)
    Example("elements_shared_accumulator.py", E({"BD315"}), args=("{out}/out.txt",)),
    Example("elements_shared_accumulator_fixed.py", args=("{out}/out.txt",)),
    # a side input of another Pipeline object (professional-services' data_lake_to_mart)
    Example(
        "elements_side_other_pipeline.py",
        E({"BD332"}),
        fails_with="KeyError: 'ref_PCollection_PCollection_",
        args=("{out}/out.txt",),
    ),
    Example("elements_side_other_pipeline_fixed.py", args=("{out}/out.txt",)),
    # a process that yields and returns a list: the list is dropped (apache/beam#22969)
    Example("elements_generator_return.py", E({"BD331"}), args=("{out}/out.txt",)),
    Example("elements_generator_return_fixed.py", args=("{out}/out.txt",)),
    # a dead-letter tag the ParDo does not declare: dropped (apache/beam#19437)
    Example("elements_output_tag_undeclared.py", E({"BD333"}), args=("{out}/out.txt",)),
    Example("elements_output_tag_undeclared_fixed.py", args=("{out}/out.txt",)),
    Example(
        "elements_bytes_under_str.py",
        E({"BD308"}),
        fails_with="AttributeError: 'bytes' object has no attribute 'encode'",
        args=("{out}/out.txt",),
    ),
    Example("elements_bytes_under_str_fixed.py", args=("{out}/out.txt",)),
    Example("elements_declared_clean.py", args=("{out}/out.txt",)),
    Example(
        "elements_dofn_bytes_no_shuffle.py",
        E({"BD308"}),
        fails_with="AttributeError: 'bytes' object has no attribute 'encode'",
        args=("{out}/out.txt",),
    ),
    Example("elements_dofn_bytes_no_shuffle_fixed.py", args=("{out}/out.txt",)),
    # a Map whose function returns nothing, read by a later step (BD309)
    Example("elements_map_print.py", E({"BD309"}), args=("{out}/out.txt",)),
    Example("elements_map_print_fixed.py", args=("{out}/out.txt",)),
    # None only where a row lacks the key: a warning (this data has such a row)
    Example(
        "elements_get_under_int.py",
        E({"BD329"}),  # the Create's values take that path: run here, settled
        warnings=E({"BD308"}),
        fails_with="TypeError: an integer is required",
        args=("{out}/out.txt",),
    ),
    # 10. dill reopens a captured file by its relative path: empty on the worker, no error.
    # The dill this environment has: 0.3.1.1 as `dill` (tox dill), the newest as
    # `dill_unsafe` (tox dillnew); both pickle an open file by its path.
    Example("elements_dill_file.py", E({"BD105"}), library=DILL_LIBRARY, args=("{out}/out.txt",)),
    Example("elements_dill_file_fixed.py", library=DILL_LIBRARY, args=("{out}/out.txt",)),
    Example("elements_dill_file.py", warnings=E({"BD105"}), args=("{out}/out.txt",)),
]
# What the real run writes (sorted lines): the silent kinds are proven by their output.
# The codes of this file's kinds: none of them on a clean example or on Beam's own examples.
NEW_CODES = {
    "BD112",
    "BD305",
    "BD306",
    "BD308",
    "BD309",
    "BD310",
    "BD316",
    "BD317",
    "BD318",
    "BD319",
    "BD320",
    "BD331",
    "BD332",
    "BD333",
}
OUTPUTS = {
    "elements_enum_value_fixed-cloudpickle": ["a=['HIGH', 'LOW']", "b=['LOW']"],
    "elements_function_fixed-cloudpickle": ["a=[20, 40]", "b=[30]"],
    "elements_enum_helper_fixed-cloudpickle": ["404 WARN", "503 FAIL"],
    "elements_enum_key_cogbk_fixed-cloudpickle": ["EU 12", "US 5"],
    "elements_rowcoder_passthrough_fixed-cloudpickle": ["30", "30"],
    "elements_function_table_fixed-cloudpickle": ["price=['$3.50']", "share=['25%', '50%']"],
    f"elements_function_table-{DILL_LIBRARY}-save_main_session": [
        "price=['$3.50']",
        "share=['25%', '50%']",
    ],
    "loop_late_binding-cloudpickle": ["price=12", "qty=12"],  # price read the last column
    "loop_late_binding_fixed-cloudpickle": ["pprice=30", "pqty=12", "price=30", "qty=12"],
    "loop_groupby_keys-cloudpickle": ["2023|2023|4", "2024|2024|4"],  # both keys read "year"
    "loop_groupby_keys_fixed-cloudpickle": [
        "210000001|2023|2",
        "210000001|2024|2",
        "412000002|2023|2",
        "412000002|2024|2",
    ],
    "loop_late_binding_main-cloudpickle": ["price=12", "qty=12"],
    "loop_late_binding_main_fixed-cloudpickle": ["price=30", "qty=12"],
    f"loop_late_binding_main-{DILL_LIBRARY}-save_main_session": ["price=12", "qty=12"],
    f"loop_late_binding_main_fixed-{DILL_LIBRARY}-save_main_session": ["price=30", "qty=12"],
    "elements_schema_tuple_fixed-cloudpickle": ["a=1", "b=1"],
    "elements_schema_tuple_converted-cloudpickle": ["a=1", "b=1"],
    "elements_lossy_int-cloudpickle": ["a=2", "b=1"],  # 2.5 + 0.5 arrive as 2 + 0
    "elements_lossy_int_fixed-cloudpickle": ["a=3.0", "b=1.5"],
    "elements_lossy_int_combined-cloudpickle": ["a=3.0", "b=1.5"],  # lifted: summed as floats
    "elements_lossy_int_table-cloudpickle": ["u1=1", "u2=0"],  # 1.5 + 0.25 arrive as 1 + 0
    "elements_lossy_int_table_fixed-cloudpickle": ["u1=1.75", "u2=0.25"],
    "elements_none_under_bool-cloudpickle": ["a=[False, True]", "b=[False]"],  # None read as no
    "elements_none_under_bool_fixed-cloudpickle": ["a=[None, True]", "b=[False]"],
    "elements_none_under_int_fixed-cloudpickle": ["a=[1, None]", "b=[3]"],
    "elements_map_returns_none_fixed-cloudpickle": ["a=[1]", "b=[3]"],
    "elements_process_returns_dict_fixed-cloudpickle": ["ann=3", "bob=5"],
    "elements_map_generator-cloudpickle": ["0", "0"],  # each generator emptied on the way
    "elements_map_generator_fixed-cloudpickle": ["2", "4"],
    "elements_dict_view_fixed-cloudpickle": [
        "a=1",
        "b=1",
        "c=1",
        "u1:a,b,user",
        "u2:c,user",
        "user=2",
    ],
    "elements_generator_value-cloudpickle": ["a=", "b="],  # each generator emptied on the way
    "elements_generator_value_fixed-cloudpickle": ["x", "y", "z"],
    "elements_regex_match_fixed-cloudpickle": ["a:1", "b:2"],
    "elements_singleton_many_fixed-cloudpickle": ["109"],  # 9 > 7, plus the offset 100
    "elements_naive_timestamp_fixed-cloudpickle": ["1", "2"],  # 10:00-11:00 and 11:00-12:00
    "elements_asdict_rows_fixed-cloudpickle": ["ann=9.5", "bob=3.0"],
    "elements_combine_no_return_fixed-cloudpickle": ["a=[1, 3]", "b=[2]"],
    "elements_finish_bundle_plain_fixed-cloudpickle": ["a", "b", "c"],
    "elements_cogroup_unkeyed_fixed-cloudpickle": ["ann ['a@x'] ['111']", "bob ['b@x'] ['222']"],
    "elements_state_coder_fixed-cloudpickle": ["a:None->ann", "b:None->bob"],
    "elements_map_pair_args_fixed-cloudpickle": ["cat=2", "dog=1"],
    "elements_process_window_fixed-cloudpickle": ["5@0", "65@60"],
    "elements_setup_misspelled_fixed-cloudpickle": ["a:apple", "b:banana"],
    "elements_ptransform_setup_fixed-cloudpickle": ["ann", "bob"],
    "elements_dofn_no_process_fixed-cloudpickle": ["105.0", "210.0"],
    "elements_state_unkeyed_fixed-cloudpickle": ["cat:1", "the:1", "the:2"],
    "elements_inherited_reduce-cloudpickle": ["977=0.0"],  # the key and index rebuilt wrong
    "elements_inherited_reduce_fixed-cloudpickle": ["latency=50.0"],
    "elements_filter_no_return-cloudpickle": [],  # nothing kept: an empty file
    "elements_filter_no_return_fixed-cloudpickle": ["o1,250.0", "o3,100.0"],
    "elements_json_groupbykey_fixed-cloudpickle": ["ann=2", "bob=1"],
    "elements_millis_timestamps-cloudpickle": ["1"] * 6,  # a window per click
    "elements_millis_timestamps_fixed-cloudpickle": ["3", "3"],
    "elements_finish_bundle_window_fixed-cloudpickle": ["3", "3"],
    "elements_flatmap_groups-cloudpickle": ["None", "['o1', 'o2', 'o3']"],
    "elements_flatmap_groups_fixed-cloudpickle": ["o1", "o2", "o3"],
    "elements_accumulator_class_fixed-cloudpickle": ["ann=4.0", "bob=4.0"],
    "elements_main_setting_fixed-cloudpickle": ["t2", "t3"],
    f"elements_main_setting-{DILL_LIBRARY}-save_main_session": ["t2", "t3"],
    "elements_combine_mean_fixed-cloudpickle": ["a=2.5", "b=2.0"],
    "elements_flatten_windows_fixed-cloudpickle": ["c1", "c2", "v1"],
    "elements_window_no_timestamps-cloudpickle": ["ann,4"],  # one window: silently wrong
    "elements_window_no_timestamps_fixed-cloudpickle": ["ann,1", "ann,1", "ann,2"],
    "elements_batch_rewindow-cloudpickle": ["end:BR=2", "end:PT=4"],  # one window
    "elements_batch_rewindow_fixed-cloudpickle": [
        "0:BR=1",
        "0:PT=1",
        "120:BR=1",
        "120:PT=1",
        "60:PT=2",
    ],
    "elements_groupby_dict_field_fixed-cloudpickle": ["eu=7", "us=5"],
    "elements_header_line_fixed-cloudpickle": ["eu=7", "us=5"],
    "elements_partition_range_fixed-cloudpickle": ["4", "5", "6", "7", "8"],
    "elements_side_lookup_fixed-cloudpickle": ["1=Germany", "2=unknown", "3=France"],
    "elements_combine_text_fixed-cloudpickle": ["cake=4.00", "tea=3.75"],
    "elements_cogroup_join_fixed-cloudpickle": [
        "ann,ann@example.com,15",
        "bo,bo@example.com,5",
        "cy,,7",
    ],
    "elements_reshuffle_parse_fixed-cloudpickle": ["s1=20.5", "s3=19.0"],
    "elements_timestamp_key_fixed-cloudpickle": ["era5/01", "era5/02", "era5/03"],
    "elements_function_partial_fixed-cloudpickle": ["de=22.0", "us=15.0"],
    "elements_main_lookup_fixed-cloudpickle": ["click:a", "view:b"],
    "elements_singleton_per_key_fixed-cloudpickle": ["blue=1.0", "red=0.25", "red=0.5"],
    "elements_gz_plain_fixed-cloudpickle": ["CAT", "DOG"],
    "elements_latin1_input_fixed-cloudpickle": ["café", "tea"],
    "elements_avro_timestamp_rows_fixed-cloudpickle": ["u1=2.0", "u2=1.0"],
    "elements_uint64_key_fixed-cloudpickle": ["18446744073709551361=2", "7=1"],
    "elements_shared_accumulator-cloudpickle": ["a=[1, 2, 3]", "b=[1, 2, 3]"],  # mixed
    "elements_shared_accumulator_fixed-cloudpickle": ["a=[1, 3]", "b=[2]"],
    "elements_accumulator_function_fixed-cloudpickle": ["4 files: lst time"],
    "elements_side_other_pipeline_fixed-cloudpickle": ["Acme:3", "Acme:7", "Globex:1"],
    "elements_rowcoder_tagged_fixed-cloudpickle": ["u1=10", "u2=20"],
    "elements_generator_return-cloudpickle": ["a=1", "c=5"],  # b's readings dropped
    "elements_generator_return_fixed-cloudpickle": ["a=1", "b1=2", "b2=3", "b3=4", "c=5"],
    "elements_output_tag_undeclared-cloudpickle": ["rows:ann=34", "rows:cy=51"],  # lost
    "elements_output_tag_undeclared_fixed-cloudpickle": [
        "invalid:bo,x",
        "invalid:dee",
        "rows:ann=34",
        "rows:cy=51",
    ],
    "elements_bytes_under_str_fixed-cloudpickle": ["b'cat'=2", "b'dog'=1"],
    "elements_declared_clean-cloudpickle": ["a!=[2]", "b!=[1]"],
    "elements_dofn_bytes_no_shuffle_fixed-cloudpickle": ["b'cat'", "b'dog'"],
    "elements_map_print-cloudpickle": ["None", "None"],  # print's None, written as text
    "elements_map_print_fixed-cloudpickle": ["A", "B"],
    f"elements_dill_file-{DILL_LIBRARY}": ["cat=unknown", "emu=unknown"],  # read an empty file
    f"elements_dill_file_fixed-{DILL_LIBRARY}": ["cat=known", "emu=unknown"],
    "elements_dill_file-cloudpickle": ["cat=known", "emu=unknown"],  # by content: right
}

if not profile().refuses_single_outputs:  # Beam before 2.76 writes the characters
    OUTPUTS["elements_process_returns_str-cloudpickle"] = ["h", "i", "k", "o"]


def _param(example: Example):
    marks = []
    if example.library != "cloudpickle":
        marks.append(pytest.mark.skipif(not HAS_DILL, reason="dill runs in the tox 'dill' env"))
    return pytest.param(example, id=example.id, marks=marks)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = ExampleRuns(tmp_path_factory.mktemp("elements"), ELEMENT_EXAMPLES)
    yield runs
    runs.close()


@pytest.mark.slow
@pytest.mark.parametrize("example", [_param(e) for e in ELEMENT_EXAMPLES])
def test_check_predicts_the_real_run(example, runs):
    report = check_script(
        EXAMPLES / example.script, argv=example.pipeline_args(runs.out_dir(example))
    )
    assert {d.code for d in report.errors} == example.errors, report.diagnostics
    assert example.warnings <= {d.code for d in report.diagnostics}, report.diagnostics
    for d in report.diagnostics:
        if d.code in example.errors | example.warnings:
            assert d.file == str(EXAMPLES / example.script) and d.line and d.transform, d
            assert d.path and d.fix, d
    if example.fails_with and example.errors:  # check says what the worker will say
        assert any(example.fails_with in d.message for d in report.errors), report.errors

    runs.assert_real_run(example, OUTPUTS.get(example.id))


def _first(script: str, code: str) -> str:
    report = check_script(EXAMPLES / script, argv=["{out}/out.txt", *CLOUDPICKLE])
    (found,) = [d for d in report.diagnostics if d.code == code]
    return (
        f"{Path(script).name}:{found.line}: {found.code} [{found.severity.value}] {found.message}\n"
    )


KEYED = "elements_timestamp_key.py"


def test_errors_page_messages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "{out}/out.txt": the scripts write nothing at check time
    (tmp_path / "{out}").mkdir()
    check_golden("check_enum_value", _first("elements_enum_value.py", "BD302"))
    check_golden("check_function_in_element", _first("elements_function.py", "BD305"))
    if profile().refuses_single_outputs:  # the page shows Beam 2.76+'s words
        returned = _first("elements_process_returns_dict.py", "BD314")
        check_golden("check_process_returns_dict", returned)
    check_golden("check_dict_view", _first("elements_dict_view.py", "BD316"))
    check_golden("check_loop_late_binding", _first("loop_late_binding.py", "BD112"))
    if LISTS:  # the page shows the message of the Beams that give a list back
        check_golden("check_schema_tuple", _first("elements_schema_tuple.py", "BD306"))
    check_golden("check_lossy_int", _first("elements_lossy_int.py", "BD306"))
    check_golden("check_map_returns_none", _first("elements_map_returns_none.py", "BD308"))
    check_golden("check_map_print", _first("elements_map_print.py", "BD309"))
    check_golden("check_header_line", _first("elements_header_line.py", "BD329"))
    check_golden("check_generator_return", _first("elements_generator_return.py", "BD331"))
    check_golden("check_side_other_pipeline", _first("elements_side_other_pipeline.py", "BD332"))
    check_golden("check_output_tag", _first("elements_output_tag_undeclared.py", "BD333"))
    check_golden("check_inherited_reduce", _first("elements_inherited_reduce.py", "BD117"))
    check_golden("check_filter_no_return", _first("elements_filter_no_return.py", "BD334"))
    check_golden("check_json_groupbykey", _first("elements_json_groupbykey.py", "BD335"))
    check_golden("check_millis_timestamps", _first("elements_millis_timestamps.py", "BD336"))
    check_golden("check_finish_bundle_window", _first("elements_finish_bundle_window.py", "BD337"))
    check_golden("check_flatmap_groups", _first("elements_flatmap_groups.py", "BD338"))
    # the key is the moment check ran it: the page shows it as Timestamp(...), with the
    # words of the Beams that name __setstate__ (the newest)
    refused = re.sub(r"Timestamp\([0-9.]+\)", "Timestamp(...)", _first(KEYED, "BD329"))
    if "but not __setstate__" in refused:
        check_golden("check_timestamp_key", refused)


@pytest.mark.parametrize(
    "script",
    [
        "clean_basic.py",
        "clean_self_contained.py",
        "clean_script_classes.py",
        "clean_script_keys.py",
    ],
)
def test_no_new_finding_on_clean_examples(script, tmp_path):
    args = ["--output", f"{tmp_path}/t.txt"] if script == "clean_basic.py" else [f"{tmp_path}/o"]
    report = check_script(EXAMPLES / script, argv=args + CLOUDPICKLE)
    assert not NEW_CODES & {d.code for d in report.diagnostics}
    assert not [d for d in report.errors if d.code in ("BD302", "BD105")]


@pytest.mark.parametrize("script, args", BEAM_EXAMPLES, ids=[s for s, _ in BEAM_EXAMPLES])
def test_no_new_finding_on_beams_examples(script, args, tmp_path):
    text = tmp_path / "kinglear.txt"
    text.write_text("the cat sat on the mat\nthe dog ate the cat\n")
    argv = [a.replace("{in}", str(text)).replace("{out}", str(tmp_path)) for a in args]
    report = check_script(EXAMPLES / "beam" / script, argv=argv + CLOUDPICKLE)
    assert not NEW_CODES & {d.code for d in report.diagnostics}


class Level:  # stands for a script class in the unit tests below
    HIGH = 2


def yields_member(row):
    yield row[0], {"level": Level.HIGH}


def fills_a_dict(row):
    out = {"k": row[0]}
    out["level"] = Level.HIGH
    yield row[0], out


def yields_the_value(row):
    yield row[0], Level.HIGH.value


def test_enum_members_are_emitted_values():
    assert emitted_constructors(yields_member)["Level"] == {"value"}
    assert emitted_constructors(fills_a_dict)["Level"] == {"value"}
    assert "Level" not in emitted_constructors(yields_the_value)


def emits_local(row):
    def scale(x):
        return x * row[1]

    yield row[0], (row[1], scale)


def uses_local(row):
    def scale(x):
        return x * row[1]

    yield row[0], scale(10)


def emits_builtin(row):
    yield row[0], len


def emits_lambda_key(row):
    yield (lambda: 1), row


def _in_main(source: str, name: str):
    """A function as a script defines it (its module is ``__main__``)."""
    namespace = {"__name__": "__main__"}
    exec(source, namespace)
    return namespace[name]


_UPPER = _in_main("def upper(s):\n    return s.upper()\n", "upper")
TABLE = {"upper": _UPPER}
MIXED_TABLE = {"upper": _UPPER, "length": len}


def picks_from_a_table(row):
    handler = TABLE.get(row[1])
    yield row[0], (handler, row[2])


def picks_from_a_mixed_table(row):
    yield row[0], (MIXED_TABLE[row[1]], row[2])


def applies_from_a_table(row):
    yield row[0], TABLE[row[1]](row[2])


def emits_a_partial(row):
    yield row[0], (row[2], functools.partial(_UPPER, row[1]))


def emits_a_partial_of_a_builtin(row):
    yield row[0], (row[2], partial(operator.mul, row[1]))


def test_functions_in_elements():
    assert emitted_functions(emits_local) == [("local", "emits_local.<locals>.scale")]
    # a partial pickles its function by name inside it (m24 f43)
    assert emitted_functions(emits_a_partial) == [("script", "upper")]
    assert emitted_functions(emits_a_partial_of_a_builtin) == []
    assert emitted_functions(picks_from_a_table) == [("script", "upper")]
    # a table that also holds an importable function may give one that pickles: not claimed
    assert emitted_functions(picks_from_a_mixed_table) == []
    assert emitted_functions(applies_from_a_table) == []  # only its result travels
    assert emitted_functions(uses_local) == []  # only its result travels
    assert emitted_functions(emits_builtin) == []  # pickled by reference: fine
    assert emitted_functions(emits_lambda_key) == []  # keys take the deterministic coder


def _keyed_read(k, spans):
    return len({s.span for s in spans})


def _keyed_in_tuple(k, spans):
    return {(k, s.span): 1 for s in spans}


def _compared(k, spans):
    return [s for s in spans if s.span == (1, 2)]


def _looked_up(k, spans, seen):
    return [s for s in spans if s.span not in seen]


def _compared_safely(k, spans):
    return [
        s for s in spans for t in spans if s.span == t.span and 1 in s.span and s.span is not None
    ]


def _converted(k, spans):
    return len({tuple(s.span) for s in spans}), [x for s in spans for x in s.span], spans[0].span[0]


def _formatted(k, spans):
    return [f"{s.span}" for s in spans]


def test_how_the_code_after_a_shuffle_reads_a_schema_field():
    """BD306 on a schema's tuple field is an error only where the field is hashed or
    compared as RowCoder gives it (a list), nothing where every read converts it."""
    from beam_deps.check.detectors.declared_types import _field_use

    assert _field_use(_keyed_read, "span") == "keyed"
    assert _field_use(_keyed_in_tuple, "span") == "keyed"
    assert _field_use(_compared, "span") == "keyed"
    assert _field_use(_looked_up, "span") == "keyed"
    assert _field_use(_compared_safely, "span") == "unknown"  # list or tuple: the same
    assert _field_use(_converted, "span") == "converted"
    assert _field_use(_formatted, "span") == "unknown"
    assert _field_use(_converted, "other") == "unknown"  # no read seen


FORMATTED = """\
import sys
import typing
import apache_beam as beam


class Span(typing.NamedTuple):
    name: str
    span: typing.Tuple[int, int]


beam.coders.registry.register_coder(Span, beam.coders.RowCoder)
KV = typing.Tuple[str, Span]
with beam.Pipeline(argv=sys.argv[1:]) as p:
    (p | beam.Create([("a", 1)])
       | beam.Map(lambda r: (r[0], Span(r[0], (r[1], 2)))).with_output_types(KV)
       | beam.GroupByKey()
       | beam.MapTuple(lambda k, spans: [f"{s.span}" for s in spans]))
"""


def test_a_schema_field_used_otherwise_is_a_warning(tmp_path):
    """Formatted, the list shows as [1, 2]: said, as a warning (not a crash: the catalogue
    allows BD306 both severities)."""
    script = tmp_path / "formatted.py"
    script.write_text(FORMATTED)
    found = [d for d in check_script(script).diagnostics if d.code == "BD306"]
    if not LISTS:  # Beam 2.78+ gives the tuple back: nothing to say
        assert found == []
        return
    assert [d.severity.value for d in found] == ["warning"], found


def _sampled(source: str):
    import ast

    from beam_deps.check.detectors.value_types import UNKNOWN, sample

    value = sample(ast.parse(source, mode="eval").body)
    return "?" if value is UNKNOWN else value


def test_what_an_expression_is_known_to_be():
    """BD306/BD308 put only values whose type the code fixes through the coder: a literal,
    an f-string, s.encode(), a true division; a name, an item or a call of the user's own
    function could be anything, so it is never claimed."""
    assert _sampled("None") is None
    assert _sampled("'a'") == "a" and _sampled("f'{x}!'") == "text"
    assert _sampled("word.lower().encode('utf-8')") == b"data"
    assert _sampled("payload.decode('utf-8')") == "text" and _sampled("str(x)") == "text"
    # encode/decode of any other object (a tokenizer, geohash) may give anything
    assert _sampled("payload.decode()") == "?" and _sampled("vocab.encode(text)") == "?"
    assert _sampled("'%.1f%%' % (100 * v / 7)") == "text"  # text, whatever the float in it
    assert _sampled("line.split(',')[1:]") == "?"  # a slice of the pieces is a list
    assert _sampled("'%s-%s' % (a, b)") == "text" and _sampled("', '.join(xs)") == "text"
    assert _sampled("kv[1] / 2") == 2.7 and _sampled("len(xs)") == 1
    # a str/bytes method's type, fixed by a literal argument (only bytes split on b",")
    assert _sampled("line.split(b',')[0]") == b"data" and _sampled("b'>' + x") == b"data"
    assert _sampled("x.replace(b'a', b'b')") == b"data" and _sampled("x.strip('-')") == "text"
    assert _sampled("x.split(sep)[0]") == "?" and _sampled("x.replace('a', b'b')") == "?"
    for unknown in ("x", "row['count']", "parse(x)", "x.strip()", "a + b", "x.join(y)"):
        assert _sampled(unknown) == "?", unknown


def _ends(source: str) -> bool:
    import ast
    import textwrap

    from beam_deps.check.detectors.function_source import falls_through

    return falls_through(ast.parse(textwrap.dedent(source)).body[0].body)


def test_where_a_map_function_returns_none():
    """The implicit None of a Map is claimed only where a way through the def reaches its
    end: an if without else, a try whose handler does not return; never after a loop that
    returns from inside, a match, or an endless while."""
    assert _ends("def f(x):\n    if x:\n        return 1\n")
    assert _ends(
        "def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        pass\n"
    )
    assert _ends("def f(x):\n    print(x)\n")
    assert not _ends("def f(x):\n    if x:\n        return 1\n    else:\n        return 2\n")
    assert not _ends("def f(x):\n    if x:\n        return 1\n    raise ValueError(x)\n")
    assert not _ends(
        "def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        return 0\n"
    )
    assert not _ends("def f(x):\n    for y in x:\n        return y\n")
    assert not _ends("def f(x):\n    while True:\n        return x\n")
    assert not _ends("def f(x):\n    with open(x) as f:\n        return f.read()\n")


def test_the_coder_decides_what_is_refused_or_changed():
    """The outcome is Beam's own coder's, the compiled one the worker runs."""
    from apache_beam.coders import coders

    from beam_deps.check.detectors.value_types import round_trip

    assert round_trip(coders.VarIntCoder(), None) == (
        "rejected",
        "TypeError: an integer is required",
    )
    assert round_trip(coders.VarIntCoder(), 2.7) == ("changed", "2.7 arrives as 2")
    assert round_trip(coders.BooleanCoder(), None) == ("changed", "None arrives as False")
    assert round_trip(coders.BytesCoder(), "text") == (
        "rejected",
        "TypeError: Expected bytes, got str",
    )
    assert round_trip(coders.FloatCoder(), 1) is None  # 1 arrives as 1.0: equal, not claimed
    assert round_trip(coders.NullableCoder(coders.VarIntCoder()), None) is None


def test_a_value_no_shuffle_encodes_meets_only_the_size_estimate():
    """m22p: a DoFn declared to give Tuple[str, str] that yields one str, into WriteToText.
    No shuffle encodes its elements (the sink's own GroupByKey moves file names), and the
    size estimate of a str under a tuple coder reads its first characters: the job runs, and
    BD308 is not said. Through a GroupByKey the encoding fails, and it is."""
    import typing

    import apache_beam as beam
    from apache_beam.coders import coders

    from beam_deps.check.detectors.declared_types import declared_value_diagnostics
    from beam_deps.check.detectors.value_types import estimate_error, round_trip

    pair = coders.TupleCoder([coders.StrUtf8Coder(), coders.StrUtf8Coder()])
    assert round_trip(pair, "text")[0] == "rejected"
    assert estimate_error(pair, "text") is None
    assert estimate_error(coders.VarIntCoder(), None) is not None

    def codes(after) -> list[str]:
        p = beam.Pipeline()
        info = beam.Map(lambda x: f"value {x}").with_output_types(typing.Tuple[str, str])  # noqa: UP006
        after(p | beam.Create([1]) | info)
        return [d.code for d in declared_value_diagnostics(p)]

    assert codes(lambda info: info | beam.io.WriteToText("/nonexistent/out")) == []
    assert codes(lambda info: info | beam.GroupByKey()) == ["BD308"]


def test_which_map_functions_return_none_for_every_element():
    """BD309 claims None only where the function surely gives it: print, a logger, a list's
    mutating method, a def without a return value; never np.append (it returns an array),
    and never a callable object it cannot read (no crash on an unhashable one either)."""
    import dataclasses
    import logging

    import numpy as np

    from beam_deps.check.detectors.none_elements import _returns_none

    seen: list = []
    log = logging.getLogger("t")

    @dataclasses.dataclass
    class Scale:  # unhashable (eq without frozen), callable
        factor: int

        def __call__(self, x):
            return x * self.factor

    def effect(x):
        seen.append(x)

    assert _returns_none(print) == "print returns None"
    assert _returns_none(log.info) is not None and _returns_none(logging.info) is not None
    assert _returns_none(lambda x: seen.append(x)) == "seen.append() returns None"
    assert _returns_none(effect) is not None
    assert _returns_none(lambda a: np.append(a, 0)) is None
    assert _returns_none(Scale(2)) is None
    assert _returns_none(lambda x: x * 2) is None


def test_a_declared_map_returning_nothing_is_one_finding(tmp_path):
    """``def show(x) -> int: print(x)`` read by a sink: the worker fails on the first None
    (VarIntCoder refuses it, BD308), so no None reaches the sink for BD309 to describe."""
    script = tmp_path / "declared_print.py"
    script.write_text(
        "import sys\n"
        "import apache_beam as beam\n"
        "\n"
        "def show(x) -> int:\n"
        "    print(x)\n"
        "\n"
        "with beam.Pipeline(argv=sys.argv[2:]) as p:\n"
        "    p | beam.Create([1, 2]) | beam.Map(show) | beam.io.WriteToText(sys.argv[1])\n"
    )
    report = check_script(script, argv=[str(tmp_path / "out.txt"), *CLOUDPICKLE])
    assert [d.code for d in report.errors] == ["BD308"], report.diagnostics
    assert "BD309" not in {d.code for d in report.diagnostics}


_PARTIAL_SCRIPT = """
import functools
import sys

import apache_beam as beam

_TOKENIZER = None


class Tokenizer:
    def split(self, text):
        return text.split(".")


def _load():
    return Tokenizer()  # a per-process helper, never emitted


def _sentences(text):
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = _load()
    return _TOKENIZER.split(text)


def clean(page, minimum):
    if len(_sentences(page)) >= minimum:
        yield page.lower(), 1


def wrap(page, minimum):
    yield page, Tokenizer()


with beam.Pipeline(argv=sys.argv[2:]) as p:
    (p | beam.Create(["A. B.", "C"])
       | beam.FlatMap(functools.partial({fn}, minimum=2))
       | beam.GroupByKey())
"""


@pytest.mark.parametrize("fn, errors", [("clean", set()), ("wrap", {"BD302"})])
def test_a_partial_emits_what_its_function_emits(fn, errors, tmp_path):
    """The C4 cleaner of tensorflow/datasets (m27b 08): a FlatMap of ``partial(clean, ...)``
    whose helper makes a script class's object for its own use. The partial's function is
    the step's output function: what it yields counts, not every function it reaches."""
    script = tmp_path / "partial_step.py"
    script.write_text(_PARTIAL_SCRIPT.replace("{fn}", fn))
    report = check_script(script, argv=["out", *CLOUDPICKLE])
    assert {d.code for d in report.errors} == errors, report.diagnostics
