"""``mailtls scan`` as a user runs it: a subprocess against the built-in lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mailtls.lab.servers import Lab
from support.dnsserver import DNSServer

SCHEMA = json.loads((Path(__file__).parents[2] / "src/mailtls/schemas/scan-1.json").read_text())
MAILTLS = [sys.executable, "-m", "mailtls"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "", "COLUMNS": "160", **(env or {})}
    return subprocess.run(
        [*MAILTLS, "scan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        stdin=subprocess.DEVNULL,
    )


def endpoint(lab: Lab, name: str) -> str:
    return next(e.url for e in lab.endpoints if e.name == name)


def primaries(doc: dict) -> list[str]:  # type: ignore[type-arg]
    out = []
    for r in doc["results"]:
        marked = [f["id"] for f in r["findings"] if f.get("primary")]
        out.append(marked[0] if marked else r["findings"][0]["id"])
    return out


def test_json_names_every_lab_diagnosis_and_validates(lab: Lab) -> None:
    p = run("--json", "--ca-file", str(lab.ca_file), "--targets", str(lab.targets_file))
    assert p.returncode == 2, p.stderr
    doc = json.loads(p.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert primaries(doc) == [e.expect for e in lab.endpoints]
    for r in doc["results"]:
        assert sum(bool(f.get("primary")) for f in r["findings"]) <= 1
    good = doc["results"][0]
    assert good["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert good["certificate"]["san"] == ["localhost", "127.0.0.1", "::1"]
    assert len(good["chain"]) == 2 and good["address"] in ("127.0.0.1", "::1")


@pytest.mark.parametrize(
    ("names", "status"),
    [(["good"], 0), (["expires-soon"], 1), (["good", "expired"], 2), (["weak-key"], 1)],
)
def test_exit_status(lab: Lab, names: list[str], status: int) -> None:
    p = run("--ca-file", str(lab.ca_file), *(endpoint(lab, n) for n in names))
    assert p.returncode == status, p.stdout + p.stderr


def test_without_the_lab_ca_the_lab_is_untrusted(lab: Lab) -> None:
    p = run("--json", endpoint(lab, "good"))
    assert primaries(json.loads(p.stdout)) == ["cert.untrusted"]


def test_terminal_output_english_and_chinese(lab: Lab) -> None:
    url = endpoint(lab, "expired")
    en = run("--ca-file", str(lab.ca_file), url)
    assert "Certificate expired" in en.stdout and "Fix:" in en.stdout
    assert url in en.stdout
    zh = run("--ca-file", str(lab.ca_file), url, env={"LANG": "zh_CN.UTF-8"})
    assert "证书已过期" in zh.stdout and "修复" in zh.stdout
    zh_json = run("--json", "--lang", "zh_CN", "--ca-file", str(lab.ca_file), url)
    assert json.loads(zh_json.stdout)["results"][0]["findings"][0]["title"] == "证书已过期"


def test_resolve_verifies_the_named_host(lab: Lab) -> None:
    port = endpoint(lab, "good").rsplit(":", 1)[1]
    ok = run(
        "--json",
        "--ca-file",
        str(lab.ca_file),
        "--resolve",
        f"localhost:{port}:127.0.0.1",
        f"smtp://localhost:{port}",
    )
    assert primaries(json.loads(ok.stdout)) == ["cert.verified"]
    other = run(
        "--json",
        "--ca-file",
        str(lab.ca_file),
        "--resolve",
        f"mail.example.test:{port}:127.0.0.1",
        f"smtp://mail.example.test:{port}",
    )
    doc = json.loads(other.stdout)
    assert primaries(doc) == ["cert.hostname_mismatch"]
    assert doc["results"][0]["address"] == "127.0.0.1"


def test_at_time_injects_the_clock(lab: Lab) -> None:
    p = run(
        "--json",
        "--ca-file",
        str(lab.ca_file),
        "--at",
        "2099-01-01T00:00:00Z",
        endpoint(lab, "good"),
    )
    assert primaries(json.loads(p.stdout)) == ["cert.expired"]


def test_bad_targets_are_named_and_the_rest_still_reported(lab: Lab) -> None:
    p = run(
        "--json",
        "--ca-file",
        str(lab.ca_file),
        "http://x.example",
        "smtp://bad host",
        endpoint(lab, "good"),
        "smtp://127.0.0.1:1",
    )
    doc = json.loads(p.stdout)
    assert "unknown scheme 'http'" in p.stderr
    assert primaries(doc) == ["cert.verified", "conn.refused"]
    assert len(doc["errors"]) == 2
    assert p.returncode == 3
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resolve", "nonsense"], "expected HOST:PORT:ADDRESS"),
        (["--at", "yesterday", "localhost"], "not an ISO 8601 time"),
        ([], "no target"),
        (["--timeout", "0", "localhost"], "--timeout"),
        (["--mx", "x.test", "--nameserver", "foo"], "--nameserver 'foo'"),
        (["--trust", "none", "localhost"], "--trust none needs at least one --ca-file"),
    ],
)
def test_usage_errors_are_clear(args: list[str], message: str) -> None:
    p = run(*args)
    assert p.returncode == 64 and message in p.stderr  # EX_USAGE
    assert "Traceback" not in p.stderr


def test_ca_file_that_is_not_a_certificate(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_bytes(b"\x00\x01garbage")
    p = run("--ca-file", str(bad), "localhost")
    assert p.returncode == 66 and f"{bad}: " in p.stderr  # EX_NOINPUT, naming the file
    assert "certificate" in p.stderr and "Traceback" not in p.stderr


def test_mx_scans_every_exchanger_in_preference_order(lab: Lab) -> None:
    port = endpoint(lab, "good").rsplit(":", 1)[1]
    zone = {
        ("example.test", "MX"): ["20 mx2.example.test.", "10 localhost.example.test."],
        ("mx2.example.test", "A"): ["127.0.0.1"],
        ("localhost.example.test", "A"): ["127.0.0.1"],
        ("null.test", "MX"): ["0 ."],
        ("implicit.test", "A"): ["127.0.0.1"],
    }
    with DNSServer(zone) as dns:
        p = run(
            "--json",
            "--ca-file",
            str(lab.ca_file),
            "--nameserver",
            dns.address,
            "--mx-port",
            port,
            "--mx",
            "example.test",
            "--mx",
            "null.test",
            "--mx",
            "implicit.test",
            "--mx",
            "nxdomain.test",
        )
    doc = json.loads(p.stdout)
    assert [r["host"] for r in doc["results"]] == [
        "localhost.example.test",
        "mx2.example.test",
        "implicit.test",
    ]
    assert all(r["port"] == int(port) and r["address"] == "127.0.0.1" for r in doc["results"])
    assert primaries(doc) == ["cert.hostname_mismatch"] * 3
    assert sorted(n["id"] for n in doc["notes"]) == ["mx.implicit", "mx.null"]
    assert any("nxdomain.test" in e and "does not exist" in e for e in doc["errors"])


def test_waiting_for_a_connection_slot_is_not_a_timeout(lab: Lab) -> None:
    # 300 scans of one endpoint, one connection at a time, each well within its deadline:
    # the queue behind the per-address limit must not eat the endpoints' deadlines.
    import asyncio

    from mailtls.scan import ScanOptions, scan
    from mailtls.targets import parse_target
    from mailtls.verify import TrustStore

    url = endpoint(lab, "good")
    targets = [parse_target(url)] * 300
    options = ScanOptions(store=TrustStore.build("none", [lab.ca_file]), timeout=0.5,
                          per_address=1)
    results = asyncio.run(scan(targets, options))
    assert [r.findings[0].id for r in results] == ["cert.verified"] * 300
    assert all(r.elapsed < 0.5 for r in results)
