"""A tiny authoritative DNS server on loopback UDP, for --mx tests (dnspython messages)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = dict[tuple[str, str], list[str]]  # (name, type) -> rdata texts


class DNSServer:
    """Answers from ``zone``; NXDOMAIN for names it has no record of at all."""

    def __init__(self, zone: Zone) -> None:
        self.zone = {(n.lower().rstrip("."), t): v for (n, t), v in zone.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        q = query.question[0]
        name = q.name.to_text().lower().rstrip(".")
        rtype = dns.rdatatype.to_text(q.rdtype)
        if not any(n == name for n, _ in self.zone):
            reply.set_rcode(dns.rcode.NXDOMAIN)
            return reply
        values = self.zone.get((name, rtype), [])
        if values:
            reply.answer.append(
                dns.rrset.from_text_list(q.name, 300, dns.rdataclass.IN, q.rdtype, values)
            )
        return reply

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self._answer(dns.message.from_wire(data))
            except Exception:  # a test server: never die on one bad packet
                continue
            self.sock.sendto(reply.to_wire(), peer)

    def __enter__(self) -> DNSServer:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
