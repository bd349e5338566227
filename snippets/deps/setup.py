"""A minimal setup.py for a pipeline's local code, as used with --setup_file."""

# --8<-- [start:setup]
import setuptools

setuptools.setup(
    name="enrich-pipeline",
    version="1.0.0",
    packages=setuptools.find_packages(),  # your local packages, e.g. enrich/
    install_requires=["beautifulsoup4==4.12.3"],  # what they need on the workers
)
# --8<-- [end:setup]
