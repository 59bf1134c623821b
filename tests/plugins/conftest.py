"""Fixtures of the monitoring plugins' tests: the built-in lab in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailtls.lab.run import LabThread
from mailtls.lab.servers import Lab


@pytest.fixture(scope="session")
def plugin_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with LabThread(tmp_path_factory.mktemp("plugin-lab")) as running:
        yield running
