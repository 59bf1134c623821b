"""Zabbix fixtures: one real Zabbix 6.0 (server, PostgreSQL, PHP frontend and API) per
session, on loopback, with the mailtls template imported through the API."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zabbix_server import ZabbixServer, ZabbixSetupError, missing

TEMPLATE = Path(__file__).resolve().parents[2] / "contrib" / "zabbix" / "mailtls_tls.yaml"
TEMPLATE_NAME = "mailtls TLS"
IMPORT_RULES = {
    **{k: {"createMissing": True, "updateExisting": True}
       for k in ("templates", "discoveryRules", "items", "triggers", "valueMaps")},
    "groups": {"createMissing": True},
}


@pytest.fixture(scope="session")
def zabbix() -> Iterator[ZabbixServer]:
    """A running Zabbix server with its database and API (Admin/zabbix)."""
    lacking = missing()
    if lacking:
        pytest.fail(f"the Zabbix tests need {', '.join(lacking)}: run scripts/install-deps.sh "
                    "as root", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the Zabbix tests start PostgreSQL as the postgres user and must run as "
                    "root", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="mailtls-zabbix-"))
    base.chmod(0o755)
    server = ZabbixServer(base)
    try:
        try:
            server.start()
        except (ZabbixSetupError, TimeoutError, RuntimeError) as exc:
            pytest.fail(f"Zabbix did not start: {exc}", pytrace=False)
        _quiet_default_host(server.api())
        yield server
    finally:
        server.stop()
        if os.environ.get("MAILTLS_KEEP_LAB", "") in ("", "0"):
            shutil.rmtree(base, ignore_errors=True)


def _quiet_default_host(api: Any) -> None:
    """Disable the database's own "Zabbix server" host: its hundreds of internal items
    would only cost CPU here."""
    hosts = api.host.get(filter={"host": "Zabbix server"}, output=["hostid"])
    for h in hosts:
        api.host.update(hostid=h["hostid"], status=1)


@pytest.fixture(scope="session")
def template_id(zabbix: ZabbixServer) -> str:
    """The template of contrib/zabbix imported through the API (configuration.import)."""
    api = zabbix.api()
    assert api.configuration.import_(format="yaml", source=TEMPLATE.read_text(),
                                     rules=IMPORT_RULES) is True
    found = api.template.get(filter={"host": TEMPLATE_NAME}, output=["templateid"])
    assert len(found) == 1
    return str(found[0]["templateid"])


@pytest.fixture(scope="session")
def group_id(zabbix: ZabbixServer) -> str:
    created = zabbix.api().hostgroup.create(name="mailtls tests")
    return str(created["groupids"][0])
