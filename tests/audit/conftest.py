"""Helpers for the audit tests: a Postfix directory and a Dovecot file written in the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from mailtls.checks.certfiles import CertContext
from mailtls.checks.dovecot import audit_dovecot
from mailtls.checks.postfix import audit_postfix
from mailtls.config import load_postfix
from mailtls.config.dovecot import load_dovecot
from mailtls.lab.pki import LabPKI, build_lab_pki
from mailtls.model import Finding
from mailtls.verify import TrustStore
from support.audit import MASTER, AuditPostfix

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def pki() -> LabPKI:
    return build_lab_pki(NOW)


@pytest.fixture(scope="session")
def certs(pki: LabPKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    d = tmp_path_factory.mktemp("certs")
    return {name: s.issued.write(d, name) for name, s in pki.situations.items()}


@pytest.fixture
def ctx(pki: LabPKI) -> CertContext:
    return CertContext(NOW, TrustStore("lab root", (pki.root.issued.cert,)), 30)




@pytest.fixture
def postfix(tmp_path: Path, ctx: CertContext) -> AuditPostfix:
    def run(main: str, master: str = MASTER) -> list[Finding]:
        (tmp_path / "main.cf").write_text(main)
        (tmp_path / "master.cf").write_text(master)
        return audit_postfix(load_postfix(tmp_path), ctx)

    return run


@pytest.fixture
def dovecot(tmp_path: Path, ctx: CertContext) -> Callable[[str], list[Finding]]:
    def run(text: str) -> list[Finding]:
        (tmp_path / "dovecot.conf").write_text(text)
        return audit_dovecot(load_dovecot(tmp_path / "dovecot.conf"), ctx, "localhost")

    return run
