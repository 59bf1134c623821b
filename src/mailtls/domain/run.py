"""Gather the facts of one domain and judge them: the service behind ``mailtls domain``.

DNS goes to one server (``--resolver``) and is validated here (domain.dnssec); the MX
hosts come from mailtls.net.mx, every MX x address is scanned by mailtls.scan (STARTTLS on
port 25, or ``mx_port`` for labs), and the MTA-STS policy is fetched by mailtls.net.https.
The TLSA owner is always ``_25._tcp.HOST``: ``mx_port`` only moves the lab's listeners.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.rrset
from cryptography.hazmat.primitives import serialization

from ..catalog import new_finding
from ..model import Target
from ..net import https
from ..net.dns import Server, Transport
from ..net.mx import make_resolver, mx_targets
from ..scan import ScanOptions, scan
from .dnssec import Answer, Validator
from .evaluate import DomainReport, Facts, HostFacts, StsFacts, evaluate
from .mtasts import parse_policy, parse_sts_record, parse_tlsrpt, txt_strings

FETCH_FINDINGS = {
    https.CONNECT: "mtasts.policy_unreachable",
    https.HTTP: "mtasts.policy_unreachable",
    https.STATUS: "mtasts.policy_unreachable",
    https.TLS: "mtasts.policy_tls",
    https.REDIRECT: "mtasts.policy_redirect",
    https.TOO_LARGE: "mtasts.policy_too_large",
}


@dataclass(frozen=True)
class DomainOptions:
    server: Server
    anchors: Sequence[dns.rrset.RRset]
    scan: ScanOptions = field(default_factory=ScanOptions)
    mx_port: int = 25
    https_port: int = 443
    now: dt.datetime | None = None
    timeout: float = 10.0


def _cadata(options: DomainOptions) -> str:
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in options.scan.store.certs]
    return "".join(pems)


def _sts(domain: str, v: Validator, options: DomainOptions) -> StsFacts:
    record = parse_sts_record(domain, txt_strings(v.lookup(f"_mta-sts.{domain}.", "TXT").texts))
    if not record.present:
        return StsFacts(record)
    host = f"mta-sts.{domain}"
    addresses = [*v.lookup(host + ".", "A").texts, *v.lookup(host + ".", "AAAA").texts]
    fetched = https.fetch_policy(host, addresses, _cadata(options), port=options.https_port,
                                 timeout=options.timeout)  # fmt: skip
    if fetched.failure is not None:
        f = new_finding(FETCH_FINDINGS[fetched.failure], domain=domain, url=fetched.url,
                        reason=fetched.error or str(fetched.status or ""))  # fmt: skip
        return StsFacts(record, None, (f,))
    media = fetched.content_type.split(";")[0].strip().lower()
    if media != "text/plain":
        f = new_finding("mtasts.policy_content_type", domain=domain, url=fetched.url,
                        content_type=fetched.content_type or "(none)")  # fmt: skip
        return StsFacts(record, None, (f,))
    parsed = parse_policy(domain, fetched.body)
    return StsFacts(record, parsed.policy, parsed.findings)


def _dns_facts(domain: str, v: Validator, options: DomainOptions,
               hosts: Sequence[tuple[int, str]]) -> tuple[list[HostFacts], StsFacts, list[str]]:
    facts = [HostFacts(host, pref, v.lookup(host + ".", "A"), v.lookup(host + ".", "AAAA"),
                       v.lookup(f"_25._tcp.{host}.", "TLSA")) for pref, host in hosts]  # fmt: skip
    sts = _sts(domain, v, options)
    rpt = txt_strings(v.lookup(f"_smtp._tls.{domain}.", "TXT").texts)
    return facts, sts, rpt


def _preferences(targets: Sequence[Target], mx: Answer) -> list[tuple[int, str]]:
    prefs: dict[str, int] = {}
    for text in mx.texts:
        pref, _, host = text.partition(" ")
        prefs.setdefault(host.rstrip(".").lower(), int(pref) if pref.isdigit() else 0)
    seen: list[tuple[int, str]] = []
    for t in targets:
        if t.host not in [h for _, h in seen]:
            seen.append((prefs.get(t.host, 0), t.host))
    return seen


async def check_domain(domain: str, options: DomainOptions) -> DomainReport:
    """Every fact about ``domain``, judged; network failures become findings, never raise."""
    domain = domain.rstrip(".").lower()
    now = options.now or dt.datetime.now(dt.UTC)
    resolver = make_resolver([str(options.server)], timeout=options.timeout)
    answer = await mx_targets(domain, resolver, port=options.mx_port)
    transport = Transport(options.server, timeout=options.timeout)
    validator = Validator(transport.query, options.anchors, now.timestamp())
    mx = await asyncio.to_thread(validator.lookup, domain + ".", "MX")
    hosts = _preferences(answer.targets, mx)
    scans_task = asyncio.ensure_future(scan(answer.targets, options.scan))
    host_facts, sts, rpt = await asyncio.to_thread(_dns_facts, domain, validator, options, hosts)
    scans = await scans_task
    facts = Facts(domain, mx, tuple(host_facts), tuple(scans), sts,
                  parse_tlsrpt(domain, rpt), answer.notes, answer.errors, now)  # fmt: skip
    return evaluate(facts)


async def check_domains(domains: Sequence[str], options: DomainOptions) -> list[DomainReport]:
    """Each domain in turn (their MX scans run concurrently inside)."""
    return [await check_domain(d, options) for d in domains]

