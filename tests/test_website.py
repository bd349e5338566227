"""The website: every snippet is used and exists, the generated pages match the code, and the
strict MkDocs build passes (so a missing snippet section or a broken link fails CI)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from beam_deps.catalogue import all_rules
from beam_deps.docs import cli_markdown, rule_markdown, rule_page_path, rules_index_markdown

ROOT = Path(__file__).resolve().parent.parent
WEBSITE = ROOT / "website"
DOCS = WEBSITE / "docs"
SNIPPETS = ROOT / "snippets"
GOLDEN = ROOT / "tests" / "golden"

# --8<-- "path", --8<-- "path:section" or --8<-- "path:first:last" (line range)
_INCLUDE = re.compile(r'^\s*--8<-- "([^":]+)(?::([^":]+))?(?::(\d+))?"\s*$')
_MARKER = re.compile(r"--8<-- \[(start|end):([\w-]+)\]")
HAS_MKDOCS = all(importlib.util.find_spec(m) for m in ("mkdocs", "material", "pymdownx"))


def _includes() -> list[tuple[str, str, str | None]]:
    """(page, included path, section or None) for every snippet include of every page."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for line in page.read_text().splitlines():
            match = _INCLUDE.match(line)
            if match:
                path, section, _ = match.groups()
                section = None if section is None or section.isdigit() else section
                found.append((page.name, path, section))
    return found


def _sections(path: Path) -> dict[str, list[str]]:
    marks: dict[str, list[str]] = {}
    for match in _MARKER.finditer(path.read_text()):
        marks.setdefault(match.group(2), []).append(match.group(1))
    return marks


def test_pages_include_snippets() -> None:
    assert len(_includes()) > 40


def test_every_include_exists_with_its_section() -> None:
    for page, path, section in _includes():
        target = ROOT / path
        assert target.is_file(), f"{page} includes missing file {path}"
        if section:
            assert _sections(target).get(section) == ["start", "end"], (
                f"{page} includes {path}:{section}, which has no [start:{section}]/[end:{section}]"
            )


def test_every_snippet_file_is_used_by_a_page() -> None:
    used = {path for _, path, _ in _includes()}
    files = {
        str(p.relative_to(ROOT))
        for p in SNIPPETS.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert files - used == set(), "snippet files no page shows"


def test_every_golden_file_is_shown_by_a_page() -> None:
    used = {path for _, path, _ in _includes()}
    goldens = {str(p.relative_to(ROOT)) for p in GOLDEN.glob("*.txt")}
    assert goldens - used == set(), "golden files no page shows"


def test_section_markers_are_paired() -> None:
    for path in SNIPPETS.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            for name, marks in _sections(path).items():
                assert marks == ["start", "end"], f"{path}: section {name} is {marks}"


def _command_lines() -> list[tuple[str, str]]:
    return [
        (sh.name, line.strip())
        for sh in sorted((SNIPPETS / "commands").glob("*.sh"))
        for line in sh.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_beam_deps_commands_on_the_pages_parse() -> None:
    """Each `beam-deps ...` line shown is accepted by the real parser (options up to `--`)."""
    from beam_deps.cli import build_parser

    parser = build_parser()
    lines = [line for _, line in _command_lines() if line.startswith("beam-deps ")]
    assert lines
    for line in lines:
        argv = shlex.split(line.split(" > ")[0])[1:]
        if "--" in argv:
            argv = argv[: argv.index("--")]
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"the website shows a command the CLI rejects: {line}")


def test_benchmark_commands_name_real_scripts() -> None:
    for _, line in _command_lines():
        if line.startswith("python benchmarks/"):
            assert (ROOT / line.split()[1]).is_file(), line


def test_requirements_snippet_is_valid() -> None:
    from packaging.requirements import Requirement

    lines = (SNIPPETS / "deps" / "requirements.txt").read_text().splitlines()
    reqs = [Requirement(ln) for ln in lines if ln.strip() and not ln.startswith("#")]
    assert all(str(r.specifier).startswith("==") for r in reqs)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_page_renders_the_catalogue_entry(rule) -> None:
    page = rule_markdown(rule)
    assert page.startswith(f"# {rule.code} {rule.name}\n")
    for heading in ("## What it does", "## Why it breaks on a worker", "## Fix"):
        assert heading in page
    for text in (rule.summary, rule.explanation, rule.fix, rule.example, rule.example_fixed):
        assert text.rstrip() in page
    # the URL printed in diagnostics is where the site puts this page
    assert rule.url.endswith("/" + rule_page_path(rule).removesuffix(".md") + "/")


def test_rules_index_links_every_code() -> None:
    index = rules_index_markdown(all_rules())
    for rule in all_rules():
        assert f"[{rule.code}]({rule.code}.md)" in index


def test_cli_reference_lists_every_command() -> None:
    from beam_deps.cli import COMMAND_MODULES

    page = cli_markdown()
    assert "usage: beam-deps" in page
    documented = set(re.findall(r"^## beam-deps (\S+)", page, re.M))
    assert "check" in documented or "`check`" in page
    assert "explain" in documented
    assert set(COMMAND_MODULES) <= documented | {m for m in COMMAND_MODULES if f"`{m}`" in page}


def test_diagnostic_urls_point_into_this_site() -> None:
    """The `docs:` link printed with every diagnostic must land on the generated rule page."""
    site_url = re.search(r"^site_url: (\S+)$", (WEBSITE / "mkdocs.yml").read_text(), re.M)
    assert site_url
    for rule in all_rules():
        assert rule.url == f"{site_url.group(1)}rules/{rule.code}/"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    if not HAS_MKDOCS:
        pytest.skip("mkdocs, mkdocs-material and pymdown-extensions: pip install -e .[docs]")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(WEBSITE / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=str(tmp_path_factory.mktemp("elsewhere")),  # must not depend on the cwd
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return out


def test_strict_build_has_a_page_per_rule(site: Path) -> None:
    for rule in all_rules():
        html = (site / "rules" / rule.code / "index.html").read_text()
        assert rule.name in html and rule.code in html


def test_strict_build_is_searchable(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text())
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "excessively deep recursion" in text  # a golden message, included into a page
    assert "sdk_worker_main" in text


def test_strict_build_shows_generated_references(site: Path) -> None:
    cli = (site / "reference" / "cli" / "index.html").read_text()
    assert "usage: beam-deps" in cli
    api = (site / "reference" / "api" / "index.html").read_text()
    assert "beam_deps.check_object" in api


def test_quoted_dill_version_message_is_beams() -> None:
    """The errors page quotes the message for a wrong dill version, which no test can produce
    without installing a second dill: check the quote against Beam's own constant instead."""
    from apache_beam.options.pipeline_options_validator import PipelineOptionsValidator

    page = " ".join((DOCS / "errors.md").read_text().split())
    message = PipelineOptionsValidator.ERR_UNSAFE_DILL_VERSION
    first, _, rest = message.partition(" To install")
    assert " ".join(first.split()) in page
    assert "To use an unsupported dill version, use pickle_library=dill_unsafe." in rest
    assert "To use an unsupported dill version, use pickle_library=dill_unsafe." in page


# ------------------------------------------------------------------ the "Running workers" page

WORKER_SNIPPETS = SNIPPETS / "workers"


def _shell_commands(path: Path) -> list[list[str]]:
    """The commands of a shell snippet as argv lists: comments dropped, `\\` lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [
        shlex.split(line)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _console_scripts() -> dict[str, str]:
    """setup.py's console scripts, e.g. {"beam-deps-boot": "beam_deps.boot.main:main"}."""
    text = (ROOT / "setup.py").read_text()
    return dict(re.findall(r'"([\w-]+)=([\w.]+:\w+)"', text))


def _boot_accepts(argv: list[str]) -> None:
    """`beam-deps-boot ARGV` parses with the real boot parser (Go-style flags included)."""
    from beam_deps.boot.main import _go_style, build_parser

    try:
        args = build_parser().parse_args(_go_style(argv))
    except SystemExit:
        pytest.fail(f"the website shows a beam-deps-boot command it rejects: {argv}")
    if args.setup_only:
        assert args.staged, f"--setup-only without --staged exits 2: {argv}"


def _cli_accepts(argv: list[str]) -> None:
    from beam_deps.cli import build_parser

    if "--" in argv:
        argv = argv[: argv.index("--")]
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"the website shows a beam-deps command the CLI rejects: {argv}")


def _options(argv: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in argv if a.startswith("--")]


def test_worker_commands_match_the_code() -> None:
    """The worker pool, submit and --setup-only commands of workers.md use real options."""
    import inspect

    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.worker import worker_pool_main

    beam_options = set(PipelineOptions([]).get_all_options())
    pool_source = inspect.getsource(worker_pool_main.main)
    seen = set()
    for argv in _shell_commands(SNIPPETS / "commands" / "workers.sh"):
        if argv[0] == "beam-deps-boot":
            _boot_accepts(argv[1:])
        elif argv[0] == "beam-deps":
            _cli_accepts(argv[1:])
        elif argv[:3] == ["python", "-m", "apache_beam.runners.worker.worker_pool_main"]:
            for option in _options(argv[3:]):
                assert f"'{option}'" in pool_source, f"worker_pool_main has no {option}"
            (executable,) = [a for a in argv if a.startswith("--container_executable=")]
            assert "beam-deps-boot" in executable and "beam-deps-boot" in _console_scripts()
        elif argv[0] == "python" and argv[1].endswith(".py"):
            for option in _options(argv[2:]):
                assert option[2:] in beam_options, f"Beam has no pipeline option {option}"
        else:
            pytest.fail(f"workers.sh: a command this test does not check: {argv}")
        seen.add(argv[0] if argv[0] != "python" else " ".join(argv[:3]))
    assert {"beam-deps", "beam-deps-boot"} <= seen


def test_worker_dockerfiles_match_the_code() -> None:
    """The Dockerfiles: the entrypoint is the real boot console script and takes its args, the
    build-time setup parses, the Beam pin is the Beam this site documents, the cache variable
    is one beam-deps reads."""
    import apache_beam

    scripts = _console_scripts()
    assert scripts["beam-deps-boot"] == "beam_deps.boot.main:main"
    source = "\n".join(p.read_text() for p in (ROOT / "beam_deps").rglob("*.py"))
    dockerfiles = sorted(WORKER_SNIPPETS.glob("Dockerfile*"))
    assert [p.name for p in dockerfiles] == ["Dockerfile", "Dockerfile.prebuilt"]
    entrypoints = []
    for path in dockerfiles:
        for instruction, rest in _dockerfile(path):
            if instruction == "ENTRYPOINT":
                argv = json.loads(rest)  # the exec form: the runner's flags are appended
                assert argv[0] in scripts, f"{path.name}: {argv[0]} is not a console script"
                assert argv[0] == "beam-deps-boot"
                _boot_accepts([*argv[1:], "--id=1", "--provision_endpoint=localhost:1"])
                entrypoints.append(argv)
            elif instruction == "RUN":
                argv = shlex.split(rest)
                if argv[0] == "beam-deps-boot":
                    _boot_accepts(argv[1:])
                elif argv[:2] == ["pip", "install"]:
                    pins = [a for a in argv if a.startswith("apache-beam")]
                    pin = f"=={apache_beam.__version__}"
                    assert pins and all(p.endswith(pin) for p in pins), f"{path.name}: {pins}"
                    assert any(a.startswith("beam-deps[uv]") for a in argv)
            elif instruction == "ENV":
                name = rest.split("=", 1)[0]
                assert name.startswith("BEAM_DEPS_") and f'"{name}"' in source, name
    assert entrypoints == [["beam-deps-boot"]]
    assert any(
        i == "RUN" and r.startswith("beam-deps-boot --setup-only")
        for i, r in _dockerfile(WORKER_SNIPPETS / "Dockerfile.prebuilt")
    )


def test_workers_page_lists_every_boot_setting() -> None:
    """Every beam-deps-boot option other than the runner's own contract flags is on the page."""
    from beam_deps.boot.main import build_parser

    page = (DOCS / "workers.md").read_text()
    contract = {"--id", "--provision_endpoint", "--artifact_endpoint", "--control_endpoint"}
    contract |= {"--logging_endpoint", "-h"}
    for action in build_parser()._actions:
        option = action.option_strings[0]
        if option not in contract:
            assert f"`{option}" in page, f"workers.md does not mention beam-deps-boot {option}"


def test_cli_reference_documents_the_boot_program() -> None:
    from beam_deps.boot.main import build_parser

    page = cli_markdown()
    assert "## beam-deps-boot\n" in page and "usage: beam-deps-boot" in page
    for action in build_parser()._actions:
        for option in action.option_strings:
            assert option in page, f"the CLI reference lacks beam-deps-boot {option}"
        if action.help:
            assert " ".join(action.help.split()[:4]) in " ".join(page.split())


def test_quickstart_check_is_the_command_the_golden_ran() -> None:
    """The `check` command on the home page is what tests/test_snippets.py runs for the golden
    shown under it."""
    from test_snippets import CASES

    (case,) = [c for c in CASES if c.name == "check_wordcount"]
    text = (SNIPPETS / "commands" / "quickstart.sh").read_text()
    shown = re.search(r"\[start:check\]\n(.*?)\n# --8<-- \[end:check\]", text, re.S).group(1)
    assert shlex.split(shown) == ["beam-deps", "check", *case.script.split("/")[-1:], *case.args]


def test_api_reference_shows_the_real_stage() -> None:
    """`beam_deps.stage` is `beam_deps.staging.stage` itself (signature and docstring), served
    lazily so that `import beam_deps` stays free of the staging code."""
    from beam_deps.docs import api_markdown

    page = api_markdown()
    section = page.split("## `beam_deps.stage`", 1)[1].split("\n## ", 1)[0]
    assert "def beam_deps.stage(\n    script: str | os.PathLike | None = None," in section
    assert "wheelhouse: bool = False" in section
    assert "progress: TextIO | None = sys.stderr" in section
    assert ":func:" not in section and "**kwargs" not in section
    code = (
        "import sys, beam_deps; assert 'beam_deps.staging' not in sys.modules; "
        "from beam_deps.staging import stage as real; assert beam_deps.stage is real; "
        "from beam_deps import *; assert stage is real"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(ROOT))


# ------------------------------------------------------------------ diagrams and charts


def test_diagrams_are_drawn_from_their_sources_and_shown() -> None:
    """Each SVG is what website/diagrams/make_diagrams.py draws from its committed source (so
    the picture cannot drift from its text), and a page shows it."""
    sys.path.insert(0, str(WEBSITE / "diagrams"))
    try:
        import make_diagrams
    finally:
        sys.path.remove(str(WEBSITE / "diagrams"))
    sources = sorted(WEBSITE.glob("diagrams/*.txt")) + sorted(WEBSITE.glob("diagrams/*.tsv"))
    assert {s.stem for s in sources} >= {
        "pickled-when",
        "pickling-scope",
        "staging-to-boot",
        "performance-ratios",
    }
    pages = "\n".join(p.read_text() for p in DOCS.glob("*.md"))
    for source in sources:
        draw = make_diagrams.render_ratios if source.suffix == ".tsv" else make_diagrams.render
        svg = DOCS / "img" / f"{source.stem}.svg"
        assert svg.read_text() == draw(source.read_text()), f"redraw {svg.name}"
        assert f"](img/{svg.name})" in pages, f"no page shows {svg.name}"
    assert {p.stem for p in (DOCS / "img").glob("*.svg")} == {s.stem for s in sources}


def test_performance_chart_has_the_pages_ratios() -> None:
    """The chart's ratios are the ones the performance page's tables report."""
    sys.path.insert(0, str(WEBSITE / "diagrams"))
    try:
        from make_diagrams import parse_ratios
    finally:
        sys.path.remove(str(WEBSITE / "diagrams"))
    page = (DOCS / "performance.md").read_text()
    rows = parse_ratios((WEBSITE / "diagrams" / "performance-ratios.tsv").read_text())
    assert len(rows) >= 6
    for measure, ratio, goal, script in rows:
        assert (ROOT / script).is_file(), script
        assert re.search(rf"\b{ratio:.2f}(-[\d.]+)?×|-{ratio:.2f}×", page), (measure, ratio)
        if goal is not None:
            assert f"≤ {goal:g}×" in page, (measure, goal)


# ------------------------------------------------------------------ CI kit and install


def _yaml(path: Path):
    import yaml

    return yaml.safe_load(path.read_text())


def test_install_command_is_the_readmes() -> None:
    """The website installs beam-deps as the README's first command does."""
    text = (SNIPPETS / "commands" / "quickstart.sh").read_text()
    section = re.search(r"\[start:install\]\n(.*?)# --8<-- \[end:install\]", text, re.S).group(1)
    (install,) = [ln for ln in section.splitlines() if ln and not ln.startswith("#")]
    readme = (ROOT / "README.md").read_text()
    first = re.search(r"```bash\n(.*?)\n", readme).group(1)
    assert first.startswith(install + " && "), (install, first)


def test_action_runs_check_with_github_annotations() -> None:
    action = _yaml(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["script"]["required"] is True
    runs = "\n".join(step["run"] for step in action["runs"]["steps"])
    assert '-m beam_deps check --format github $OPTIONS "$SCRIPT"' in runs
    assert "${{" not in runs  # inputs reach the shell through env, never pasted into it
    # the example workflow passes only inputs the action has, and they parse
    workflow = _yaml(SNIPPETS / "ci" / "github-workflow.yml")
    (step,) = [
        s for s in workflow["jobs"]["check"]["steps"] if "beam-deps/beam-deps" in s.get("uses", "")
    ]
    assert set(step["with"]) <= set(inputs) and "script" in step["with"]
    argv = [
        "check",
        "--format",
        "github",
        *shlex.split(step["with"]["options"]),
        step["with"]["script"],
    ]
    _cli_accepts(argv)


def test_pre_commit_hook_runs_the_real_command() -> None:
    (hook,) = _yaml(ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "beam-deps-check" and hook["pass_filenames"] is False
    program, *entry = shlex.split(hook["entry"])
    assert program in _console_scripts()
    config = _yaml(SNIPPETS / "ci" / "pre-commit-config.yaml")
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    remote = [h for h in hooks if h["id"] == hook["id"]]
    assert remote, "the example config does not use the hook the repository provides"
    for h in remote:
        _cli_accepts([*entry, *h.get("args", [])])
    for h in hooks:
        if h.get("language") == "system":
            _cli_accepts(shlex.split(h["entry"])[1:])


# ------------------------------------------------------------------ in a real browser
# Debian's chromium and chromium-driver, headless (.ci/run installs them; the docs tox env runs
# these tests). Every page is loaded from a local HTTP server, as a reader would get it.

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,900",
)


@pytest.fixture(scope="session")
def served(site: Path):
    """The built site over HTTP (search needs it: its index is fetched by a web worker)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, (
        "the browser tests need Debian's chromium and chromium-driver: "
        "apt-get install -y chromium chromium-driver (.ci/run installs them)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _pages(site: Path) -> list[str]:
    return sorted(
        str(p.relative_to(site).parent).replace(".", "") + "/"
        for p in site.rglob("index.html")
        if "search" not in p.parts
    )


_BROKEN_IMAGES = (
    "return Array.from(document.images)"
    ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
)
_LINKS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"


def test_browser_loads_every_page_without_errors_or_broken_links(site, served, browser) -> None:
    """Each page: no console error, every image drawn, every link into the site (and its
    #anchor) lands on something that exists."""
    import urllib.error
    import urllib.request

    pages = _pages(site)
    assert len(pages) > 50  # the guides, the references and a page per rule
    fetched: dict[str, str | None] = {}

    def fetch(url: str) -> str | None:
        if url not in fetched:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    fetched[url] = response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError:
                fetched[url] = None
        return fetched[url]

    problems = []
    for page in pages:
        browser.get(served + page.lstrip("/"))
        for entry in browser.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"{page}: console error: {entry['message']}")
        for src in browser.execute_script(_BROKEN_IMAGES):
            problems.append(f"{page}: broken image {src}")
        for href in set(browser.execute_script(_LINKS)):
            if not href.startswith(served):
                continue
            url, _, anchor = href.partition("#")
            html = fetch(url)
            if html is None:
                problems.append(f"{page}: broken link {href}")
            elif anchor and f'id="{anchor}"' not in html:
                problems.append(f"{page}: link to a missing anchor {href}")
    assert not problems, "\n".join(problems[:40])


def test_browser_search_finds_an_error_message(served, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served)
    browser.execute_script("document.querySelector('label[for=__search]').click()")
    box = WebDriverWait(browser, 20).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input"))
    )
    box.send_keys("excessively deep recursion")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")
    )
    hits = [
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")
    ]
    assert any("/errors/" in h for h in hits), hits


def test_browser_error_text_wraps_and_rules_navigation_is_folded(served, browser) -> None:
    """A searched-for error message is visible without scrolling sideways; the navigation
    does not unfold 48 rule pages on every page."""
    from selenium.webdriver.common.by import By

    browser.get(served + "errors/")
    overflowing = browser.execute_script(
        "return Array.from(document.querySelectorAll('.language-text pre > code'))"
        ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.slice(0, 80))"
    )
    blocks = browser.find_elements(By.CSS_SELECTOR, ".language-text pre > code")
    assert blocks and not overflowing, overflowing
    browser.get(served)
    links = browser.find_elements(By.CSS_SELECTOR, ".md-sidebar--primary a[href$='rules/BD101/']")
    assert links and not any(a.is_displayed() for a in links)
    families = browser.find_elements(
        By.XPATH, "//nav[contains(@class,'md-nav--primary')]//label[contains(., 'BD1xx')]"
    )
    assert families, "the rules navigation has no BD1xx family section"
    sections = browser.find_elements(
        By.XPATH,
        "//nav[contains(@class,'md-nav--primary')]//label[contains(., 'Diagnostics reference')]",
    )
    assert sections, "the rules' section lost its title"
