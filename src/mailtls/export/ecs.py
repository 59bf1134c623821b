"""Elastic Common Schema documents (ECS 8.11): one JSON object per line (NDJSON).

One mapping for every source: a log event (:func:`log_document`), a scan result
(:func:`scan_documents`, also for ``monitor run``). Fields outside ECS go under
``mailtls.*``. ``contrib/elasticsearch/`` holds the index template and the ingest pipeline
that load these documents; tests/logs/data/ecs-8.11-fields.yml is the subset of the ECS
field reference (names and types) the tests check every document against.

* ``tls.version`` is the number ("1.3"), ``tls.version_protocol`` the family ("tls",
  "ssl"), as ECS asks; ``tls.established`` is true for a handshake that completed.
* The peer is ``source.*`` for inbound events (the client) and ``destination.*`` for
  outbound events and scans (the server).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..catalog import describe
from ..model import CertInfo, ScanResult

ECS_VERSION = "8.11.0"

_ACTIONS = {
    "tls": "tls-established", "verify_failed": "certificate-verification-failed",
    "handshake_failed": "tls-handshake-failed", "tls_problem": "tls-library-problem",
    "lost_starttls": "lost-connection-after-starttls", "disconnect": "smtp-disconnect",
    "client": "smtp-message-received", "delivery": "smtp-delivery", "login": "login",
    "login_failed": "tls-handshake-failed",
}
_FAILURES = {"verify_failed", "handshake_failed", "tls_problem", "lost_starttls",
             "login_failed"}


def tls_version(protocol: str | None) -> tuple[str, str] | None:
    """``TLSv1.3`` -> ("1.3", "tls"); ``TLSv1`` -> ("1.0", "tls"); ``SSLv3`` -> ("3.0", "ssl")."""
    if not protocol:
        return None
    lower = protocol.lower()
    for family in ("tls", "ssl"):
        if lower.startswith(family):
            number = lower[len(family):].lstrip("v")
            if not number:
                return None
            return (number if "." in number else number + ".0"), family
    return None


def _put(doc: dict[str, Any], dotted: str, value: object) -> None:
    """Set ``a.b.c`` in nested dicts; None values are left out."""
    if value is None:
        return
    *parents, leaf = dotted.split(".")
    node = doc
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def _endpoint(doc: dict[str, Any], side: str, name: str | None, ip: str | None,
              port: int | None) -> None:
    if name and name != "unknown" and name != ip:
        _put(doc, f"{side}.domain", name)
    _put(doc, f"{side}.ip", ip or None)
    _put(doc, f"{side}.port", port)
    _put(doc, f"{side}.address", ip or name)


def _peer_name(peer: str | None) -> str | None:
    return peer.split("[", 1)[0] if peer and "[" in peer else None


def log_document(ev: Any, when: dt.datetime | None, path: str | None) -> dict[str, Any]:
    """The ECS document of one :class:`mailtls.logs.Event` (typed loosely: export reads no
    logs module; the event's attributes are the contract)."""
    doc: dict[str, Any] = {"ecs": {"version": ECS_VERSION}}
    _put(doc, "@timestamp", when.isoformat() if when else None)
    failed = ev.kind in _FAILURES or (ev.kind == "delivery" and ev.status != "sent")
    _put(doc, "event.kind", "event")
    _put(doc, "event.category", ["network", "email"])
    _put(doc, "event.type", ["connection", "protocol"])
    _put(doc, "event.action", _ACTIONS.get(ev.kind, ev.kind))
    _put(doc, "event.outcome", "failure" if failed else "success")
    _put(doc, "event.module", "mailtls")
    _put(doc, "event.dataset", "mailtls.logs")
    _put(doc, "network.direction", ev.direction)
    _put(doc, "network.protocol", ev.service)
    side = "source" if ev.direction == "inbound" else "destination"
    _endpoint(doc, side, _peer_name(ev.peer), ev.peer_addr, ev.peer_port)
    _put(doc, "host.hostname", ev.host or None)
    _put(doc, "process.name", ev.program or None)
    _put(doc, "process.pid", int(ev.pid) if ev.pid else None)
    _put(doc, "log.file.path", path if path and path != "-" else None)
    version = tls_version(ev.protocol)
    if version is not None:
        _put(doc, "tls.version", version[0])
        _put(doc, "tls.version_protocol", version[1])
    _put(doc, "tls.cipher", ev.cipher)
    _put(doc, "tls.curve", ev.kex)
    if ev.kind in ("tls", "login") and ev.tls:
        _put(doc, "tls.established", True)
    elif ev.kind in ("handshake_failed", "login_failed"):
        _put(doc, "tls.established", False)
    _put(doc, "user.name", ev.user if ev.kind in ("login", "login_failed") else None)
    _put(doc, "email.local_id", ev.queue_id)
    if ev.kind == "delivery" and ev.user:
        _put(doc, "email.to.address", [ev.user])
    _put(doc, "error.message", ev.reason if failed else None)
    _put(doc, "mailtls.trust", ev.trust)
    _put(doc, "mailtls.peer", ev.peer)
    _put(doc, "mailtls.relay", ev.relay)
    _put(doc, "mailtls.status", ev.status)
    _put(doc, "mailtls.sasl_method", ev.method)
    _put(doc, "mailtls.signature", ev.signature)
    _put(doc, "mailtls.cipher_bits", ev.bits)
    if ev.starttls is not None:
        _put(doc, "mailtls.starttls.succeeded", ev.starttls[0])
        _put(doc, "mailtls.starttls.attempted", ev.starttls[1])
    if ev.auth is not None:
        _put(doc, "mailtls.auth.succeeded", ev.auth[0])
        _put(doc, "mailtls.auth.attempted", ev.auth[1])
    return doc


def _x509(doc: dict[str, Any], cert: CertInfo) -> None:
    _put(doc, "tls.server.hash.sha256", cert.sha256.upper())
    _put(doc, "tls.server.not_after", cert.not_after)
    _put(doc, "tls.server.not_before", cert.not_before)
    _put(doc, "tls.server.subject", cert.subject)
    _put(doc, "tls.server.issuer", cert.issuer)
    _put(doc, "tls.server.x509.not_after", cert.not_after)
    _put(doc, "tls.server.x509.not_before", cert.not_before)
    _put(doc, "tls.server.x509.serial_number", cert.serial)
    _put(doc, "tls.server.x509.alternative_names", list(cert.san) or None)
    _put(doc, "tls.server.x509.signature_algorithm", cert.signature)
    _put(doc, "tls.server.x509.subject.distinguished_name", cert.subject)
    _put(doc, "tls.server.x509.issuer.distinguished_name", cert.issuer)
    algo, _, size = cert.key.partition(" ")
    _put(doc, "tls.server.x509.public_key_algorithm", algo or None)
    if size.isdigit():
        _put(doc, "tls.server.x509.public_key_size", int(size))
    elif size:
        _put(doc, "tls.server.x509.public_key_curve", size)


def scan_documents(results: Iterable[ScanResult], when: dt.datetime,
                   lang: str = "en", dataset: str = "mailtls.scan") -> Iterator[dict[str, Any]]:
    """One document per scanned endpoint, and one per finding of it."""
    for r in results:
        base = _scan_base(r, when, dataset)
        yield base
        for f in r.findings:
            doc = json.loads(json.dumps(base))
            text = describe(f, lang)
            _put(doc, "event.kind", "alert")
            _put(doc, "event.action", "finding")
            _put(doc, "event.severity", int(f.severity))
            _put(doc, "rule.id", f.id)
            _put(doc, "rule.name", text.title)
            _put(doc, "message", text.detail)
            _put(doc, "mailtls.finding.severity", f.severity.label)
            _put(doc, "mailtls.finding.remediation", text.remediation)
            yield doc


def _scan_base(r: ScanResult, when: dt.datetime, dataset: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"ecs": {"version": ECS_VERSION}}
    _put(doc, "@timestamp", when.isoformat())
    _put(doc, "event.kind", "event")
    _put(doc, "event.category", ["network"])
    _put(doc, "event.type", ["info"])
    _put(doc, "event.action", "tls-scan")
    _put(doc, "event.outcome", "success" if r.tested else "failure")
    _put(doc, "event.module", "mailtls")
    _put(doc, "event.dataset", dataset)
    _put(doc, "network.protocol", r.target.scheme)
    _put(doc, "url.original", r.target.url)
    _endpoint(doc, "destination", r.target.host, r.address, r.target.port)
    version = tls_version(r.tls_version)
    if version is not None:
        _put(doc, "tls.version", version[0])
        _put(doc, "tls.version_protocol", version[1])
    _put(doc, "tls.cipher", r.cipher)
    _put(doc, "tls.established", r.tls_version is not None)
    if r.certificate is not None:
        _x509(doc, r.certificate)
    _put(doc, "error.message", r.error)
    _put(doc, "mailtls.grade", r.grade.letter if r.grade else None)
    _put(doc, "mailtls.worst_severity", r.worst.label if r.worst else None)
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def render_scan_ecs(results: Iterable[ScanResult], when: dt.datetime, lang: str = "en",
                    dataset: str = "mailtls.scan") -> str:
    """NDJSON text of :func:`scan_documents` (no trailing newline)."""
    return "\n".join(dumps(d) for d in scan_documents(results, when, lang, dataset))
