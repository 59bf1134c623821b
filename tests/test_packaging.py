"""Set-up and packaging: extras, constraints, make targets, --version, completion, man page.

Everything here runs without the network: the grammars' absence is simulated by hiding
the packages from the import system (``sys.modules[name] = None`` makes both
``find_spec`` and ``import`` fail, as when the wheel is not installed).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailtls import __version__
from mailtls.cli.main import COMMANDS, cli
from mailtls.lint import grammars, treesitter

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSOLE_SCRIPT = Path(sys.executable).parent / "mailtls"
SMTPLIB = 'import smtplib\ns = smtplib.SMTP("mail.example.com")\ns.starttls()\n'
JAVA = "class A { void f() { HttpsURLConnection.setDefaultHostnameVerifier((h, s) -> true); } }\n"


def _name(requirement: str) -> str:
    """The normalised project name of a requirement string (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


# -- extras ------------------------------------------------------------------------------


def test_grammars_are_an_extra_not_a_runtime_dependency() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    lint = {_name(r) for r in extras["lint"]}
    assert not {n for n in runtime if n.startswith("tree-sitter")}
    packages = {pkg.replace("_", "-") for pkg, _ in grammars.PACKAGES.values()}
    # tree-sitter-python reads Python the running interpreter's ast cannot (lint/pydown.py)
    assert lint == packages | {"tree-sitter", "tree-sitter-python"}
    own = [r for r in extras["dev"] if r.startswith("mailtls[")]  # make test and CI lint
    assert own and "lint" in own[0].partition("[")[2].rstrip("]").split(",")  # every language


def test_grammar_table_matches_the_parser_table() -> None:
    assert set(grammars.PACKAGES) == set(treesitter._GRAMMARS)
    for kind, (package, _) in treesitter._GRAMMARS.items():
        assert grammars.PACKAGES[kind][0] == package


@pytest.fixture
def no_grammars(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tree-sitter runtime and every grammar hidden, as after ``pip install mailtls``."""
    for package in {grammars.CORE, *(p for p, _ in grammars.PACKAGES.values())}:
        monkeypatch.setitem(sys.modules, package, None)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.usefixtures("no_grammars")
def test_lint_without_grammars_names_the_extra(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"a.py": SMTPLIB, "A.java": JAVA, "B.java": JAVA, "m.go": "package m\n"})
    result = CliRunner().invoke(cli, ["lint", str(tree)])
    assert result.exit_code not in (0, 1), result.output  # never green, never "a finding"
    assert "pip install 'mailtls[lint]'" in result.output
    assert "Go, Java" in result.output and "3 files" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.usefixtures("no_grammars")
def test_lint_without_grammars_still_reads_python(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"a.py": SMTPLIB, "msmtprc": "tls_certcheck off\n"})
    result = CliRunner().invoke(cli, ["lint", str(tree)])
    assert result.exit_code == 1, result.output
    assert "lint.python.smtplib_no_context" in result.output
    assert "mailtls[lint]" not in result.output


@pytest.mark.usefixtures("no_grammars")
def test_lint_without_grammars_honours_exclude(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"a.py": SMTPLIB, "A.java": JAVA})
    result = CliRunner().invoke(cli, ["lint", "--exclude", "*.java", str(tree)])
    assert result.exit_code == 1, result.output
    assert "mailtls[lint]" not in result.output


@pytest.mark.usefixtures("no_grammars")
def test_parser_without_its_grammar_raises_a_clear_error() -> None:
    treesitter.language.cache_clear()
    try:
        expected = r"Kotlin.*pip install 'mailtls\[lint\]'"
        with pytest.raises(grammars.GrammarsMissing, match=expected):
            treesitter.language("kotlin")
    finally:
        treesitter.language.cache_clear()


def test_grammars_present_in_the_dev_install() -> None:
    assert grammars.missing(grammars.PACKAGES) == set()


# -- --version, completion -----------------------------------------------------------------


def test_version_comes_from_the_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "9.8.7" if name == "mailtls" else real(name)
    )
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == "mailtls, version 9.8.7"


def test_metadata_version_is_the_package_version() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "mailtls.__version__"
    assert importlib.metadata.version("mailtls") == __version__


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _mailtls_completion mailtls"),
        ("zsh", "compdef _mailtls_completion mailtls"),
        ("fish", "complete --no-files --command mailtls"),
    ],
)
def test_completion_script(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert marker in result.output and "_MAILTLS_COMPLETE" in result.output


def _complete(words: str) -> list[str]:
    """What bash completion gets from the installed ``mailtls`` for ``words``."""
    env = {**os.environ, "_MAILTLS_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    done = subprocess.run([str(CONSOLE_SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return [item.split(",", 1)[1] for item in done.stdout.splitlines()]


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="mailtls is not installed in this venv")
def test_completion_through_the_installed_command() -> None:
    assert _complete("mailtls sc") == ["scan"]
    assert set(_complete("mailtls ")) >= set(COMMANDS)
    assert _complete("mailtls scan --tru") == ["--trust"]
    assert _complete("mailtls scan --trust ") == ["mozilla", "system", "none"]


# -- man page ------------------------------------------------------------------------------


def _manpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "manpage.py"), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_man_page_is_current() -> None:
    done = _manpage("--check")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_man_page_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "mailtls.1"
    page = (ROOT / "docs" / "mailtls.1").read_text(encoding="utf-8")
    stale.write_text(page.replace("\\-\\-json", "\\-\\-jsn", 1), encoding="utf-8")
    assert stale.read_text(encoding="utf-8") != page
    done = _manpage("--check", "--output", str(stale))
    assert done.returncode == 1 and "tools/manpage.py" in done.stderr


def test_man_page_has_every_command_and_option() -> None:
    page = (ROOT / "docs" / "mailtls.1").read_text(encoding="utf-8")
    assert f'"mailtls {__version__}"' in page
    for name in COMMANDS:
        assert f".SS mailtls {name}".replace("-", "\\-") in page
    for option in ("--ca-file", "--resolve", "--changed-since", "--pin-sha256", "--version"):
        assert option.replace("-", "\\-") in page


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_man_page_renders_without_warnings() -> None:
    done = subprocess.run(["groff", "-man", "-ww", "-z", str(ROOT / "docs" / "mailtls.1")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, "")


# -- constraints, make ---------------------------------------------------------------------


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"constraints.txt: {line!r} is not NAME==VERSION"
            pins[_name(name)] = version
    return pins


def test_constraints_pin_every_dependency() -> None:
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for extra in project["optional-dependencies"].values():
        wanted += extra
    names = {_name(r) for r in wanted} - {"mailtls"}
    missing = names - set(_pins())
    assert not missing, f"not pinned in constraints.txt (run make constraints): {missing}"
    assert "pip" in _pins()


def test_installed_versions_match_the_constraints() -> None:
    """The venv the suite runs in was installed with constraints.txt (setuptools aside:
    it builds in its own isolated environment, where --build-constraint pins it)."""
    pins = _pins()
    for dist in importlib.metadata.distributions():
        name = _name(dist.metadata["Name"])
        if name in pins and name not in {"setuptools", "pip"}:
            assert dist.version == pins[name], name


def _make(tmp_path: Path, target: str) -> str:
    """What ``make TARGET`` ran: the pip arguments its recipes gave to the venv's python.

    The venv's python is a stand-in that only records its arguments, so the real recipes
    run (stamps and all) without installing anything.
    """
    log = tmp_path / "pip.log"
    log.write_text("")
    subprocess.run(["make", target], cwd=tmp_path,
                   capture_output=True, text=True, timeout=60, check=False)
    return log.read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_the_runtime_only_and_test_adds_the_dev_tools(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "pip.log"}\n')
    fake.chmod(0o755)
    first = _make(tmp_path, "runtime")  # what make demo installs
    assert "-c constraints.txt" in first and "-e ." in first and "[dev]" not in first
    assert "[dev]" in _make(tmp_path, "install")  # make test after make demo: dev tools
    assert _make(tmp_path, "runtime") == ""  # make demo after make test: nothing to do
    assert _make(tmp_path, "install") == ""
    os.utime(tmp_path / "constraints.txt")  # refreshed pins: both installs run again
    assert "[dev]" in _make(tmp_path, "install")
    assert _make(tmp_path, "runtime") == ""
