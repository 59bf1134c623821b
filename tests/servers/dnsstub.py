"""A tiny authoritative DNS answerer on 127.0.0.1 (UDP) for the MX tests, in a thread.

    with DnsStub() as dns:
        dns.records[("mail.test", "MX")] = ["10 mx1.mail.test."]
        dns.records[("mx1.mail.test", "A")] = ["127.0.0.1"]
        dns.rcodes["gone.test"] = dns.rcode.NXDOMAIN     # or SERVFAIL
        nameserver = dns.nameserver                       # "127.0.0.1:PORT"

The tables may change between passes: each query reads them as they are.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsStub:
    rcode = dns.rcode

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.rcodes: dict[str, dns.rcode.Rcode] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.nameserver = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DnsStub:
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            self.sock.sendto(self.answer(query).to_wire(), peer)

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        if name in self.rcodes:
            reply.set_rcode(self.rcodes[name])
            return reply
        values = self.records.get((name, rdtype))
        if values:
            reply.answer.append(dns.rrset.from_text_list(
                question.name, 60, dns.rdataclass.IN, question.rdtype, values))
        elif not any(n == name for n, _ in self.records):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        reply.flags |= dns.flags.AA
        return reply
