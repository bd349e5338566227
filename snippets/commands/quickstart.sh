# Commands shown on the website. tests/test_website.py parses every `beam-deps` line with
# the real argparse parser, so an option that does not exist fails CI.

# --8<-- [start:install]
pip install beam-deps
# --8<-- [end:install]

# --8<-- [start:check]
beam-deps check wordcount.py -- --runner=DataflowRunner --project=my-project
# --8<-- [end:check]

# --8<-- [start:check-ci]
beam-deps check pipeline.py --format github -- --runner=DataflowRunner
beam-deps check pipeline.py --format sarif > beam-deps.sarif
# --8<-- [end:check-ci]

# --8<-- [start:stage]
beam-deps stage wordcount.py --out build/staging
# --8<-- [end:stage]

# --8<-- [start:run]
beam-deps run wordcount.py -- --runner=DataflowRunner --project=my-project --region=us-central1
# --8<-- [end:run]

# --8<-- [start:explain]
beam-deps explain BD402
beam-deps explain --list
# --8<-- [end:explain]
