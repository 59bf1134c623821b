"""mailtls domain against real servers: Knot (signing), Postfix MX listeners, an HTTPS host.

Every verdict and evidence comes from the wire: the DNSSEC chain from the lab's own trust
anchor, the chains the Postfix listeners present, the policy the HTTPS host serves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from knotlab import DomainLab

pytestmark = pytest.mark.servers

MAILTLS = [sys.executable, "-m", "mailtls"]
SCHEMA = json.loads((Path(__file__).parents[2] / "src/mailtls/schemas/domain-1.json").read_text())


def run(lab: DomainLab, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang, "LANGUAGE": "", "COLUMNS": "160"}
    return subprocess.run([*MAILTLS, "domain", *lab.args(), *args], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)


def domain(lab: DomainLab, name: str) -> tuple[dict[str, Any], int]:
    done = run(lab, "--json", name)
    assert done.stdout, done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    return doc, done.returncode


def ids(doc: dict[str, Any]) -> set[str]:
    found = {f["id"] for f in doc["findings"]}
    for h in doc["mx"]:
        found |= {f["id"] for f in h["findings"]}
        for a in h["addresses"]:
            found |= {f["id"] for f in a["findings"]}
    return found


def test_valid_dane_is_authenticated(domain_lab: DomainLab) -> None:
    doc, status = domain(domain_lab, "dane.test")
    assert doc["schema"] == 1 and doc["domain"] == "dane.test"
    assert doc["verdict"] == "authenticated", doc
    assert status == 0
    assert doc["dnssec"]["mx"] == "secure"
    hosts = {h["host"]: h for h in doc["mx"]}
    assert [h["host"] for h in doc["mx"]] == ["mx1.dane.test", "mx2.dane.test"]
    for h in hosts.values():
        assert h["mechanism"] == "dane" and h["ok"]
        assert h["dnssec"] == {"mx": "secure", "address": "secure", "tlsa": "secure"}
    mx1 = hosts["mx1.dane.test"]["addresses"][0]
    assert mx1["address"] == domain_lab.net + "1" and mx1["port"] == domain_lab.mx_port
    assert mx1["tlsa_matched"].startswith("3 1 1 ")
    assert not mx1["pkix_verified"]  # an untrusted CA: DANE-EE does not care
    mx2 = hosts["mx2.dane.test"]["addresses"][0]
    assert mx2["tlsa_matched"].startswith("2 1 1 ")
    assert "dane.rollover_single_key" in ids(doc)  # mx1's one 3 1 1 record
    assert doc["tls_rpt"] == {"valid": True, "rua": ["mailto:tlsrpt@dane.test"]}


def test_wrong_tlsa_is_broken(domain_lab: DomainLab) -> None:
    doc, status = domain(domain_lab, "wrongtlsa.test")
    assert doc["verdict"] == "broken"
    assert status == 2
    (host,) = doc["mx"]
    assert host["mechanism"] == "dane" and not host["ok"]
    assert "dane.no_match" in ids(doc)
    assert "domain.broken" in ids(doc)


def test_tlsa_without_dnssec_is_ignored(domain_lab: DomainLab) -> None:
    doc, _ = domain(domain_lab, "unsigned.test")
    assert doc["verdict"] == "opportunistic"
    (host,) = doc["mx"]
    assert host["dnssec"]["tlsa"] == "insecure" and host["mechanism"] == "none"
    assert {"dane.tlsa_insecure", "domain.opportunistic", "tlsrpt.missing"} <= ids(doc)


def test_bogus_ds_is_broken(domain_lab: DomainLab) -> None:
    doc, status = domain(domain_lab, "bogus.test")
    assert doc["verdict"] == "broken" and status == 2
    assert doc["dnssec"]["mx"] == "bogus"
    bogus = next(f for f in doc["findings"] if f["id"] == "dnssec.bogus")
    assert "DS" in bogus["detail"] and bogus["params"]["zone"] == "bogus.test."


def test_mta_sts_enforce_is_authenticated(domain_lab: DomainLab) -> None:
    doc, status = domain(domain_lab, "sts.test")
    assert doc["verdict"] == "authenticated", doc
    assert status == 0
    assert doc["mta_sts"] == {"record": True, "id": "20240101", "mode": "enforce",
                              "max_age": 604800, "mx": ["mx.sts.test"]}
    (host,) = doc["mx"]
    assert host["mechanism"] == "enforce" and host["addresses"][0]["pkix_verified"]
    assert doc["tls_rpt"]["rua"] == ["mailto:tlsrpt@sts.test", "https://rpt.sts.test/r"]


def test_mta_sts_testing_is_partly(domain_lab: DomainLab) -> None:
    doc, _ = domain(domain_lab, "ststest.test")
    assert doc["verdict"] == "partly"
    assert doc["mta_sts"]["mode"] == "testing" and doc["mx"][0]["ok"]


def test_mx_not_covered_by_policy(domain_lab: DomainLab) -> None:
    doc, _ = domain(domain_lab, "stsmiss.test")
    assert doc["verdict"] == "partly"
    hosts = {h["host"]: h for h in doc["mx"]}
    assert hosts["mx.sts.test"]["ok"] and not hosts["other.stsmiss.test"]["ok"]
    missing = [f for f in hosts["other.stsmiss.test"]["findings"]
               if f["id"] == "mtasts.mx_not_covered"]
    assert missing and missing[0]["severity"] == "high"


def test_policy_redirect_is_refused(domain_lab: DomainLab) -> None:
    doc, _ = domain(domain_lab, "stsredir.test")
    assert doc["verdict"] == "opportunistic"
    assert "mtasts.policy_redirect" in ids(doc)


def test_policy_host_untrusted_without_ca_file(domain_lab: DomainLab) -> None:
    args = domain_lab.args()
    i = args.index("--ca-file")
    del args[i : i + 2]
    env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": ""}
    done = subprocess.run([*MAILTLS, "domain", *args, "--json", "sts.test"], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    doc = json.loads(done.stdout)
    assert doc["verdict"] == "opportunistic"
    assert "mtasts.policy_tls" in ids(doc)


def test_terminal_view_en_and_zh(domain_lab: DomainLab) -> None:
    en = run(domain_lab, "wrongtlsa.test", "--lang", "en")
    assert "wrongtlsa.test: broken" in en.stdout
    assert "dane.no_match No TLSA record matches the certificate" in en.stdout
    zh = run(domain_lab, "wrongtlsa.test", "--lang", "zh_CN")
    assert "wrongtlsa.test:" in zh.stdout and "broken" not in zh.stdout.split("\n")[0]
    assert "dane.no_match" in zh.stdout


def test_bad_trust_anchor_file(domain_lab: DomainLab, tmp_path: Any) -> None:
    bad = tmp_path / "anchor.txt"
    bad.write_text("test. IN A 127.0.0.1\n")
    env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": ""}
    done = subprocess.run([*MAILTLS, "domain", "--resolver", domain_lab.resolver,
                           "--trust-anchor", str(bad), "dane.test"], capture_output=True,
                          text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 66
    assert "only DS and DNSKEY are anchors" in done.stderr
    assert "Traceback" not in done.stderr
