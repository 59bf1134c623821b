"""Helpers of the client tests. The Postfix of the client's own: submission with SASL
(through Dovecot's auth socket) on every listener, one listener per certificate
situation, one without STARTTLS, one smtps, one with a small message_size_limit, and
one relay without SASL. The session ``postfix_lab`` has no SASL, so a client that sent
AUTH too early would not show there; here every listener would accept a login, and
Postfix's log proves that none was tried.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from servers.dovecot import DovecotInstance
from servers.postfix import Listener, PostfixInstance

SASL = {
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_sasl_type": "dovecot",
    "smtpd_sasl_path": "private/auth",
    "smtpd_relay_restrictions": "permit_sasl_authenticated,reject",
    "smtpd_recipient_restrictions": "permit_sasl_authenticated,reject",
}
BAD = ("expired", "not-yet-valid", "wrong-host", "self-signed", "untrusted",
       "chain-incomplete", "weak-key", "not-for-server")
SMALL_LIMIT = 4096
HOST = "localhost"
ADDRESS = "127.0.0.1"


@dataclass
class SubmitLab:
    postfix: PostfixInstance
    dovecot: DovecotInstance
    ca_file: Path
    password: str
    user: str = "alice"
    options: dict[str, object] = field(default_factory=dict)

    def port(self, name: str) -> int:
        return self.postfix.ports[name]

    def url(self, name: str, scheme: str = "submission") -> str:
        return f"{scheme}://{HOST}:{self.port(name)}"

    def disconnects(self, name: str) -> list[str]:
        return [x for x in self.postfix.log_lines(f"{name}/smtpd") if "disconnect from" in x]

    def wait_disconnects(self, name: str, count: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.disconnects(name)
            if len(lines) >= count:
                return lines
            time.sleep(0.05)
        raise AssertionError(f"{name}: {count} disconnect lines expected:\n"
                             + "\n".join(self.postfix.log_lines(f"{name}/smtpd")))

    def mark(self, name: str) -> int:
        """The number of log lines of this listener so far (see assert_nothing_sent)."""
        return len(self.postfix.log_lines(f"{name}/smtpd"))

    def assert_nothing_sent(self, name: str, since: int = 0) -> None:
        """Postfix's own word: no AUTH, no MAIL, no RCPT, no DATA on this listener
        (in its log lines after ``since``)."""
        lines = self.postfix.log_lines(f"{name}/smtpd")[since:]
        assert lines, f"{name}: no log lines at all"
        for line in lines:
            if "disconnect from" in line:
                assert not re.search(r"\b(auth|mail|rcpt|data|bdat)=", line), line
            assert "sasl_method" not in line and "sasl_username" not in line, line
            assert not re.search(r": [0-9A-F]{6,}: client=", line), line


def _listeners(files: object, ports: list[int]) -> list[Listener]:
    certs = files.certs  # type: ignore[attr-defined]
    good_cert, good_key = certs["good"]
    names = ["good", *BAD]
    out = [Listener(n, p, *certs[n], dict(SASL)) for n, p in zip(names, ports, strict=False)]
    rest = ports[len(names):]
    out += [
        Listener("no-tls", rest[0], None, None, dict(SASL)),
        Listener("smtps", rest[1], good_cert, good_key,
                 {**SASL, "smtpd_tls_wrappermode": "yes"}),
        Listener("small", rest[2], good_cert, good_key,
                 {**SASL, "message_size_limit": str(SMALL_LIMIT)}),
        Listener("relay", rest[3], good_cert, good_key,
                 {"smtpd_relay_restrictions": "permit_mynetworks,reject"}),
    ]
    return out
