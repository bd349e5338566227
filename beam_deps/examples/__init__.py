"""Example pipelines bundled for the README's first command (`beam-deps check ...`)."""
