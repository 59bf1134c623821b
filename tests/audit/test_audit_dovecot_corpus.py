"""Dovecot configurations shaped like those of public mail-server projects (written for the
tests: the shapes, not the files), each with its expected findings (id, file, line).

doveconf is the oracle where it applies (a 2.3 file): it must accept the file, and the
settings mailtls reads must be the ones doveconf prints.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mailtls.checks.certfiles import CertContext
from mailtls.checks.dovecot import audit_dovecot
from mailtls.config.dovecot import DEFAULTS, load_dovecot, parse_dovecot_text

CORPUS = Path(__file__).parent / "corpus" / "dovecot"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").exists())
KEYS = ("ssl", "ssl_cert", "ssl_key", "ssl_min_protocol", "disable_plaintext_auth",
        "login_trusted_networks")


def install(case: str, tmp_path: Path, certs: dict[str, tuple[Path, Path]]) -> Path:
    """The case under tmp_path, its @CERT@/@KEY@ the lab's good certificate and key."""
    cert, key = certs["good"]
    root = tmp_path / case
    shutil.copytree(CORPUS / case, root)
    for f in root.rglob("*"):
        if f.is_file():
            f.write_text(f.read_text().replace("@CERT@", str(cert)).replace("@KEY@", str(key)))
    return root / "dovecot.conf"


@pytest.mark.parametrize("case", CASES)
def test_corpus_findings(case: str, tmp_path: Path, certs: dict, ctx: CertContext) -> None:
    conf = install(case, tmp_path, certs)
    expected = json.loads((CORPUS / case / "expected.json").read_text())
    found = audit_dovecot(load_dovecot(conf), ctx, "localhost")
    got = sorted((f.id, str(Path(f.location.file).relative_to(conf.parent)), f.location.line)
                 for f in found if f.location is not None)
    if shutil.which("doveconf") is None:  # the built-in reading says so, and nothing else
        got = [g for g in got if g[0] != "dovecot.doveconf_missing"]
        expected["findings"] = [e for e in expected["findings"]
                                if e[0] != "dovecot.doveconf_other_version"]
    assert got == sorted(tuple(e) for e in expected["findings"])


@pytest.mark.servers
@pytest.mark.parametrize("case", [c for c in CASES if not json.loads(
    (CORPUS / c / "expected.json").read_text()).get("version")])
def test_corpus_settings_are_doveconfs(case: str, tmp_path: Path, certs: dict) -> None:
    if shutil.which("doveconf") is None:
        pytest.fail("doveconf is not installed: run `make test`", pytrace=False)
    conf = install(case, tmp_path, certs)
    real = subprocess.run(["doveconf", "-c", str(conf), "-n", "-P"], capture_output=True,
                          text=True, timeout=30, check=False)
    assert real.returncode == 0, real.stderr
    theirs = {k: v for k, v in parse_dovecot_text(real.stdout).flat().items() if k[1] in KEYS}
    config = load_dovecot(conf)
    # doveconf -n hides a value equal to Dovecot's default
    ours = {k: v for k, v in config.flat().items() if k[1] in KEYS and (
        k in theirs or k[0] or v != DEFAULTS.get(k[1]))}
    served = " ".join(parse_dovecot_text(real.stdout).value("protocols").split())
    assert " ".join(config.value("protocols").split()) == served
    assert ours == theirs
