# Benchmark commands shown on the Performance page (tests/test_website.py checks each script exists).

# --8<-- [start:check-object]
python benchmarks/bench_check_object.py
# --8<-- [end:check-object]
