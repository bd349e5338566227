"""Survey: `beam-deps check` over Beam's own example pipelines gives no false error.

Beam ships ~200 example scripts (``apache_beam/examples``, with the transform snippets under
``examples/snippets``): pipelines nobody here wrote, in every style Beam documents (side
inputs, combiners, DataFrames, custom transforms, coders, streaming sinks, setup.py
packages). Every one that can be built on a machine without cloud services is checked here
with realistic arguments (an input file written for it, outputs in a temporary folder), and
none may report an error: a false error makes users uninstall the tool.

Scripts are found by walking the installed ``apache_beam/examples`` (any script with a
``__main__`` guard that is not a test), so a new Beam's new examples are surveyed without a
change here. The ones that cannot be built locally are listed in ``EXCLUDED``, each with the
reason found by running it. Checks run in two worker processes (the machine's cores); each
check takes 1-4 s: about 2 minutes for the whole survey on an idle two-core machine
(``-k`` runs only the selected scripts).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path

import apache_beam
import pytest

EXAMPLES = Path(apache_beam.__file__).parent / "examples"

_GCP = "needs Google Cloud (BigQuery / Datastore / Pub/Sub client libraries and a project)"
_JAVA = "a cross-language transform: needs Beam's Java expansion service (downloads a jar)"
_STREAM = "reads Pub/Sub: needs Google Cloud and a topic"

# Scripts that cannot be built without cloud services, servers or packages this test
# environment does not install (decided by running each one). Everything else is surveyed.
EXCLUDED: dict[str, str] = {
    # Google Cloud services
    "cookbook/bigquery_schema.py": _GCP,
    "cookbook/bigquery_side_input.py": _GCP,
    "cookbook/bigquery_tornadoes.py": _GCP,
    "cookbook/filters.py": _GCP + " (reads a BigQuery weather table)",
    "cookbook/datastore_wordcount.py": _GCP + " (Datastore; cachetools)",
    "complete/game/hourly_team_score.py": _GCP + " (writes BigQuery: --dataset required)",
    "complete/game/game_stats.py": _STREAM,
    "complete/game/leader_board.py": _STREAM,
    "dataframe/flight_delays.py": _GCP + " (reads a BigQuery public dataset)",
    "streaming_wordcount.py": _STREAM,
    "streaming_wordcount_debugging.py": _STREAM,
    "windowed_wordcount.py": _STREAM,
    "inference/table_row_inference_utils.py": _STREAM + " (and scikit-learn)",
    # Beam 2.78: not pipelines (each reads one file or one secret and prints it)
    "secret_manager/aws_credentials_s3_read.py": "not a pipeline: reads one S3 file with "
    "FileSystems and prints it (check says so: it builds no pipeline)",
    "secret_manager/aws_credentials_secret_read.py": "not a pipeline: reads AWS credentials "
    "from Google Cloud Secret Manager and prints them",
    # other servers
    "kafkataxi/kafka_taxi.py": "needs a Kafka server (and Java for the Kafka transform)",
    "sql_taxi.py": _JAVA,
    "wordcount_xlang.py": _JAVA,
    "wordcount_xlang_sql.py": _JAVA,
    # a bug of the example itself: check's BD002 is true (plain `python` fails the same way)
    "sinks/test_periodicimpulse.py": "the script itself raises AttributeError: it uses "
    "beam.transforms.periodicsequence without importing it (check reports it: BD002)",
    # optional packages not installed in the test environment (ML frameworks, model servers)
    "california_housing_clustering.py": "needs joblib and scikit-learn",
    "complete/distribopt.py": "needs scipy",
    "per_entity_training.py": "needs scikit-learn",
    "snippets/snippets_examples_wordcount_debugging.py": "a test helper: needs mock",
    "snippets/transforms/elementwise/runinference_sklearn_keyed_model_handler.py": (
        "needs scikit-learn and a model on GCS"
    ),
    "snippets/transforms/elementwise/runinference_sklearn_unkeyed_model_handler.py": (
        "needs scikit-learn and a model on GCS"
    ),
    "ml_transform/ml_transform_basic.py": "needs tensorflow-transform",
    "ml_transform/mltransform_generate_vocab.py": "needs tensorflow-transform",
    "ml_transform/mltransform_image_embedding.py": "needs sentence-transformers and images",
    "ml_transform/mltransform_one_hot_encoding.py": "needs tensorflow-transform",
    "ml_transform/mltransform_text_embedding.py": "needs sentence-transformers",
    "ml_transform/vocab_tfidf_processing.py": "needs tensorflow-transform",
    # RunInference: each needs its ML framework and a model file or endpoint in the cloud
    "inference/gemini_image_generation.py": "needs google-genai and a Gemini API key",
    "inference/gemini_text_classification.py": "needs google-genai and a Gemini API key",
    "inference/huggingface_language_modeling.py": "needs torch and transformers",
    "inference/huggingface_question_answering.py": "needs tensorflow and transformers",
    "inference/milk_quality_prediction_windowing.py": "needs scikit-learn",
    "inference/onnx_sentiment_classification.py": "needs torch and onnxruntime",
    "inference/pytorch_image_captioning.py": "needs torch and Google Cloud clients",
    "inference/pytorch_image_classification.py": "needs torch",
    "inference/pytorch_image_classification_with_side_inputs.py": "needs torch",
    "inference/pytorch_image_object_detection.py": "needs torch",
    "inference/pytorch_image_segmentation.py": "needs torch",
    "inference/pytorch_imagenet_rightfit.py": "needs torch",
    "inference/pytorch_language_modeling.py": "needs torch",
    "inference/pytorch_model_per_key_image_segmentation.py": "needs torch",
    "inference/pytorch_sentiment.py": "needs torch and Google Cloud clients",
    "inference/rate_limiter_vertex_ai.py": _GCP + " (Vertex AI)",
    "inference/runinference_metrics/main.py": "needs torch",
    "inference/sklearn_japanese_housing_regression.py": "needs scikit-learn",
    "inference/sklearn_mnist_classification.py": "needs scikit-learn",
    "inference/table_row_batch_example.py": "needs scikit-learn (exits 1 without it)",
    "inference/table_row_inference.py": "needs scikit-learn",
    "inference/tensorflow_imagenet_segmentation.py": "needs tensorflow",
    "inference/tensorflow_mnist_classification.py": "needs tensorflow",
    "inference/tensorflow_mnist_with_weights.py": "needs tensorflow",
    "inference/tensorrt_object_detection.py": "needs TensorRT and a GPU engine file",
    "inference/tensorrt_text_classification.py": "needs TensorRT and transformers",
    "inference/tfx_bsl/tensorflow_image_classification.py": "needs tensorflow and tfx-bsl",
    "inference/vertex_ai_image_classification.py": _GCP + " (Vertex AI; tensorflow)",
    "inference/vertex_ai_llm_text_classification.py": _GCP + " (Vertex AI)",
    "inference/vllm_gemma_batch.py": "needs vLLM (openai client) and a GPU",
    "inference/vllm_text_completion.py": "needs vLLM (openai client) and a GPU",
    "inference/xgboost_iris_classification.py": "needs xgboost and scipy",
}

TEXT = "the cat sat on the mat\nthe dog ate the cat\nKING LEAR: what, my lord?\n"

# Arguments per script where the generic ``--input FILE --output DIR/out`` does not fit.
ARGS: dict[str, list[str]] = {
    # reads JSON records (check runs its first steps on them: text would fail as it does on
    # a worker, "JSONDecodeError")
    "cookbook/coders.py": ["--input", "{dir}/matches.json", "--output", "{out}/out"],
    "complete/tfidf.py": ["--uris", "{dir}/docs/*", "--output", "{out}/tfidf"],
    "complete/juliaset/juliaset_main.py": [
        "--coordinate_output",
        "{out}/julia",
        "--grid_size",
        "10",
    ],
    "cookbook/mergecontacts.py": [
        "--input_email",
        "{dir}/email.tsv",
        "--input_phone",
        "{dir}/phone.tsv",
        "--input_snailmail",
        "{dir}/snailmail.tsv",
        "--output_tsv",
        "{out}/merged.tsv",
        "--output_stats",
        "{out}/stats",
    ],
    "matrix_power.py": [
        "--input_matrix",
        "{dir}/matrix.txt",
        "--input_vector",
        "{dir}/vector.txt",
        "--output",
        "{out}/power",
        "--exponent",
        "3",
    ],
    "dataframe/taxiride.py": [
        "--input",
        "{dir}/rides.csv",
        "--zone_lookup",
        "{dir}/zones.csv",
        "--output",
        "{out}/taxi",
    ],
    # Beam's DataFrame API needs pandas on the workers: apache-beam's `dataframe` extra, which
    # every SDK image has, and which a local worker has here (the local model is apache-beam
    # as installed, satisfied extras included), so nothing needs staging.
    "dataframe/wordcount.py": [
        "--input",
        "{input}",
        "--output",
        "{out}/counts",
    ],
    "wordcount_dataframe.py": [
        "--input",
        "{input}",
        "--output",
        "{out}/counts",
    ],
    # Beam 2.78: the local decision model (the default one calls a web API with a key)
    "inference/decision_models/fraud_review.py": [
        "--model",
        "local",
        "--primitive",
        "both",
        "--dead-letter-dir",
        "{out}/dead",
    ],
    "inference/decision_models/message_router.py": [
        "--model",
        "local",
        "--output-dir",
        "{out}/routed",
    ],
}


def _write_inputs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.txt").write_text(TEXT)
    (folder / "docs").mkdir(exist_ok=True)
    (folder / "docs" / "a.txt").write_text(TEXT)
    (folder / "docs" / "b.txt").write_text("the end\n")
    (folder / "email.tsv").write_text("alice\talice@example.com\n")
    (folder / "phone.tsv").write_text("alice\t555-0100\n")
    (folder / "snailmail.tsv").write_text("alice\t1 Main St\n")
    (folder / "matrix.txt").write_text("0: 1 2\n1: 3 4\n")
    (folder / "vector.txt").write_text("1 1\n")
    (folder / "rides.csv").write_text("DOLocationID,passenger_count\n1,2\n2,1\n")
    (folder / "zones.csv").write_text("LocationID,Borough\n1,Queens\n2,Bronx\n")
    (folder / "matches.json").write_text(
        '{"host": ["Italy", 3], "guest": ["Brazil", 1]}\n'
        '{"host": ["Brazil", 2], "guest": ["Spain", 2]}\n'
    )


def discover() -> list[str]:
    """Every example script with a ``__main__`` guard that is not a test, relative to
    ``apache_beam/examples``."""
    found = []
    for path in sorted(EXAMPLES.rglob("*.py")):
        if path.name.endswith(("_test.py", "_it.py")) or path.name == "__init__.py":
            continue
        if "__main__" not in path.read_text(encoding="utf-8", errors="replace"):
            continue
        found.append(path.relative_to(EXAMPLES).as_posix())
    return found


def surveyed() -> list[str]:
    return [name for name in discover() if name not in EXCLUDED]


def pipeline_args(name: str, folder: Path) -> list[str]:
    out = folder / "out" / name.replace("/", "_").removesuffix(".py")
    out.mkdir(parents=True, exist_ok=True)
    args = ARGS.get(name, ["--input", "{input}", "--output", "{out}/out"])
    fill = {"{dir}": str(folder), "{out}": str(out), "{input}": str(folder / "input.txt")}
    filled = []
    for arg in args:
        for key, value in fill.items():
            arg = arg.replace(key, value)
        filled.append(arg)
    return [*filled, "--pickle_library=cloudpickle"]


def _check_one(name: str, folder: str) -> tuple[str, list[str]]:
    """In a pool process: check one example; its errors (and analysis notes) as lines."""
    from beam_deps.check import check_script

    argv = pipeline_args(name, Path(folder))
    os.chdir(folder)
    report = check_script(EXAMPLES / name, argv=argv, timeout=240)
    bad = [d for d in report.diagnostics if d in report.errors or d.code == "BD001"]
    return name, [f"{d.code} {d.path}: {d.message}" for d in bad]


@pytest.fixture(scope="module")
def survey(request, tmp_path_factory) -> dict[str, list[str]]:
    """Every selected example checked, two at a time (``-k`` checks only those selected)."""
    folder = tmp_path_factory.mktemp("beam_examples")
    _write_inputs(folder)
    names = _selected(request)
    # spawn: fresh interpreters (forking a process that runs grpc threads can hang)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [pool.submit(_check_one, name, str(folder)) for name in names]
        return dict(f.result() for f in futures)


def _selected(request) -> list[str]:
    names = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and "name" in callspec.params:
            names.append(callspec.params["name"])
    return names


def test_the_survey_covers_beams_examples():
    """Most of Beam's examples are surveyed, and every exclusion still names a script."""
    found = discover()
    assert len(surveyed()) >= 120, len(surveyed())
    stale = [name for name in EXCLUDED if name not in found]
    assert not stale, f"excluded scripts Beam no longer ships: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("name", surveyed())
def test_beam_example_has_no_error(name, survey):
    assert survey[name] == [], "\n".join(survey[name])
