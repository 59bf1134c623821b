"""Monitor fixtures: a private PostgreSQL cluster (initdb/pg_ctl, loopback, once per session)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.ports import free_ports


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(
        f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        pytest.fail(f"`{name}` is not installed: the PostgreSQL history tests need the "
                    "postgresql package; run scripts/install-deps.sh as root", pytrace=False)
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL on 127.0.0.1 (trust auth), as the postgres system user."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="mailtls-pg-"))
    base.chmod(0o755)
    data = base / "data"
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    def as_pg(*cmd: str) -> subprocess.CompletedProcess[str]:
        def demote() -> None:
            if user is not None:
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
        return subprocess.run(cmd, capture_output=True, text=True, preexec_fn=demote,
                              stdin=subprocess.DEVNULL, timeout=120, check=False)

    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    done = as_pg(initdb, "-D", str(data), "-A", "trust", "-U", "mailtls", "--no-sync")
    if done.returncode:
        pytest.fail(f"initdb failed: {done.stderr}", pytrace=False)
    port = free_ports(1)[0]
    opts = f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off"
    done = as_pg(pg_ctl, "-D", str(data), "-l", str(base / "log"), "-o", opts, "-w", "start")
    if done.returncode:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        pytest.fail(f"pg_ctl start failed: {done.stderr} {log}", pytrace=False)
    try:
        yield f"postgresql://mailtls@127.0.0.1:{port}/postgres"
    finally:
        as_pg(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
