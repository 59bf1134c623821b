"""Catalogue part "monitor": alerts over history (gettext domain mailtls-monitor).

``mailtls monitor`` reuses the scan's ids where the meaning is the same
(``cert.expires_soon``, ``cert.expired``, ``client.pin_mismatch``); the ids here exist
only because the monitor remembers: a change, a regression, an endpoint that stayed away.
The ``kind`` param of ``cert.changed`` is one of the three KIND_* msgids, translated.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

H, M = Severity.HIGH, Severity.MEDIUM

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"

KIND_RENEWAL = "renewal with the same key"
KIND_NEW_KEY = "new key from the same issuer"
KIND_NEW_ISSUER = "new issuer"

_ENTRIES = (
    Entry(
        "cert.changed",
        H,
        "Certificate changed",
        "{endpoint} presents another certificate since {since} ({kind}): SHA-256 {new_sha256} "
        "issued by {new_issuer}; the baseline was {old_sha256} issued by {old_issuer}.",
        "Find out who changed it. A renewal or a migration you know of: record it as the "
        "new baseline with `mailtls monitor accept {endpoint} --reason ...`. A new issuer "
        "that nobody announced may be interception: treat it as an incident.",
        (RFC5280,),
    ),
    Entry(
        "cert.inconsistent",
        M,
        "Host serves different certificates",
        "{host} presents different certificates on its addresses or ports: {evidence}.",
        "Install the same current certificate on every address and service of the host "
        "(a forgotten server behind a load balancer often keeps an old one).",
    ),
    Entry(
        "verify.regressed",
        H,
        "Certificate no longer verifies",
        "{endpoint} verified at the baseline of {since}, but now: {cause}.",
        "Fix the certificate named in the cause; clients that verify (as they must) "
        "cannot reach this service now.",
        (RFC5280,),
    ),
    Entry(
        "protocol.regressed",
        M,
        "Legacy protocol back",
        "{endpoint} agrees to {protocols} again, which it did not at the baseline of {since}.",
        "Disable the legacy protocol again (Postfix: smtpd_tls_protocols = >=TLSv1.2; "
        "Dovecot: ssl_min_protocol = TLSv1.2) and find the change that brought it back.",
        (RFC8996,),
        327,
    ),
    Entry(
        "monitor.unreachable",
        H,
        "Endpoint not reachable",
        "{endpoint} could not be tested in the last {passes} passes, since {since}: {error}.",
        "Check that the service runs and that this monitor may reach it; raise "
        "unreachable_after in the inventory if the service is often down on purpose.",
    ),
    Entry(
        "monitor.mx_failed",
        H,
        "MX look-up failed",
        "The MX hosts of {domain} could not be found at this pass: {reason}.",
        "Check the domain's MX records and their A/AAAA records, and that this monitor's "
        "name servers answer; until the look-up works again, its mail servers are not "
        "watched.",
    ),
)

#: Sentences of the monitor's views and notifications (not findings).
UI_STRINGS: tuple[str, ...] = (
    KIND_RENEWAL,
    KIND_NEW_KEY,
    KIND_NEW_ISSUER,
    "Time",
    "Leaf SHA-256",
    "Issuer",
    "Not after",
    "Findings",
    "Duration",
    "baseline accepted by {who} at {time}: {reason}",
    "No observation of {target} in the history.",
    "alert raised",
    "alert resolved",
    "{state}: {target}: {title}",
    "Wrote an example inventory to {path}",
    "Accepted the current certificate of {target} as the new baseline.",
    "Pass {number} finished: {count} endpoints, {raised} alerts raised, {resolved} resolved.",
)

PART = Part("mailtls-monitor", _ENTRIES, UI_STRINGS, frozenset({"kind"}))
