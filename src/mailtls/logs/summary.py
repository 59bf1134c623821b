"""Events -> a summary per peer and direction, with the joins the lines need.

Joins (all keyed by host and process id, in bounded dictionaries):

* outbound: ``smtp[pid]`` logs ``... TLS connection established to PEER`` before the
  ``QUEUEID: to=<..>, relay=PEER, status=sent`` lines of the deliveries over that
  connection; a delivery whose relay is the peer of the process's last TLS line went over
  that TLS, any other delivery in clear. A delivery with no network relay (``virtual``,
  ``local``, a unix socket) is not counted.
* inbound: ``smtpd[pid]``'s TLS line, then ``QUEUEID: client=`` per message, then the
  ``disconnect`` line with its ``starttls=`` and ``auth=`` counters ends the session.
  ``SSL_accept error`` + ``TLS library problem`` (+ ``lost connection after STARTTLS``)
  make one failed handshake, named by the library's reason.

Buckets: ``verified`` (Postfix "Verified": chain and name checked), ``unverified``
(Trusted, Untrusted, Anonymous: encrypted, the peer not authenticated), ``clear``.
Peers beyond ``max_peers`` are folded into one ``(other peers)`` line per direction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .parse import Event

LEGACY = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})
OTHER_PEERS = "(other peers)"
MAX_SESSIONS = 65536


def bucket(trust: str | None) -> str:
    if trust is None:
        return "clear"
    return "verified" if trust == "verified" else "unverified"


@dataclass
class PeerStats:
    direction: str
    peer: str
    service: str = "smtp"
    mail: Counter[str] = field(default_factory=Counter)  # verified / unverified / clear
    sessions: Counter[str] = field(default_factory=Counter)  # trust level, clear, failed
    protocols: Counter[str] = field(default_factory=Counter)
    ciphers: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # reason -> count
    auth: Counter[str] = field(default_factory=Counter)  # tls / clear
    undelivered: Counter[str] = field(default_factory=Counter)  # status -> count

    def as_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "peer": self.peer, "service": self.service,
                **{k: dict(getattr(self, k)) for k in (
                    "mail", "sessions", "protocols", "ciphers", "failures", "auth",
                    "undelivered")}}


@dataclass(slots=True)
class _Session:
    tls_peer: str | None = None
    trust: str | None = None
    failed: Event | None = None
    reason: str | None = None

    def trust_for(self, peer: str | None) -> str | None:
        """The trust level of this process's TLS session if it is with ``peer``."""
        return self.trust if self.tls_peer is not None and self.tls_peer == peer else None


class Summary:
    """Feed events in log order with :meth:`add`; read :attr:`peers` and :meth:`totals`."""

    def __init__(self, max_peers: int = 10000) -> None:
        self.max_peers = max_peers
        self.peers: dict[tuple[str, str], PeerStats] = {}
        self.sessions: dict[tuple[str, str], _Session] = {}
        self.events = 0
        self.kinds: Counter[str] = Counter()
        self._handlers = {k[4:]: getattr(self, k) for k in dir(self) if k.startswith("_on_")}

    # -- plumbing -------------------------------------------------------------------------

    def stats(self, ev: Event, peer: str | None = None) -> PeerStats:
        return self.stats_for(ev.direction or "inbound", peer or ev.peer or "(unknown)",
                              ev.service)

    def stats_for(self, direction: str, name: str, service: str = "smtp") -> PeerStats:
        key = (direction, name)
        found = self.peers.get(key)
        if found is None:
            if len(self.peers) >= self.max_peers:
                key = (direction, OTHER_PEERS)
                found = self.peers.get(key)
            if found is None:
                found = self.peers[key] = PeerStats(direction, key[1], service)
        return found

    def _session(self, ev: Event) -> _Session:
        return self.session_for((ev.host, ev.pid))

    def session_for(self, key: tuple[str, str]) -> _Session:
        s = self.sessions.get(key)
        if s is None:
            if len(self.sessions) >= MAX_SESSIONS:
                del self.sessions[next(iter(self.sessions))]
            s = self.sessions[key] = _Session()
        return s

    # -- events ---------------------------------------------------------------------------

    def add(self, ev: Event) -> None:
        self.events += 1
        self.kinds[ev.kind] += 1
        self._handlers[ev.kind](ev)

    def add_all(self, events: Iterable[Event]) -> Summary:
        for ev in events:
            self.add(ev)
        return self

    def _on_tls(self, ev: Event) -> None:
        self.tls(ev.host, ev.pid, ev.direction or "inbound", ev.peer or "(unknown)",
                 ev.trust, ev.protocol, ev.cipher, ev.service)

    def tls(self, host: str, pid: str, direction: str, peer: str, trust: str | None,
            protocol: str | None, cipher: str | None, service: str = "smtp") -> None:
        """A TLS session of ``host``'s process ``pid`` with ``peer`` (the peer as logged)."""
        st = self.stats_for(direction, peer, service)
        st.sessions[trust or "anonymous"] += 1
        if protocol:
            st.protocols[protocol] += 1
        if cipher:
            st.ciphers[cipher] += 1
        s = self.session_for((host, pid))
        s.tls_peer, s.trust, s.failed, s.reason = peer, trust, None, None

    def _on_verify_failed(self, ev: Event) -> None:
        st = self.stats(ev)
        st.failures[ev.reason or "verification failed"] += 1
        st.sessions["verify_failed"] += 1

    def _on_handshake_failed(self, ev: Event) -> None:
        s = self._session(ev)
        s.failed, s.reason = ev, None
        if ev.direction == "outbound":  # the smtp client names no library reason after it
            self.stats(ev).sessions["failed"] += 1
            self.stats(ev).failures["handshake failed"] += 1
            s.failed = None

    def _on_tls_problem(self, ev: Event) -> None:
        s = self.sessions.get((ev.host, ev.pid))
        if s is not None and s.failed is not None and s.reason is None:
            s.reason = ev.reason

    def _on_lost_starttls(self, ev: Event) -> None:
        s = self._session(ev)
        if s.failed is None:
            s.failed = ev
            s.reason = "lost connection after STARTTLS"
        self._close_failure(s)

    def _close_failure(self, s: _Session) -> None:
        if s.failed is None:
            return
        st = self.stats(s.failed)
        st.sessions["failed"] += 1
        st.failures[s.reason or "handshake failed"] += 1
        s.failed = None

    def _on_disconnect(self, ev: Event) -> None:
        self.disconnect(ev.host, ev.pid, ev.direction or "inbound", ev.peer,
                        ev.service, ev.commands, ev.starttls, ev.auth)

    def disconnect(self, host: str, pid: str, direction: str, peer: str | None,
                   service: str, commands: int | None, starttls: tuple[int, int] | None,
                   auth: tuple[int, int] | None) -> None:
        """The end of an inbound SMTP session, with its command counters."""
        s = self.sessions.pop((host, pid), None) or _Session()
        self._close_failure(s)
        tls = s.trust_for(peer) is not None
        st = self.stats_for(direction, peer or "(unknown)", service)
        if not tls and (commands or 0) > 0 and not (starttls and starttls[1]):
            st.sessions["clear"] += 1
        if auth and auth[0] > 0:
            st.auth["tls" if tls else "clear"] += 1

    def _on_client(self, ev: Event) -> None:
        self.client(ev.host, ev.pid, ev.direction or "inbound", ev.peer, ev.service)

    def client(self, host: str, pid: str, direction: str, peer: str | None,
               service: str = "smtp") -> None:
        """One message received from ``peer`` by ``host``'s smtpd ``pid``."""
        s = self.sessions.get((host, pid))
        st = self.stats_for(direction, peer or "(unknown)", service)
        st.mail[bucket(s.trust_for(peer) if s is not None else None)] += 1

    def _on_delivery(self, ev: Event) -> None:
        if ev.peer is None:  # virtual, local, none, a unix socket: no network
            return
        self.delivery(ev.host, ev.pid, ev.direction or "inbound", ev.peer, ev.status,
                      ev.reason, ev.service)

    def delivery(self, host: str, pid: str, direction: str, peer: str, status: str | None,
                 reason: str | None, service: str = "smtp") -> None:
        """One delivery attempt to the network peer ``peer`` (``relay=``)."""
        st = self.stats_for(direction, peer, service)
        if status != "sent":
            st.undelivered[status or "unknown"] += 1
            if reason and ("TLS" in reason or "certificate" in reason):
                st.failures[reason] += 1
            return
        s = self.sessions.get((host, pid))
        st.mail[bucket(s.trust_for(peer) if s is not None else None)] += 1

    def _on_login(self, ev: Event) -> None:
        st = self.stats(ev)
        kind = "tls" if ev.tls else "clear"
        st.sessions["anonymous" if ev.tls else "clear"] += 1
        st.auth[kind] += 1
        if ev.protocol:
            st.protocols[ev.protocol] += 1
        if ev.cipher:
            st.ciphers[ev.cipher] += 1

    def _on_login_failed(self, ev: Event) -> None:
        st = self.stats(ev)
        st.sessions["failed"] += 1
        st.failures[ev.reason or "handshake failed"] += 1

    # -- results --------------------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        """Mail and logins per direction and bucket, legacy protocols, failing peers, AUTH."""
        mail: dict[str, Counter[str]] = {"inbound": Counter(), "outbound": Counter()}
        protocols: Counter[str] = Counter()
        legacy: dict[str, list[str]] = {}
        failing: dict[str, dict[str, int]] = {}
        auth: Counter[str] = Counter()
        auth_clear: list[str] = []
        logins: Counter[str] = Counter()
        for st in self.peers.values():
            mail.setdefault(st.direction, Counter()).update(st.mail)
            protocols.update(st.protocols)
            for p in st.protocols:
                if p in LEGACY:
                    legacy.setdefault(p, []).append(st.peer)
            if st.failures:
                failing[f"{st.direction} {st.peer}"] = dict(st.failures)
            auth.update(st.auth)
            if st.auth["clear"]:
                auth_clear.append(st.peer)
            if st.service != "smtp":
                logins.update(st.auth)
        return {"mail": {k: dict(v) for k, v in mail.items()}, "protocols": dict(protocols),
                "legacy_protocols": legacy, "failing_peers": failing, "auth": dict(auth),
                "auth_in_clear": sorted(set(auth_clear)), "logins": dict(logins),
                "events": dict(self.kinds)}
