"""The package lists of Beam's SDK container images, shipped as beam-deps data.

``apache/beam_python{X.Y}_sdk:{V}`` (Dataflow's default worker, and the portable runners' DOCKER
default) holds ``apache-beam[gcp,dataframe,test]==V`` plus Beam's
``base_image_requirements_manual.txt`` (bs4, scipy, scikit-learn, nltk, ...), about 150 pinned
packages. ``images/{V}/py{X.Y}.txt`` is that list as ``scripts/make_image_models.py`` resolved
it for V's release day; CONTRIBUTING.md says how to add a new release.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

IMAGES = Path(__file__).resolve().parent / "images"
_IMAGE = re.compile(r"beam_python(?P<py>\d+\.\d+)_sdk(?::(?P<beam>\d+\.\d+\.\d+)\S*)?")

# Import names that are not their distribution's name (the rest match once canonicalised, or
# as a namespace path: ``google.cloud.bigquery`` -> ``google-cloud-bigquery``).
IMPORT_NAMES = {
    "bs4": "beautifulsoup4",
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "dateutil": "python-dateutil",
    "google_crc32c": "google-crc32c",
    "jwt": "pyjwt",
    "OpenSSL": "pyopenssl",
    "psycopg2": "psycopg2-binary",
    "pymysql": "pymysql",
    "hamcrest": "pyhamcrest",
    "zstandard": "zstandard",
    "Cython": "cython",
    "google_auth_httplib2": "google-auth-httplib2",
    "googleapiclient": "google-api-python-client",
    "grpc": "grpcio",
    "grpc_status": "grpcio-status",
    "jsonpickle": "jsonpickle",
    "proto": "proto-plus",
    "pyasn1_modules": "pyasn1-modules",
    "typing_extensions": "typing-extensions",
    "objsize": "objsize",
    "fastavro": "fastavro",
    "pymongo": "pymongo",
    "bson": "pymongo",
    "gridfs": "pymongo",
    "dill": "dill",
    "guppy": "guppy3",
    "googlecloudprofiler": "google-cloud-profiler",
    "dns": "dnspython",
    "attr": "attrs",
    "charset_normalizer": "charset-normalizer",
    "regex": "regex",
    "joblib": "joblib",
    "threadpoolctl": "threadpoolctl",
    "mmh3": "mmh3",
    "hdfs": "hdfs",
    "tz": "pytz",
    "pytz": "pytz",
}


def parse_image(image: str | None) -> tuple[str | None, str | None]:
    """(python X.Y, beam version) from a Beam SDK image name; Nones if it is not one."""
    if not image:
        return None, None
    match = _IMAGE.search(image)
    if not match:
        return None, None
    return match.group("py"), match.group("beam")


def default_image(beam: str, python: str) -> str:
    """The image Beam's runners start for this Beam and Python when none is named."""
    return f"apache/beam_python{python}_sdk:{beam}"


@functools.cache
def known() -> tuple[tuple[str, str], ...]:
    """Every (Beam version, Python X.Y) with a shipped package list, oldest first."""
    out = []
    for folder in IMAGES.iterdir() if IMAGES.is_dir() else ():
        for file in folder.glob("py*.txt"):
            out.append((folder.name, file.stem[2:]))
    return tuple(sorted(out, key=lambda k: (Version(k[0]), Version(k[1]))))


def nearest(beam: str | None, python: str) -> tuple[str, str] | None:
    """The shipped model closest to (``beam``, ``python``): the same Python if there is one,
    then the newest Beam not above ``beam`` (the oldest one when ``beam`` is older than all)."""
    models = known()
    if not models:
        return None
    same = [m for m in models if m[1] == python] or [
        m for m in models if m[1] == min({m[1] for m in models}, key=lambda p: _gap(p, python))
    ]
    try:
        wanted = Version(beam) if beam else None
    except InvalidVersion:
        wanted = None
    if wanted is None:
        return same[-1]
    below = [m for m in same if Version(m[0]) <= wanted]
    return below[-1] if below else same[0]


def _gap(a: str, b: str) -> int:
    return abs(int(a.split(".")[1]) - int(b.split(".")[1]))


@functools.cache
def packages(beam: str, python: str) -> dict[str, str]:
    """canonical name -> version of the image's packages (empty when not shipped)."""
    path = IMAGES / beam / f"py{python}.txt"
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return out


def distribution_of(module: str, names: dict[str, str | None]) -> str | None:
    """The distribution in ``names`` that provides import ``module``, if any, judged by name
    alone (nothing of the image is installed here to read): the known import names above,
    the module's own name, then its dotted path as a namespace distribution."""
    parts = module.split(".")
    candidates = [IMPORT_NAMES.get(parts[0], ""), parts[0], f"python-{parts[0]}"]
    candidates += ["-".join(parts[:n]) for n in range(len(parts), 1, -1)]
    for candidate in candidates:
        name = canonicalize_name(candidate) if candidate else ""
        if name and name in names:
            return name
    return None
