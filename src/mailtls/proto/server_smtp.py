# A rogue SMTP server (RFC 5321, STARTTLS RFC 3207, AUTH RFC 4954), sans-I/O.
#
#   COMMAND  EHLO/HELO -> 250 (STARTTLS offered unless the scenario strips it; AUTH
#            PLAIN LOGIN always, so a careless client logs in even in clear text)
#            STARTTLS  -> 220 + StartTLS, or 454 when rejected, or 220 + injected reply
#            AUTH PLAIN [resp] / AUTH LOGIN -> AUTH_* states -> 235
#            MAIL, RCPT -> 250;  DATA -> 354 -> DATA state -> "." -> 250
#            RSET, NOOP -> 250;  QUIT -> 221 + Close;  anything else -> 500 (garbage)
#   AUTH_PLAIN   one base64 line -> 235
#   AUTH_USER    base64 user -> 334 Password:;  AUTH_PASS  base64 password -> 235
#   DATA         lines up to "." are the message (kept in memory, capped)

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

INJECTED = b"250-injected.invalid\r\n250 AUTH PLAIN LOGIN\r\n"


def _reply(text: str) -> list[ServerAction]:
    return [Send(text.encode() + b"\r\n")]


class SMTPServer(ServerDialogue):
    def __init__(self, options: ServerOptions) -> None:
        super().__init__(options)
        self._state = "command"
        self._pending: AuthAttempt | None = None

    def greeting(self) -> bytes:
        return f"220 {self.options.hostname} ESMTP ready\r\n".encode()

    def on_line(self, line: str) -> list[ServerAction]:
        if self._state == "data":
            return self._data_line(line)
        if self._state.startswith("auth"):
            return self._auth_line(line)
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        handler = _COMMANDS.get(verb)
        if handler is None:
            self.garbage()
            return _reply("500 5.5.2 command not recognised")
        self.verb(verb)
        return handler(self, arg.strip())

    def _ehlo(self, arg: str) -> list[ServerAction]:
        lines = [self.options.hostname, "PIPELINING", "8BITMIME", "SIZE 10240000"]
        if not self.tls and self.options.offer_starttls:
            lines.append("STARTTLS")
        lines.append("AUTH PLAIN LOGIN")
        text = "".join(f"250-{x}\r\n" for x in lines[:-1]) + f"250 {lines[-1]}\r\n"
        return [Send(text.encode())]

    def _helo(self, arg: str) -> list[ServerAction]:
        return _reply(f"250 {self.options.hostname}")

    def _starttls(self, arg: str) -> list[ServerAction]:
        if self.tls or not self.options.offer_starttls:
            self.garbage()
            return _reply("502 5.5.1 command not implemented")
        if self.options.starttls == "reject":
            return _reply("454 4.7.0 TLS not available due to temporary reason")
        return self.begin_tls(b"220 2.0.0 Ready to start TLS\r\n", INJECTED)

    def _auth(self, arg: str) -> list[ServerAction]:
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        if mech == "PLAIN":
            if initial and initial != "=":
                return self._plain(initial)
            self._state = "auth_plain"
            self._pending = self.add_auth("PLAIN")
            return _reply("334 ")
        if mech == "LOGIN":
            self._pending = self.add_auth("LOGIN")
            if initial:
                return self._auth_line(initial)
            self._state = "auth_user"
            return _reply("334 VXNlcm5hbWU6")
        self.add_auth(mech or "?")
        return _reply("504 5.5.4 mechanism not supported")

    def _plain(self, response: str) -> list[ServerAction]:
        user, captured = plain_user(response)
        attempt = self._pending or self.add_auth("PLAIN")
        attempt.user, attempt.password_captured = user[:200], captured
        self._state, self._pending = "command", None
        return _reply("235 2.7.0 Authentication successful")

    def _auth_line(self, line: str) -> list[ServerAction]:
        if line.strip() == "*":
            self._state, self._pending = "command", None
            return _reply("501 5.0.0 authentication cancelled")
        if self._state == "auth_plain":
            return self._plain(line)
        attempt = self._pending or self.add_auth("LOGIN")
        if self._state in ("auth_user", "command"):
            attempt.user = (b64_text(line) or "")[:200]
            self._state = "auth_pass"
            return _reply("334 UGFzc3dvcmQ6")
        attempt.password_captured = b64_text(line) is not None
        self._state, self._pending = "command", None
        return _reply("235 2.7.0 Authentication successful")

    def _mail(self, arg: str) -> list[ServerAction]:
        self.capture.mail_from.append(_address(arg))
        return _reply("250 2.1.0 Ok")

    def _rcpt(self, arg: str) -> list[ServerAction]:
        self.capture.recipients.append(_address(arg))
        return _reply("250 2.1.5 Ok")

    def _data(self, arg: str) -> list[ServerAction]:
        self._state = "data"
        self.capture.data_sent = True
        return _reply("354 End data with <CR><LF>.<CR><LF>")

    def _data_line(self, line: str) -> list[ServerAction]:
        if line == ".":
            self._state = "command"
            return _reply("250 2.0.0 Ok: queued")
        self.keep_message_line(line)
        return []

    def _ok(self, arg: str) -> list[ServerAction]:
        return _reply("250 2.0.0 Ok")

    def _quit(self, arg: str) -> list[ServerAction]:
        self.closed = True
        return [*_reply("221 2.0.0 Bye"), Close()]


def _address(arg: str) -> str:
    _, _, rest = arg.partition(":")
    return rest.strip().split(" ")[0].strip("<>")[:200]


_COMMANDS = {
    "EHLO": SMTPServer._ehlo, "HELO": SMTPServer._helo, "STARTTLS": SMTPServer._starttls,
    "AUTH": SMTPServer._auth, "MAIL": SMTPServer._mail, "RCPT": SMTPServer._rcpt,
    "DATA": SMTPServer._data, "RSET": SMTPServer._ok, "NOOP": SMTPServer._ok,
    "QUIT": SMTPServer._quit,
}
