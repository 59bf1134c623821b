"""ECS documents (logs, scan) against the ECS 8.11 field reference stored as test data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from ecs_fields import check_document, flatten

from mailtls.export.ecs import log_document, scan_documents, tls_version
from mailtls.logs import read_all

DATA = Path(__file__).parent / "data"
FILES = sorted(str(p) for p in DATA.glob("*.log"))


def log_docs() -> list[dict]:  # type: ignore[type-arg]
    docs: list[dict] = []  # type: ignore[type-arg]
    read_all(FILES, on_event=lambda ev, when, path: docs.append(log_document(ev, when, path)))
    return docs


def test_every_log_document_conforms() -> None:
    docs = log_docs()
    assert len(docs) > 50
    for d in docs:
        assert check_document(d) == [], d


def test_the_checker_catches_wrong_names_types_and_values() -> None:
    good = log_docs()[0]
    assert check_document({**good, "tls": {"established": "yes"}}) != []
    assert check_document({**good, "source": {"port": "25"}}) != []
    assert check_document({**good, "tls": {"versionn": "1.3"}}) != []
    assert check_document({**good, "network": {"direction": "sideways"}}) != []
    assert check_document({**good, "mailtls": {"anything": [1, {"x": None}]}}) == []


def test_log_document_fields() -> None:
    docs = log_docs()
    failed = [d for d in docs if d["event"]["outcome"] == "failure"]
    actions = {d["event"]["action"] for d in failed}
    assert {"certificate-verification-failed", "tls-handshake-failed"} <= actions
    inbound = next(d for d in docs if d["event"]["action"] == "tls-established"
                   and d["network"]["direction"] == "inbound")
    assert inbound["source"]["ip"] == "127.0.0.1" and "destination" not in inbound
    assert inbound["log"]["file"]["path"].endswith(".log")
    assert inbound["@timestamp"].startswith(str(dt.date.today().year)[:2])
    assert {flatten(d).get("tls.version") for d in docs} >= {"1.3"}
    assert tls_version("TLSv1") == ("1.0", "tls") and tls_version("SSLv3") == ("3.0", "ssl")
    assert tls_version("TLSv1.2") == ("1.2", "tls") and tls_version("bogus") is None


@pytest.mark.servers
def test_scan_format_ecs_against_real_postfix(postfix_lab, lab_pki) -> None:  # type: ignore[no-untyped-def]
    urls = [f"smtp://localhost:{postfix_lab['good']}", f"smtp://localhost:{postfix_lab.no_tls}",
            f"smtp://localhost:{postfix_lab['expired']}"]
    done = subprocess.run([sys.executable, "-m", "mailtls", "scan", "--format", "ecs",
                           "--ca-file", str(postfix_lab.ca_file), "--timeout", "20", *urls],
                          capture_output=True, text=True, timeout=120, check=False)
    docs = [json.loads(x) for x in done.stdout.splitlines()]
    assert docs, done.stderr
    for d in docs:
        assert check_document(d) == [], d
    endpoints = [d for d in docs if d["event"]["action"] == "tls-scan"]
    assert [d["url"]["original"] for d in endpoints] == urls
    good = endpoints[0]
    leaf = lab_pki.situations["good"].issued.cert
    der = leaf.public_bytes(Encoding.DER)
    assert good["tls"]["server"]["hash"]["sha256"] == hashlib.sha256(der).hexdigest().upper()
    assert good["tls"]["established"] is True and good["tls"]["version_protocol"] == "tls"
    assert good["tls"]["server"]["x509"]["serial_number"] == format(leaf.serial_number, "x")
    assert endpoints[1]["tls"]["established"] is False
    rules = {d["rule"]["id"] for d in docs if d["event"]["kind"] == "alert"}
    assert {"starttls.not_offered", "cert.expired"} <= rules


def test_scan_documents_from_a_result() -> None:
    from mailtls.model import CertInfo, ScanResult, Target

    cert = CertInfo("CN=mx.example", "CN=Lab CA", "2025-01-01T00:00:00+00:00",
                    "2026-01-01T00:00:00+00:00", "ab" * 32, "x", ("mx.example",), "1f",
                    "EC secp256r1", "ecdsa-with-SHA256", False, False)
    r = ScanResult(Target("smtp", "mx.example", 25), "192.0.2.1", "TLSv1.2", "ECDHE-ECDSA-X",
                   cert, (cert,), (), True)
    (doc,) = scan_documents([r], dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert check_document(doc) == []
    assert doc["tls"]["server"]["not_after"] == "2026-01-01T00:00:00+00:00"
    assert doc["tls"]["server"]["x509"]["public_key_curve"] == "secp256r1"
    assert doc["destination"] == {"domain": "mx.example", "ip": "192.0.2.1", "port": 25,
                                  "address": "192.0.2.1"}


def _mapped(properties: dict, prefix: str = "") -> dict[str, str]:  # type: ignore[type-arg]
    out: dict[str, str] = {}
    for name, spec in properties.items():
        if "properties" in spec:
            out.update(_mapped(spec["properties"], f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = spec["type"]
    return out


def test_index_template_maps_every_field_with_its_ecs_type() -> None:
    from ecs_fields import reference

    root = Path(__file__).resolve().parents[2] / "contrib" / "elasticsearch"
    template = json.loads((root / "index-template.json").read_text())
    mapped = _mapped(template["template"]["mappings"]["properties"])
    for name, spec in reference().items():
        assert mapped.get(name) == spec["type"], name
    written = {k for d in log_docs() for k in flatten(d)}
    assert written - set(mapped) == set()
    pipeline = json.loads((root / "ingest-pipeline.json").read_text())
    assert pipeline["processors"]
