# Commands of the "Running workers" page. tests/test_website.py checks them against the code:
# `beam-deps` and `beam-deps-boot` lines with their real parsers, Beam's options with Beam.

# --8<-- [start:worker-pool]
python -m apache_beam.runners.worker.worker_pool_main \
    --service_port=50000 \
    --container_executable="$(command -v beam-deps-boot)"
# --8<-- [end:worker-pool]

# --8<-- [start:submit]
beam-deps stage pipeline.py --out build/staging --wheelhouse --format json -- <pipeline args>
python pipeline.py <pipeline args> \
    --runner=PortableRunner --job_endpoint=embed \
    --environment_type=EXTERNAL --environment_config=localhost:50000 \
    <the pipeline_args printed by beam-deps stage>
# --8<-- [end:submit]

# --8<-- [start:setup-only]
beam-deps-boot --setup-only --staged build/staging
# --8<-- [end:setup-only]
