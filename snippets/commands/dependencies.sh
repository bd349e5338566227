# Commands of the "Managing pipeline dependencies" page (parsed by tests/test_website.py).

# --8<-- [start:beam-requirements]
python pipeline.py --runner=DataflowRunner --requirements_file=requirements.txt
# --8<-- [end:beam-requirements]

# --8<-- [start:beam-setup-file]
python pipeline.py --runner=DataflowRunner --setup_file=./setup.py
# --8<-- [end:beam-setup-file]

# --8<-- [start:beam-extra-package]
python -m build --wheel
python pipeline.py --runner=DataflowRunner --extra_package=dist/mylib-1.0-py3-none-any.whl
# --8<-- [end:beam-extra-package]

# --8<-- [start:beam-container]
python pipeline.py --runner=DataflowRunner --sdk_container_image=us-docker.pkg.dev/my-project/beam/worker:1
# --8<-- [end:beam-container]

# --8<-- [start:stage]
beam-deps requirements pipeline.py
beam-deps package list pipeline.py --verbose
beam-deps stage pipeline.py --out build/staging --wheelhouse
# --8<-- [end:stage]

# --8<-- [start:stage-json]
beam-deps stage pipeline.py --out build/staging --format json
# --8<-- [end:stage-json]

# --8<-- [start:run]
beam-deps run pipeline.py -- --runner=DataflowRunner --project=my-project --region=us-central1 --temp_location=gs://my-bucket/tmp
# --8<-- [end:run]

# --8<-- [start:environments]
beam-deps run pipeline.py -- --runner=PortableRunner --job_endpoint=localhost:8099 --environment_type=EXTERNAL --environment_config=localhost:50000
# --8<-- [end:environments]
