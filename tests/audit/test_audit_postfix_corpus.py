"""Configurations shaped like those of public mail-server projects: every finding expected.

Each folder of ``corpus/postfix`` holds a main.cf and master.cf written after the shape of
one project's configuration (not copied), and ``expected``: the finding ids and lines,
each checked by hand against what Postfix does with the configuration. ``@CERT@`` and
``@KEY@`` become a valid lab certificate for ``localhost``. ``postconf -n -x`` is the
oracle for ``--effective``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailtls.checks.certfiles import CertContext
from mailtls.checks.postfix import audit_postfix
from mailtls.cli.audit import audit_command
from mailtls.config import load_postfix

CORPUS = Path(__file__).parent / "corpus" / "postfix"
PROJECTS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def copy(project: str, to: Path, certs: dict[str, tuple[Path, Path]]) -> Path:
    cert, key = certs["good"]
    target = to / project
    target.mkdir()
    for f in (CORPUS / project).iterdir():
        text = f.read_text().replace("@CERT@", str(cert)).replace("@KEY@", str(key))
        (target / f.name).write_text(text)
    return target


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(audit_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def expected(project: str) -> list[str]:
    lines = (CORPUS / project / "expected").read_text().splitlines()
    return sorted(x for x in lines if x.strip() and not x.startswith("#"))


@pytest.mark.parametrize("project", PROJECTS)
def test_corpus_findings(project: str, tmp_path: Path, certs: dict, ctx: CertContext) -> None:
    found = audit_postfix(load_postfix(copy(project, tmp_path, certs)), ctx)
    got = sorted(f"{f.id} {Path(f.location.file).name}:{f.location.line}"
                 for f in found if f.location)
    assert got == expected(project)


def test_the_corpus_covers_the_projects() -> None:
    assert {"debian", "docker-mailserver", "mailcow", "mailu", "iredmail", "modoboa",
            "mail-in-a-box"} <= set(PROJECTS)


@pytest.mark.servers
@pytest.mark.parametrize("project", PROJECTS)
def test_corpus_effective_is_postconf(project: str, tmp_path: Path, certs: dict) -> None:
    if shutil.which("postconf") is None:
        pytest.fail("postconf is not installed: run `make test`", pytrace=False)
    d = copy(project, tmp_path, certs)
    real = subprocess.run(["postconf", "-c", str(d), "-n", "-x"], capture_output=True,
                          text=True, check=True)
    code, out, _ = run_cli("--postfix", str(d), "--effective")
    assert (code, out) == (0, real.stdout)
    # postconf's "unused parameter" warnings for -o are our unknown-option problems
    warned = "unused parameter: " in real.stderr and "master.cf" in real.stderr
    assert warned == any("-o parameter" in p.problem for p in load_postfix(d).problems)
