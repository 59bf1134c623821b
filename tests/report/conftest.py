"""Report fixtures: a real scan of the built-in lab, Chromium, a PNG reader."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailtls.cli.browser import find_chromium
from mailtls.lab.run import LabThread
from mailtls.lab.servers import Lab
from support.report import mailtls


@pytest.fixture(scope="session")
def report_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with LabThread(tmp_path_factory.mktemp("report-lab")) as running:
        yield running


@pytest.fixture(scope="session")
def scan_file(report_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mailtls scan --json`` of every lab endpoint (17 situations), as a file."""
    p = mailtls("scan", "--json", "--ca-file", str(report_lab.ca_file),
                "--targets", str(report_lab.targets_file))
    assert p.returncode == 2, p.stderr  # the lab has critical endpoints
    path = tmp_path_factory.mktemp("scan") / "scan.json"
    path.write_text(p.stdout)
    return path


@pytest.fixture(scope="session")
def scan_doc(scan_file: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(scan_file.read_text())
    return doc


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: scripts/install-deps.sh installs it")
        pytest.skip("no Chromium (apt-get install chromium)")
    return found


