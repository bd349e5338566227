# Commands shown on the website. tests/test_website.py parses every `beam-deps` line with
# the real argparse parser, so an option that does not exist fails CI. The `check` line is
# what tests/test_snippets.py runs for tests/golden/check_wordcount.txt (case check_wordcount).

# --8<-- [start:install]
# in a checkout of the beam-deps repository (the README's first command starts the same way)
python3 -m venv .venv && .venv/bin/pip install .
# --8<-- [end:install]

# --8<-- [start:check]
beam-deps check wordcount.py -- --runner=DirectRunner
# --8<-- [end:check]

# --8<-- [start:check-ci]
beam-deps check pipeline.py --format github -- --runner=DataflowRunner --project=my-project --region=us-central1 --temp_location=gs://my-bucket/tmp
beam-deps check pipeline.py --format sarif > beam-deps.sarif
# --8<-- [end:check-ci]

# --8<-- [start:stage]
beam-deps stage wordcount.py --out build/staging
# --8<-- [end:stage]

# --8<-- [start:run]
beam-deps run wordcount.py --out build/staging -- --runner=DirectRunner
# --8<-- [end:run]

# --8<-- [start:explain]
beam-deps explain BD402
beam-deps explain --list
# --8<-- [end:explain]
