"""``mailtls zabbix discovery`` and ``send`` without a Zabbix server: output, bad input,
an unreachable server (exit 3, named), --dry-run."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from mailtls.cli.exits import run
from mailtls.cli.main import cli
from mailtls.cli.zabbix import parse_server
from servers.ports import free_ports


def inventory(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "inv.toml"
    path.write_text(f"""
[scan]
timeout = 5
[[endpoint]]
target = "smtp://mx.zabbix.test:{port}"
resolve = "127.0.0.1"
warn_days = 45
crit_days = 20
tags = ["prod"]
[[endpoint]]
target = "imaps://127.0.0.1:{port}"
""")
    return path


def test_trust_none_without_ca_file_is_named(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inv.toml"
    path.write_text('[scan]\ntrust = "none"\n[[endpoint]]\ntarget = "smtp://127.0.0.1:1"\n')
    assert run(cli, ["zabbix", "send", "--server", "127.0.0.1", "-i", str(path)]) == 64
    err = capsys.readouterr().err
    assert str(path) in err and "--ca-file" in err and "internal error" not in err


def test_discovery_prints_the_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cli, ["zabbix", "discovery", "--inventory", str(inventory(tmp_path, 2525))]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {"{#TARGET}": "smtp://mx.zabbix.test:2525", "{#SCHEME}": "smtp",
         "{#HOST}": "mx.zabbix.test", "{#PORT}": "2525", "{#ADDRESS}": "127.0.0.1",
         "{#WARN_DAYS}": "45", "{#CRIT_DAYS}": "20", "{#TAGS}": "prod"},
        {"{#TARGET}": "imaps://127.0.0.1:2525", "{#SCHEME}": "imaps", "{#HOST}": "127.0.0.1",
         "{#PORT}": "2525", "{#ADDRESS}": "", "{#WARN_DAYS}": "30", "{#CRIT_DAYS}": "14",
         "{#TAGS}": ""},
    ]


def test_bad_and_missing_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[endpoint]]\ntarget = "smtp://mx.zabbix.test"\nwarn_dayz = 3\n')
    assert run(cli, ["zabbix", "discovery", "-i", str(bad)]) == 64
    assert f"{bad}:3" in capsys.readouterr().err
    assert run(cli, ["zabbix", "send", "--server", "127.0.0.1", "-i", str(bad)]) == 64
    assert run(cli, ["zabbix", "discovery", "-i", str(tmp_path / "none.toml")]) == 66


@pytest.mark.parametrize(("text", "expected"), [
    ("zabbix.example.test", ("zabbix.example.test", 10051)),
    ("127.0.0.1:10151", ("127.0.0.1", 10151)),
    ("[::1]", ("::1", 10051)), ("[::1]:10052", ("::1", 10052)), ("::1", ("::1", 10051)),
])
def test_server_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["", ":10051", "host:", "host:port", "host:0",
                                  "host:70000", "[::1", "[::1]x"])
def test_bad_server_is_a_usage_error(text: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(click.BadParameter):
        parse_server(text)
    path = inventory(tmp_path, 2525)
    assert run(cli, ["zabbix", "send", "--server", text, "-i", str(path)]) == 64
    assert "--server" in capsys.readouterr().err


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_unreachable_server_exits_3_naming_it(address: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    closed = free_ports(1, [address])[0]  # nothing listens: refused at once
    server = f"[{address}]:{closed}" if ":" in address else f"{address}:{closed}"
    path = inventory(tmp_path, free_ports(1)[0])
    assert run(cli, ["zabbix", "send", "--server", server, "-i", str(path)]) == 3
    err = capsys.readouterr().err
    assert f"Zabbix {server}: nothing sent" in err, err
    assert "Traceback" not in err
    assert path.with_suffix(".history.sqlite").exists()  # the pass itself was recorded


def test_dry_run_prints_discovery_then_values(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = inventory(tmp_path, free_ports(1)[0])
    assert run(cli, ["zabbix", "send", "--server", "127.0.0.1", "-i", str(path),
                     "--host", "mail-watch", "--dry-run"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["key"] == "mailtls.discovery"
    assert len(json.loads(lines[0]["value"])) == 2
    assert {line["host"] for line in lines} == {"mail-watch"}
    assert len({line["clock"] for line in lines}) == 1
    by_key = {line["key"]: line["value"] for line in lines}
    url = f"smtp://mx.zabbix.test:{json.loads(lines[0]['value'])[0]['{#PORT}']}"
    assert by_key[f'mailtls.tested["{url}"]'] == "0"  # nothing listens there
    assert f'mailtls.days_left["{url}"]' not in by_key


def test_messages_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    closed = free_ports(1)[0]
    path = inventory(tmp_path, free_ports(1)[0])
    assert run(cli, ["zabbix", "send", "--server", f"127.0.0.1:{closed}", "-i", str(path),
                     "--lang", "zh_CN"]) == 3
    assert f"Zabbix 127.0.0.1:{closed}：未发送任何数据（" in capsys.readouterr().err
    assert run(cli, ["zabbix", "send", "--server", "host:port", "-i", str(path),
                     "--lang", "zh_CN"]) == 64
    assert "host:port：应为 HOST[:PORT]" in capsys.readouterr().err
