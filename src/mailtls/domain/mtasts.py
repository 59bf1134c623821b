"""MTA-STS (RFC 8461) and the TLS-RPT record (RFC 8460): pure parsing and judging.

* ``_mta-sts.DOMAIN`` TXT: exactly one record starting ``v=STSv1``, with an ``id`` of 1 to
  32 letters and digits (section 3.1). Several such records mean no policy.
* The policy (section 3.2): ``key: value`` lines (CRLF or LF); ``version: STSv1``, ``mode``
  enforce/testing/none, ``max_age`` 0 to 31557600, at least one ``mx`` unless mode none;
  an ``mx`` pattern ``*.example.net`` covers exactly one more leftmost label (section 4.1).
* The fetch rules (section 3.3): HTTPS to ``mta-sts.DOMAIN`` with a valid certificate, no
  redirect, HTTP 200, ``text/plain``, at most 64 KiB; mailtls.net.https reports which broke.
* ``_smtp._tls.DOMAIN`` TXT: ``v=TLSRPTv1; rua=URI[,URI]`` with mailto: or https: URIs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..catalog import new_finding
from ..model import Finding

MAX_AGE_LIMIT = 31557600
MAX_POLICY_BYTES = 65536
_ID = re.compile(r"[A-Za-z0-9]{1,32}")


def _fields(record: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


def txt_strings(texts: Sequence[str]) -> list[str]:
    """dnspython TXT texts (``"a" "b"``) to the record strings (``ab``)."""
    found = []
    for text in texts:
        found.append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text)) if '"' in text else text)
    return found


@dataclass(frozen=True)
class StsRecord:
    present: bool
    id: str | None = None
    findings: tuple[Finding, ...] = ()


def parse_sts_record(domain: str, records: Sequence[str]) -> StsRecord:
    sts = [r for r in records if r.startswith("v=STSv1")]
    if not sts:
        return StsRecord(False)
    if len(sts) > 1:
        return StsRecord(False, None, (new_finding("mtasts.txt_multiple", domain=domain,
                                                   count=str(len(sts))),))  # fmt: skip
    record_id = _fields(sts[0]).get("id", "")
    if not _ID.fullmatch(record_id):
        finding = new_finding("mtasts.txt_invalid", domain=domain, record=sts[0][:200])
        return StsRecord(False, None, (finding,))
    return StsRecord(True, record_id)


@dataclass(frozen=True)
class Policy:
    mode: str
    max_age: int
    mx: tuple[str, ...]


@dataclass(frozen=True)
class ParsedPolicy:
    policy: Policy | None
    findings: tuple[Finding, ...] = field(default=())


def parse_policy(domain: str, body: bytes) -> ParsedPolicy:
    """The policy, or None with the findings that say why senders would ignore it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ParsedPolicy(None, (new_finding("mtasts.policy_syntax", domain=domain,
                                               key="(encoding)", value="not UTF-8"),))  # fmt: skip
    values: dict[str, list[str]] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        key, sep, value = line.partition(":")
        if sep:
            values.setdefault(key.strip(), []).append(value.strip())
    problems: list[Finding] = []

    def bad(key: str, value: str) -> None:
        problems.append(new_finding("mtasts.policy_syntax", domain=domain, key=key, value=value))

    version = values.get("version", [""])[0]
    if version != "STSv1":
        bad("version", version or "(missing)")
    mode = values.get("mode", [""])[0]
    if mode not in ("enforce", "testing", "none"):
        bad("mode", mode or "(missing)")
    age_text = values.get("max_age", [""])[0]
    if not age_text.isdigit() or int(age_text) > MAX_AGE_LIMIT:
        bad("max_age", age_text or "(missing)")
    mx = tuple(p.lower().rstrip(".") for p in values.get("mx", []))
    if not mx and mode in ("enforce", "testing"):
        bad("mx", "(missing)")
    if problems:
        return ParsedPolicy(None, tuple(problems))
    findings: list[Finding] = []
    if int(age_text) < 86400 and mode != "none":
        findings.append(new_finding("mtasts.max_age_short", domain=domain, seconds=age_text))
    return ParsedPolicy(Policy(mode, int(age_text), mx), tuple(findings))


def mx_covered(host: str, patterns: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern.startswith("*."):
            first, _, rest = host.partition(".")
            if first and rest == pattern[2:]:
                return True
        elif pattern == host:
            return True
    return False


@dataclass(frozen=True)
class TlsRpt:
    present: bool
    rua: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


def parse_tlsrpt(domain: str, records: Sequence[str]) -> TlsRpt:
    """The ``_smtp._tls`` record: exactly one ``v=TLSRPTv1`` with mailto:/https: rua URIs."""
    rpt = [r for r in records if r.startswith("v=TLSRPTv1")]
    if not rpt:
        return TlsRpt(False, (), (new_finding("tlsrpt.missing", domain=domain),))
    if len(rpt) > 1:
        return TlsRpt(False, (), (new_finding("tlsrpt.multiple", domain=domain,
                                              count=str(len(rpt))),))  # fmt: skip
    rua = tuple(u.strip() for u in _fields(rpt[0]).get("rua", "").split(",") if u.strip())
    if not rua:
        return TlsRpt(False, (), (new_finding("tlsrpt.invalid", domain=domain,
                                              record=rpt[0][:200]),))  # fmt: skip
    bad = [u for u in rua if not re.fullmatch(r"(mailto:[^@\s]+@[^@\s]+|https://[^\s]+)", u)]
    findings = tuple(new_finding("tlsrpt.bad_uri", domain=domain, uri=u[:200]) for u in bad)
    return TlsRpt(not bad, rua, findings)
