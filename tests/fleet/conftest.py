"""Fleet fixtures: the lab, a private redis-server and PostgreSQL on loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtls.lab.run import LabThread
from mailtls.lab.servers import Lab
from monitor.conftest import postgres_url  # noqa: F401  (the private cluster, reused)
from servers.ports import free_ports


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with LabThread(tmp_path_factory.mktemp("fleetlab")) as running:
        yield running


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (no persistence)."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.fail("`redis-server` is not installed: run scripts/install-deps.sh as root",
                    pytrace=False)  # fmt: skip
    import redis

    work = tmp_path_factory.mktemp("redis")
    port = free_ports(1)[0]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(work), "--logfile", str(work / "log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"redis-server did not start: {(work / 'log').read_text()}", pytrace=False)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def lab_targets(lab: Lab, tmp_path: Path) -> Path:
    """The lab's SMTP endpoints (every one on 127.0.0.1) as a targets file."""
    path = tmp_path / "targets.txt"
    path.write_text("".join(f"{e.url}\n" for e in lab.endpoints))
    return path
