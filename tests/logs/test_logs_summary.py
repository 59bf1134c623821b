"""The summary of the lab's real logs: exactly what loglab.run_all sent (3 verified, 2
unverified, 2 clear outbound, 1 verification failure; 8 AUTH over TLS; 1 TLS 1.0 client
refused by Postfix, 1 by Dovecot; 2 IMAP logins over TLS, 1 in clear)."""

from __future__ import annotations

from pathlib import Path

from mailtls.logs import Summary, parse_line, read_all
from mailtls.logs.findings import findings

DATA = Path(__file__).parent / "data"
FILES = [str(DATA / n) for n in ("postfix-sender.log", "postfix-receiver.log", "dovecot.log")]


def peer(summary: Summary, direction: str, name: str):  # type: ignore[no-untyped-def]
    return summary.peers[(direction, name)]


def test_outbound_mail_per_peer_and_bucket() -> None:
    s = read_all(FILES).summary
    assert s.totals()["mail"]["outbound"] == {"verified": 3, "unverified": 2, "clear": 2}
    ports = {p.peer.rsplit(":", 1)[-1]: p for p in s.peers.values() if p.direction == "outbound"}
    assert dict(ports["35697"].mail) == {"verified": 3}
    assert dict(ports["53621"].mail) == {"clear": 2}
    failing = peer(s, "outbound", "127.0.0.1[127.0.0.1]:48249")
    assert failing.failures["untrusted issuer"] == 1
    assert dict(failing.undelivered) == {"deferred": 1} and not failing.mail


def test_inbound_mail_auth_and_failed_handshakes() -> None:
    s = read_all(FILES).summary
    inbound = peer(s, "inbound", "unknown[127.0.0.1]")
    # 8 submissions (AUTH over TLS) to the sender, 5 over TLS and 2 in clear to the receiver
    assert dict(inbound.mail) == {"unverified": 13, "clear": 2}
    assert dict(inbound.auth) == {"tls": 8}
    assert dict(inbound.failures) == {"unsupported protocol": 1}
    imap = peer(s, "inbound", "[127.0.0.1]")
    assert dict(imap.auth) == {"tls": 2, "clear": 1}
    assert imap.sessions["failed"] == 1
    assert s.totals()["logins"] == {"tls": 2, "clear": 1}


def test_findings_of_the_lab() -> None:
    ids = [f.id for f in findings(read_all(FILES))]
    assert ids.count("logs.mail_in_clear") == 2  # inbound and outbound
    assert {"logs.verify_failures", "logs.mail_unverified", "logs.handshake_failures"} <= set(ids)
    assert "logs.auth_in_clear" not in ids  # the only clear login is on loopback ("secured")


def test_auth_in_clear_from_the_network_is_a_finding() -> None:
    run = read_all(FILES)
    ev = parse_line(b"Dec 02 08:22:06 imap-login: Info: Login: user=<bob>, method=PLAIN, "
                    b"rip=192.0.2.9, lip=192.0.2.1, mpid=1, session=<x>")
    assert ev is not None
    run.summary.add(ev)
    found = {f.id: f for f in findings(run)}
    assert found["logs.auth_in_clear"].params["peers"] == "[192.0.2.9]"


def test_delivery_over_a_tls_connection_of_another_process_is_clear() -> None:
    s = Summary()
    for line in (
        b"Dec 02 08:00:00 h postfix/smtp[1]: Verified TLS connection established to "
        b"mx.example[192.0.2.1]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
        b"Dec 02 08:00:01 h postfix/smtp[2]: AAAAAA1: to=<a@example>, "
        b"relay=mx.example[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
        b"Dec 02 08:00:01 h postfix/smtp[1]: AAAAAA2: to=<b@example>, "
        b"relay=mx.example[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
        b"Dec 02 08:00:01 h postfix/smtp[1]: AAAAAA3: to=<c@other>, "
        b"relay=mx.other[192.0.2.2]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
    ):
        ev = parse_line(line)
        assert ev is not None
        s.add(ev)
    assert dict(s.peers[("outbound", "mx.example[192.0.2.1]:25")].mail) == {
        "clear": 1, "verified": 1}
    assert dict(s.peers[("outbound", "mx.other[192.0.2.2]:25")].mail) == {"clear": 1}
    assert s.totals()["protocols"] == {"TLSv1.2": 1}


def test_legacy_protocols_are_listed_with_their_peers() -> None:
    s = Summary()
    ev = parse_line(b"Dec 02 08:00:00 h postfix/smtpd[1]: Anonymous TLS connection established "
                    b"from old.example[198.51.100.4]: TLSv1 with cipher ECDHE-RSA-AES256-SHA "
                    b"(256/256 bits)")
    assert ev is not None
    s.add(ev)
    assert s.totals()["legacy_protocols"] == {"TLSv1": ["old.example[198.51.100.4]"]}


def test_peers_beyond_the_limit_fold_into_one() -> None:
    s = Summary(max_peers=3)
    for i in range(10):
        ev = parse_line(f"Dec 02 08:00:00 h postfix/smtpd[{i}]: Anonymous TLS connection "
                        f"established from p{i}[192.0.2.{i}]: TLSv1.3 with cipher X (256/256 "
                        f"bits)".encode())
        assert ev is not None
        s.add(ev)
    assert len(s.peers) == 4
    assert s.peers[("inbound", "(other peers)")].sessions["anonymous"] == 7
