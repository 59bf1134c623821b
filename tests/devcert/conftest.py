"""Fixtures of the devcert tests: a fresh CA per test, one served CA per session, and a
Postfix and a Dovecot configured from the printed snippets (one pair per session)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from devcert_helpers import Servers, mailtls, settings, snippet

from servers.dovecot import DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    d = tmp_path / "ca"
    r = mailtls("devcert", "init", "--dir", str(d))
    assert r.status == 0, r.err
    return d


@pytest.fixture(scope="session")
def served_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A devcert CA with a certificate for localhost, 127.0.0.1 and ::1 (one per session),
    in a directory the postfix user can read (pytest's tmp is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="mailtls-devcert-"))
    base.chmod(0o755)
    d = base / "ca"
    assert mailtls("devcert", "init", "--dir", str(d)).status == 0
    d.chmod(0o755)
    r = mailtls("devcert", "issue", "--dir", str(d), "localhost", "127.0.0.1", "::1")
    assert r.status == 0, r.err
    yield d
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def other_ca() -> Iterator[Path]:
    """ca.pem of an unrelated devcert CA, readable by the postfix user."""
    base = Path(tempfile.mkdtemp(prefix="mailtls-devcert-other-"))
    base.chmod(0o755)
    assert mailtls("devcert", "init", "--dir", str(base / "ca")).status == 0
    (base / "ca").chmod(0o755)
    yield base / "ca" / "ca.pem"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def servers(served_ca: Path, other_ca: Path) -> Iterator[Servers]:
    if os.geteuid() != 0 or not shutil.which("postfix") or not shutil.which("dovecot"):
        pytest.fail("the devcert server tests need Postfix and Dovecot and root: run make test",
                    pytrace=False)
    smtp, imaps = free_ports(2)
    # Postfix takes its certificate from the printed main.cf lines, not from the fixture
    postfix = PostfixInstance([Listener("devcert", smtp,
                                        options={"smtpd_tls_security_level": "may"})],
                              main_cf=settings(snippet(served_ca, "postfix", "--port",
                                                       str(smtp))))
    dovecot_conf = snippet(served_ca, "dovecot")
    conf = settings(dovecot_conf)
    site = Site("127.0.0.1", Path(conf["ssl_cert"].lstrip("<")), Path(conf["ssl_key"].lstrip("<")))
    dovecot = DovecotInstance([site], {"imaps": imaps}, "pw", extra_conf=dovecot_conf)
    postfix.start()
    try:
        dovecot.start()
        try:
            yield Servers(served_ca, other_ca, smtp, imaps, postfix.mail_dir / "alice")
        finally:
            dovecot.cleanup()
    finally:
        postfix.cleanup()
