"""beam-deps: catch what will break on Apache Beam workers before you submit."""

from setuptools import find_packages, setup

# Any Beam from 2.61 on: a pre-flight tool must never change the Beam it checks.
BEAM = "apache-beam>=2.61,<3"

setup(
    name="beam-deps",
    version="0.1.0",
    description="Pre-flight pickling and dependency checks for Apache Beam pipelines",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["beam_deps", "beam_deps.*"]),
    include_package_data=True,
    package_data={
        "beam_deps": ["examples/*.py", "py.typed", "environment/images/*/*.txt"],
    },
    install_requires=[
        BEAM,
        "setuptools>=65",
        "build>=1.0",
        "packaging>=23",
        "filelock>=3.12",
        # the wheelhouse downloads with pip, as Beam's stager does (uv has no `download`)
        "pip>=23",
    ],
    extras_require={
        # Beam < 2.69 depends on dill itself; from 2.69 dill is Beam's [dill] extra (0.3.1.1)
        "dill": ["apache-beam[dill]>=2.61,<3"],
        "uv": ["uv>=0.4"],
        "test": [
            "pytest>=8",
            "hypothesis>=6.100",
            "ipython>=8",
            "pandas<2.4",  # Beam imports pandas once a transform is applied inside IPython
            "ruff>=0.6",
            "uv>=0.4",
            "wheel",
            # the pipelines in the boot tests use it as their third-party dependency: installed
            # where the job is submitted, absent from the test worker image
            "mergedeep==1.3.4",
        ],
        "docs": ["mkdocs>=1.6", "mkdocs-material>=9.5", "pymdown-extensions>=10", "selenium>=4.10"],
    },
    entry_points={
        "console_scripts": [
            "beam-deps=beam_deps.cli:main",
            "beam-deps-boot=beam_deps.boot.main:main",
        ],
        "pytest11": ["beam_deps=beam_deps.testing.plugin"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
    ],
)
