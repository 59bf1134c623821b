"""A read of the logs (:class:`~mailtls.logs.stream.Run`) -> findings of the catalogue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..catalog import new_finding
from ..model import Finding, Severity
from .stream import Run
from .summary import LEGACY, PeerStats

SHOWN_PEERS = 5


def _peers(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:SHOWN_PEERS])
    return shown + (f" (+{len(names) - SHOWN_PEERS})" if len(names) > SHOWN_PEERS else "")


def _reasons(c: Counter[str]) -> str:
    return "; ".join(f"{r} ({n})" for r, n in c.most_common(5))


def _mail(peers: list[PeerStats]) -> list[Finding]:
    out = []
    for direction in ("inbound", "outbound"):
        mine = [p for p in peers if p.direction == direction and p.service == "smtp"]
        clear = [p for p in mine if p.mail["clear"]]
        if clear:
            out.append(new_finding("logs.mail_in_clear", direction=direction,
                                   count=str(sum(p.mail["clear"] for p in clear)),
                                   peers=_peers(p.peer for p in clear)))
        unverified = [p for p in mine if p.mail["unverified"]]
        if direction == "outbound" and unverified:
            out.append(new_finding("logs.mail_unverified", direction=direction,
                                   count=str(sum(p.mail["unverified"] for p in unverified)),
                                   peers=_peers(p.peer for p in unverified)))
    return out


def _per_peer(peers: list[PeerStats]) -> list[Finding]:
    out = []
    for p in peers:
        if p.direction == "outbound" and p.failures:
            out.append(new_finding("logs.verify_failures", peer=p.peer,
                                   count=str(p.sessions["verify_failed"]
                                             or sum(p.failures.values())),
                                   reasons=_reasons(p.failures)))
        elif p.failures:
            out.append(new_finding("logs.handshake_failures", peer=p.peer,
                                   count=str(p.sessions["failed"] or sum(p.failures.values())),
                                   reasons=_reasons(p.failures)))
    return out


def _legacy_and_auth(peers: list[PeerStats]) -> list[Finding]:
    out = []
    for protocol in sorted(LEGACY):
        users = [p for p in peers if p.protocols[protocol]]
        if users:
            out.append(new_finding("logs.legacy_protocol", protocol=protocol,
                                   count=str(sum(p.protocols[protocol] for p in users)),
                                   peers=_peers(p.peer for p in users)))
    # loopback: Dovecot's "secured" without TLS; the password never crossed a network
    clear = [p for p in peers if p.auth["clear"] and not _loopback(p.peer)]
    if clear:
        out.append(new_finding("logs.auth_in_clear", count=str(sum(p.auth["clear"] for p in clear)),
                               peers=_peers(p.peer for p in clear)))
    return out


def _loopback(peer: str) -> bool:
    addr = peer.partition("[")[2].partition("]")[0]
    return addr.startswith("127.") or addr == "::1"


def _inputs(run: Run) -> list[Finding]:
    out = []
    for pr in run.problems:
        if pr.kind == "unreadable":
            out.append(new_finding("logs.input_unreadable", path=pr.path, error=pr.detail))
        elif pr.kind == "damaged":
            out.append(new_finding("logs.input_damaged", path=pr.path, error=pr.detail))
        elif pr.kind == "long_lines":
            out.append(new_finding("logs.long_lines", path=pr.path, count=str(pr.count),
                                   limit=pr.detail))
        elif pr.kind == "binary":
            out.append(new_finding("logs.binary_input", path=pr.path, count=str(pr.count)))
    if run.unknown:
        out.append(new_finding("logs.unknown_lines", count=str(run.unknown)))
    return out


def findings(run: Run) -> list[Finding]:
    """Every finding of ``run``, the most severe first."""
    peers = list(run.summary.peers.values())
    found = _mail(peers) + _per_peer(peers) + _legacy_and_auth(peers) + _inputs(run)
    return sorted(found, key=lambda f: -int(f.severity))


def exit_status(run: Run, found: list[Finding]) -> int:
    """66 when an input was unreadable (the rest still reported), else as for scan."""
    if run.unreadable:
        return 66
    worst = max((f.severity for f in found), default=Severity.INFO)
    if worst >= Severity.CRITICAL:
        return 2
    return 1 if worst >= Severity.MEDIUM else 0
