"""Fixtures of the devcert tests: a fresh CA per test, one served CA per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from devcert_helpers import mailtls


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
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="mailtls-devcert-"))
    base.chmod(0o755)
    d = base / "ca"
    assert mailtls("devcert", "init", "--dir", str(d)).status == 0
    d.chmod(0o755)
    r = mailtls("devcert", "issue", "--dir", str(d), "localhost", "127.0.0.1", "::1")
    assert r.status == 0, r.err
    yield d
    shutil.rmtree(base, ignore_errors=True)
