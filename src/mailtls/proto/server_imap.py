# A rogue IMAP server (RFC 9051/3501, STARTTLS RFC 2595), sans-I/O.
#
#   COMMAND  TAG CAPABILITY -> * CAPABILITY (STARTTLS unless stripped; AUTH=PLAIN) + OK
#            TAG STARTTLS   -> OK + StartTLS, or NO when rejected, or OK + injected lines
#            TAG LOGIN user pass (atoms or quoted; a literal is announced with "+")
#            TAG AUTHENTICATE PLAIN|LOGIN [initial] -> "+" continuations -> OK
#            TAG LOGOUT -> * BYE + OK + Close;  SELECT/EXAMINE -> an empty mailbox;
#            other known commands -> OK;  a line without tag and verb -> garbage, BAD
#   LITERAL      the line that carries the announced literal (the password): captured

from __future__ import annotations

import re

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

INJECTED = b"* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN-INJECTED\r\n"
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\{\d+\+?\})|(\S+)')
_OK_VERBS = {"NOOP", "CHECK", "CLOSE", "UNSELECT", "LIST", "LSUB", "STATUS", "SUBSCRIBE",
             "FETCH", "UID", "SEARCH", "EXPUNGE", "ID", "ENABLE", "NAMESPACE", "IDLE",
             "CREATE", "STORE", "COPY", "MOVE", "XLIST", "COMPRESS", "GETQUOTAROOT"}


def _tokens(text: str) -> list[str]:
    out = []
    for quoted, literal, atom in _TOKEN.findall(text):
        out.append(literal or atom or re.sub(r"\\(.)", r"\1", quoted))
    return out


class IMAPServer(ServerDialogue):
    def __init__(self, options: ServerOptions) -> None:
        super().__init__(options)
        self._state = "command"
        self._tag = "*"
        self._pending: AuthAttempt | None = None

    def greeting(self) -> bytes:
        return b"* OK [" + self._caps().encode() + b"] " + self.options.hostname.encode() \
            + b" IMAP4rev1 ready\r\n"

    def _caps(self) -> str:
        caps = ["CAPABILITY", "IMAP4rev1", "AUTH=PLAIN", "AUTH=LOGIN"]
        if not self.tls and self.options.offer_starttls:
            caps.append("STARTTLS")
        return " ".join(caps)

    def _ok(self, text: str = "done") -> list[ServerAction]:
        return [Send(f"{self._tag} OK {text}\r\n".encode())]

    def on_line(self, line: str) -> list[ServerAction]:
        if self._state != "command":
            return self._continuation(line)
        parts = line.split(" ", 2)
        if len(parts) < 2 or not parts[0] or not parts[1].isalpha():
            self.garbage()
            return [Send(b"* BAD syntax error\r\n")]
        self._tag, verb = parts[0][:64], parts[1].upper()
        arg = parts[2] if len(parts) > 2 else ""
        self.verb(verb)
        return self._command(verb, arg)

    def _command(self, verb: str, arg: str) -> list[ServerAction]:
        if verb == "CAPABILITY":
            return [Send(f"* {self._caps()}\r\n".encode()), *self._ok()]
        if verb == "STARTTLS":
            return self._starttls()
        if verb == "LOGIN":
            return self._login(arg)
        if verb == "AUTHENTICATE":
            return self._authenticate(arg)
        if verb == "LOGOUT":
            self.closed = True
            return [Send(b"* BYE logging out\r\n"), *self._ok(), Close()]
        if verb in ("SELECT", "EXAMINE"):
            return [Send(b"* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] ok\r\n"
                         b"* FLAGS (\\Seen)\r\n"), *self._ok("[READ-WRITE] done")]
        if verb in _OK_VERBS:
            return self._ok()
        self.garbage()
        return [Send(f"{self._tag} BAD unknown command\r\n".encode())]

    def _starttls(self) -> list[ServerAction]:
        if self.tls or not self.options.offer_starttls:
            self.garbage()
            return [Send(f"{self._tag} BAD STARTTLS not available\r\n".encode())]
        if self.options.starttls == "reject":
            return [Send(f"{self._tag} NO TLS not available\r\n".encode())]
        return self.begin_tls(f"{self._tag} OK Begin TLS negotiation now\r\n".encode(),
                              INJECTED)

    def _login(self, arg: str) -> list[ServerAction]:
        tokens = _tokens(arg)
        user = tokens[0] if tokens else ""
        attempt = self.add_auth("LOGIN", "" if user.startswith("{") else user)
        if any(t.startswith("{") for t in tokens):
            self._pending, self._state = attempt, "literal"
            return [] if tokens[-1].endswith("+}") else [Send(b"+ Ready\r\n")]
        attempt.password_captured = len(tokens) >= 2
        return self._ok("LOGIN completed")

    def _authenticate(self, arg: str) -> list[ServerAction]:
        tokens = arg.split()
        mech = tokens[0].upper() if tokens else "?"
        self._pending = self.add_auth(mech)
        if mech not in ("PLAIN", "LOGIN"):
            self._pending = None
            return [Send(f"{self._tag} NO unsupported mechanism\r\n".encode())]
        self._state = "auth_plain" if mech == "PLAIN" else "auth_user"
        if len(tokens) > 1:
            return self._continuation(tokens[1])
        return [Send(b"+ \r\n" if mech == "PLAIN" else b"+ VXNlcm5hbWU6\r\n")]

    def _continuation(self, line: str) -> list[ServerAction]:
        attempt = self._pending or self.add_auth("?")
        state, self._state = self._state, "command"
        if state == "literal":
            attempt.password_captured = True
            rest = _tokens(line)
            if not attempt.user and rest:
                attempt.user = rest[0][:200]
            return self._ok("LOGIN completed")
        if line.strip() == "*":
            return [Send(f"{self._tag} BAD cancelled\r\n".encode())]
        if state == "auth_plain":
            attempt.user, attempt.password_captured = plain_user(line)
        elif state == "auth_user":
            attempt.user = (b64_text(line) or "")[:200]
            self._state = "auth_pass"
            return [Send(b"+ UGFzc3dvcmQ6\r\n")]
        else:
            attempt.password_captured = b64_text(line) is not None
        self._pending = None
        return self._ok("AUTHENTICATE completed")
