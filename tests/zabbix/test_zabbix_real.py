"""``mailtls zabbix send`` into a real Zabbix 6.0 (Debian packages) with the template of
contrib/zabbix imported through the API: discovery creates the items, the values arrive,
the expiry, verification and new-issuer triggers go to PROBLEM (seen through the API).

The endpoints are the lab's real Postfix (good, expires-soon, expired) and Dovecot, whose
``imaps`` endpoint is first resolved to the address presenting the good certificate and
then to the one presenting a certificate from another CA (a new issuer, same URL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from zabbix_server import ZabbixServer

from mailtls.cli.main import cli

pytestmark = pytest.mark.servers
SITUATIONS = ("good", "expires-soon", "expired")


def poll(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Ask the API until ``check`` answers something true (Zabbix works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not there after {timeout:.0f}s")
        time.sleep(0.5)


def write_inventory(path: Path, postfix_lab: Any, dovecot_lab: Any, imaps_at: str) -> Path:
    blocks = ['[scan]\ntrust = "none"\ntimeout = 10\n']
    for name in SITUATIONS:
        blocks.append(f'[[endpoint]]\ntarget = "smtp://localhost:{postfix_lab[name]}"\n'
                      f'resolve = "127.0.0.1"\nca_file = ["{postfix_lab.ca_file}"]\n')
    blocks.append(f'[[endpoint]]\ntarget = "imaps://localhost:{dovecot_lab.ports["imaps"]}"\n'
                  f'resolve = "{imaps_at}"\nca_file = ["{dovecot_lab.ca_file}"]\n'
                  'warn_days = 45\ncrit_days = 20\n')
    path.write_text("\n".join(blocks))
    return path


def send(zabbix: ZabbixServer, inventory: Path, host: str,
         address: str = "127.0.0.1") -> Result:
    return CliRunner().invoke(cli, ["zabbix", "send", "--server", f"{address}:{zabbix.trapper}",
                                    "--inventory", str(inventory), "--host", host])


def accepts(zabbix: ZabbixServer, host: str, key: str, value: str = "1") -> None:
    """Wait until the server's configuration cache knows an item: a trapper value for it
    is processed (the cache reload is asynchronous)."""
    from zabbix_utils import Sender

    sender = Sender(server="127.0.0.1", port=zabbix.trapper)
    poll(f"{key} accepted by the trapper",
         lambda: sender.send_value(host, key, value).processed == 1)


def items(api: Any, hostid: str) -> dict[str, dict[str, Any]]:
    found = api.item.get(hostids=hostid, output=["key_", "lastvalue", "lastclock", "itemid"])
    return {i["key_"]: i for i in found}


def problems(api: Any, hostid: str) -> set[str]:
    found = api.trigger.get(hostids=hostid, filter={"value": 1}, output=["description"],
                            expandDescription=True)
    return {t["description"] for t in found}


@pytest.fixture
def host(zabbix: ZabbixServer, template_id: str, group_id: str,
         request: pytest.FixtureRequest) -> str:
    """A new Zabbix host linked to the template; its id."""
    api = zabbix.api()
    name = f"mailtls-{request.node.name}"[:120].replace("[", "-").replace("]", "")
    api.host.create(host=name, groups=[{"groupid": group_id}],
                    templates=[{"templateid": template_id}])
    zabbix.reload_config()
    accepts(zabbix, name, "mailtls.discovery", "[]")  # the server knows the host now
    return name


def test_send_discovers_items_and_fires_triggers(
        zabbix: ZabbixServer, host: str, postfix_lab: Any, dovecot_lab: Any,
        tmp_path: Path) -> None:
    api = zabbix.api()
    hostid = api.host.get(filter={"host": host}, output=["hostid"])[0]["hostid"]
    good_at, rogue_at = dovecot_lab["good"].address, dovecot_lab["untrusted"].address
    inventory = write_inventory(tmp_path / "inv.toml", postfix_lab, dovecot_lab, good_at)
    urls = {n: f"smtp://localhost:{postfix_lab[n]}" for n in SITUATIONS}
    imaps = f"imaps://localhost:{dovecot_lab.ports['imaps']}"

    # 1. the first pass: the discovery row is accepted; items do not exist yet
    first = send(zabbix, inventory, host)
    assert first.exit_code == 1, first.output  # values refused: no items yet
    assert ": 1 of " in first.output and "values refused" in first.output, first.output
    created = poll("items discovered from the first send", lambda: (
        len(items(api, hostid)) >= 4 * 16 and items(api, hostid)))
    assert f'mailtls.days_left["{urls["expires-soon"]}"]' in created
    assert f'mailtls.findings["{imaps}",critical]' in created
    poll("triggers discovered from the first send", lambda: len(api.trigger.get(
        hostids=hostid, output=["triggerid"])) >= 4 * 8)
    zabbix.reload_config()  # items and triggers in the cache before the values come
    accepts(zabbix, host, f'mailtls.tested["{imaps}"]')

    # 2. every value accepted, and stored
    second = send(zabbix, inventory, host)
    assert second.exit_code == 0, second.output
    total = int(second.output.split(" of ")[1].split()[0])
    assert f": {total} of {total} values accepted" in second.output
    got = poll("values of the second send", lambda: (
        all(i["lastclock"] != "0" for k, i in items(api, hostid).items()
            if k.startswith(("mailtls.days_left", "mailtls.verified")))
        and items(api, hostid)))
    assert 9.0 < float(got[f'mailtls.days_left["{urls["expires-soon"]}"]']["lastvalue"]) < 10.1
    assert float(got[f'mailtls.days_left["{urls["expired"]}"]']["lastvalue"]) < -9.0
    assert got[f'mailtls.verified["{urls["good"]}"]']["lastvalue"] == "1"
    assert got[f'mailtls.verified["{urls["expired"]}"]']["lastvalue"] == "0"
    assert got[f'mailtls.changed["{imaps}"]']["lastvalue"] == "0"
    assert "mailtls lab intermediate CA" in got[f'mailtls.issuer["{imaps}"]']["lastvalue"]

    # 3. the triggers: expiry at the entry's thresholds, verification failure
    soon, expired = urls["expires-soon"], urls["expired"]
    firing = poll("expiry triggers in PROBLEM", lambda: (
        f"{soon}: certificate expires in less than 14 days" in problems(api, hostid)
        and problems(api, hostid)))
    assert f"{expired}: certificate expired" in firing
    assert f"{expired}: certificate verification failed" in firing
    assert not any(p.startswith(urls["good"] + ":") for p in firing), firing
    assert not any(p.startswith(imaps + ":") for p in firing), firing

    # 4. the imaps endpoint now presents a certificate from another CA: new issuer
    # (sent over IPv6 this time: the server listens on ::1 too)
    write_inventory(inventory, postfix_lab, dovecot_lab, rogue_at)
    third = send(zabbix, inventory, host, "[::1]")
    assert third.exit_code == 0, third.output
    firing = poll("new-issuer trigger in PROBLEM", lambda: (
        f"{imaps}: certificate from a new issuer" in problems(api, hostid)
        and problems(api, hostid)))
    assert items(api, hostid)[f'mailtls.changed["{imaps}"]']["lastvalue"] == "3"
    assert f"{imaps}: certificate verification failed" in firing
