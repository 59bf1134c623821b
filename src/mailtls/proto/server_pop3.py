# A rogue POP3 server (RFC 1939, STLS RFC 2595, CAPA RFC 2449, AUTH RFC 5034), sans-I/O.
#
#   COMMAND  CAPA -> +OK list (STLS unless stripped) .;  STLS -> +OK + StartTLS, or -ERR
#            when rejected, or +OK + an injected CAPA reply
#            USER name -> +OK;  PASS secret -> +OK (captured);  APOP name digest -> +OK
#            AUTH PLAIN|LOGIN [initial] -> "+" continuations -> +OK
#            STAT/LIST/UIDL -> an empty maildrop;  NOOP/RSET -> +OK;  QUIT -> +OK + Close
#            anything else -> -ERR (garbage)

from __future__ import annotations

from .server_base import (
    AuthAttempt,
    Close,
    Send,
    ServerAction,
    ServerDialogue,
    ServerOptions,
    b64_text,
    plain_user,
)

INJECTED = b"+OK injected\r\nUSER\r\nSASL PLAIN\r\n.\r\n"


def _ok(text: str = "") -> list[ServerAction]:
    return [Send(f"+OK {text}\r\n".encode())]


class POP3Server(ServerDialogue):
    def __init__(self, options: ServerOptions) -> None:
        super().__init__(options)
        self._state = "command"
        self._pending: AuthAttempt | None = None
        self._user: AuthAttempt | None = None

    def greeting(self) -> bytes:
        return f"+OK {self.options.hostname} POP3 ready\r\n".encode()

    def on_line(self, line: str) -> list[ServerAction]:
        if self._state != "command":
            return self._continuation(line)
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        if not verb.isalpha() or len(verb) > 8:
            self.garbage()
            return [Send(b"-ERR unknown command\r\n")]
        self.verb(verb)
        return self._command(verb, arg.strip())

    def _command(self, verb: str, arg: str) -> list[ServerAction]:
        simple = {"STAT": "+OK 0 0\r\n", "LIST": "+OK 0 messages\r\n.\r\n",
                  "UIDL": "+OK\r\n.\r\n", "NOOP": "+OK\r\n", "RSET": "+OK\r\n"}
        if verb in simple:
            return [Send(simple[verb].encode())]
        if verb == "CAPA":
            caps = ["USER", "SASL PLAIN LOGIN", "UIDL", "TOP"]
            if not self.tls and self.options.offer_starttls:
                caps.append("STLS")
            return [Send(("+OK\r\n" + "".join(c + "\r\n" for c in caps) + ".\r\n").encode())]
        if verb == "STLS":
            return self._stls()
        if verb == "USER":
            self._user = self.add_auth("USER", arg)
            return _ok("send PASS")
        if verb == "PASS":
            attempt = self._user or self.add_auth("USER")
            attempt.password_captured = bool(arg)
            self._user = None
            return _ok("logged in")
        if verb == "APOP":
            self.add_auth("APOP", arg.split(" ")[0])
            return _ok("logged in")
        if verb == "AUTH":
            return self._auth(arg)
        if verb == "QUIT":
            self.closed = True
            return [*_ok("bye"), Close()]
        self.garbage()
        return [Send(b"-ERR unknown command\r\n")]

    def _stls(self) -> list[ServerAction]:
        if self.tls or not self.options.offer_starttls:
            self.garbage()
            return [Send(b"-ERR unknown command\r\n")]
        if self.options.starttls == "reject":
            return [Send(b"-ERR TLS not available\r\n")]
        return self.begin_tls(b"+OK Begin TLS negotiation\r\n", INJECTED)

    def _auth(self, arg: str) -> list[ServerAction]:
        tokens = arg.split()
        if not tokens:  # the list of mechanisms
            return [Send(b"+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n")]
        mech = tokens[0].upper()
        self._pending = self.add_auth(mech)
        if mech not in ("PLAIN", "LOGIN"):
            self._pending = None
            return [Send(b"-ERR unsupported mechanism\r\n")]
        self._state = "auth_plain" if mech == "PLAIN" else "auth_user"
        if len(tokens) > 1:
            return self._continuation(tokens[1])
        return [Send(b"+ \r\n" if mech == "PLAIN" else b"+ VXNlcm5hbWU6\r\n")]

    def _continuation(self, line: str) -> list[ServerAction]:
        attempt = self._pending or self.add_auth("?")
        state, self._state = self._state, "command"
        if line.strip() == "*":
            return [Send(b"-ERR cancelled\r\n")]
        if state == "auth_plain":
            attempt.user, attempt.password_captured = plain_user(line)
        elif state == "auth_user":
            attempt.user = (b64_text(line) or "")[:200]
            self._state = "auth_pass"
            return [Send(b"+ UGFzc3dvcmQ6\r\n")]
        else:
            attempt.password_captured = b64_text(line) is not None
        self._pending = None
        return _ok("logged in")
