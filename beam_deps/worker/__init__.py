"""Worker side: the simulated worker (probe) and the real boot program (`beam-deps-boot`)."""
