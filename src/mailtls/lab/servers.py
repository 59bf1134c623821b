"""Small local mail endpoints for the lab: SMTP, IMAP and POP3 on loopback.

One SMTP STARTTLS endpoint per certificate situation of :mod:`mailtls.lab.pki`, one SMTP
endpoint without STARTTLS, and a few IMAP/POP3/implicit-TLS endpoints. Each speaks just enough
of its protocol for a TLS scanner and for real clients (smtplib, imaplib, poplib, swaks):

- SMTP: greeting, EHLO/HELO, STARTTLS, AUTH (any credentials, only after TLS), MAIL/RCPT/DATA
  (the message is discarded), NOOP, RSET, QUIT; anything else ``502``.
- IMAP: greeting with CAPABILITY, CAPABILITY, STARTTLS, NOOP, LOGIN (always refused), LOGOUT;
  anything else ``BAD``.
- POP3: greeting, CAPA, STLS, NOOP, QUIT; anything else ``-ERR``.

Rules: only loopback is ever bound; every read has an idle timeout and a line-length cap
(an over-long line is answered with an error and the connection closed); a client that fails
the handshake, vanishes or sends garbage ends its own connection and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import ipaddress
import secrets
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from mailtls.lab.pki import LabPKI, build_lab_pki

IDLE_TIMEOUT = 30.0
HANDSHAKE_TIMEOUT = 10.0
MAX_LINE = 4096
MAX_MESSAGE = 10_240_000
IMPLICIT_TLS = frozenset({"smtps", "imaps", "pop3s"})
NO_TLS = "none"  # the situation of the endpoint that offers no TLS at all
_PORT_ATTEMPTS = 20
_HANGUPS: tuple[type[BaseException], ...] = (
    OSError,  # includes ConnectionError and ssl.SSLError
    EOFError,
    asyncio.IncompleteReadError,
    TimeoutError,
    UnicodeError,
)
_ENDINGS: tuple[type[BaseException], ...] = (*_HANGUPS, asyncio.CancelledError)


@dataclass(frozen=True)
class Endpoint:
    """A listening lab endpoint and the finding a scanner must report for it."""

    name: str
    scheme: str  # smtp | smtps | imap | imaps | pop3 | pop3s
    host: str
    port: int
    situation: str  # a key of LabPKI.situations, or "none" for the endpoint without TLS
    expect: str  # the primary finding id
    description: str

    @property
    def url(self) -> str:
        return f"{self.scheme}://{_url_host(self.host)}:{self.port}"


def _url_host(host: str) -> str:
    if host in ("127.0.0.1", "::1"):
        return "localhost"  # the name the lab certificates are issued for
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class _Spec:
    name: str
    scheme: str
    situation: str
    prefix: str = ""  # put before the situation's description
    starttls_last: bool = False  # SMTP: list STARTTLS as the last EHLO keyword


def _specs(pki: LabPKI) -> list[_Spec]:
    smtp = [
        _Spec(name, "smtp", name, starttls_last=i % 2 == 1) for i, name in enumerate(pki.situations)
    ]
    return [
        *smtp,
        _Spec("no-starttls", "smtp", NO_TLS, "SMTP without STARTTLS: plain text only"),
        _Spec("smtps-good", "smtps", "good", "SMTPS (implicit TLS), "),
        _Spec("imap-good", "imap", "good", "IMAP STARTTLS, "),
        _Spec("imaps-good", "imaps", "good", "IMAPS (implicit TLS), "),
        _Spec("pop3-good", "pop3", "good", "POP3 STLS, "),
        _Spec("pop3s-expired", "pop3s", "expired", "POP3S (implicit TLS), "),
    ]


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A server context that serves even RSA-1024 and SHA-1 certificates (SECLEVEL=0)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


class _TlsReaderProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol that knows from the start that it runs over TLS.

    ``StreamReaderProtocol`` learns it in ``connection_made``, which ``loop.start_tls`` leaves
    to the caller after the handshake. A client that sends close_notify with its Finished
    (``openssl s_client`` with stdin at EOF does) reaches ``eof_received`` first; the stock
    protocol then asks to stay half-open, which TLS cannot, and asyncio logs "returning true
    from eof_received() has no effect when using ssl" for that connection.
    """

    def eof_received(self) -> bool:
        super().eof_received()
        return False


class _Stream:
    """One client connection: capped line reads with an idle timeout, writes, STARTTLS."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ssl.SSLContext | None
    ) -> None:
        self.reader, self.writer, self.ctx = reader, writer, ctx
        self.tls = False

    @property
    def can_starttls(self) -> bool:
        return self.ctx is not None and not self.tls

    async def line(self) -> str:
        """The next line without its line ending; raises IncompleteReadError at EOF."""
        raw = await asyncio.wait_for(self.reader.readuntil(b"\n"), IDLE_TIMEOUT)
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    async def send(self, *lines: str) -> None:
        self.writer.write("".join(f"{x}\r\n" for x in lines).encode())
        await asyncio.wait_for(self.writer.drain(), IDLE_TIMEOUT)

    async def start_tls(self, ready: str | None = None) -> None:
        """Send ``ready`` and run the server handshake; then read and write through TLS.

        No yield to the loop between the reply and the handshake: a yield (``wait_for`` on a
        drain) would let the loop read the client's ClientHello as plain text. The TLS layer
        gets a fresh reader, so plain text the client sent after the command is dropped, as
        RFC 3207 section 4.2 and Postfix do; kept, it would be taken for commands sent inside
        TLS (the STARTTLS injection of CVE-2011-0411). ``StreamWriter.start_tls`` is not used:
        in 3.11 it keeps a ``None`` transport when the client leaves right after the handshake.
        """
        assert self.ctx is not None
        if ready is not None:
            self.writer.write(f"{ready}\r\n".encode())
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE)
        protocol = _TlsReaderProtocol(reader)
        transport = await loop.start_tls(
            self.writer.transport,
            protocol,
            self.ctx,
            server_side=True,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
        )
        if transport is None:
            raise ConnectionResetError("the client left during the handshake")
        protocol.connection_made(transport)
        self.reader, self.writer = reader, asyncio.StreamWriter(transport, protocol, reader, loop)
        self.tls = True


class _Session:
    """A protocol dialogue over a :class:`_Stream`; subclasses define the commands."""

    too_long = "500 5.5.0 Line too long"

    def __init__(self, stream: _Stream, spec: _Spec) -> None:
        self.s, self.spec = stream, spec

    async def run(self) -> None:
        raise NotImplementedError


class _Smtp(_Session):
    """SMTP (RFC 5321) with STARTTLS (RFC 3207); messages are accepted and discarded."""

    def __init__(self, stream: _Stream, spec: _Spec) -> None:
        super().__init__(stream, spec)
        self.client: str | None = None
        self.sender: str | None = None
        self.rcpts = 0
        self.commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "EHLO": self.ehlo,
            "HELO": self.helo,
            "STARTTLS": self.starttls,
            "AUTH": self.auth,
            "MAIL": self.mail,
            "RCPT": self.rcpt,
            "DATA": self.data,
            "NOOP": self.ok,
            "RSET": self.rset,
            "QUIT": self.quit,
        }

    async def run(self) -> None:
        await self.s.send("220 localhost ESMTP mailtls-lab")
        while True:
            verb, _, arg = (await self.s.line()).strip().partition(" ")
            command = self.commands.get(verb.upper())
            if command is None:
                await self.s.send("502 5.5.2 Error: command not recognized")
            elif not await command(arg.strip()):
                return

    def keywords(self) -> list[str]:
        words = ["PIPELINING", f"SIZE {MAX_MESSAGE}"]
        if self.s.tls:
            words.append("AUTH PLAIN LOGIN")
        words += ["ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"]
        if self.s.can_starttls:
            words.insert(len(words) if self.spec.starttls_last else 2, "STARTTLS")
        return words

    async def ehlo(self, arg: str) -> bool:
        if not arg:
            await self.s.send("501 5.5.4 Syntax: EHLO hostname")
            return True
        self.client, self.sender, self.rcpts = arg, None, 0
        lines = [f"localhost Hello {arg}", *self.keywords()]
        await self.s.send(*(f"250-{x}" for x in lines[:-1]), f"250 {lines[-1]}")
        return True

    async def helo(self, arg: str) -> bool:
        if not arg:
            await self.s.send("501 5.5.4 Syntax: HELO hostname")
            return True
        self.client, self.sender, self.rcpts = arg, None, 0
        await self.s.send("250 localhost")
        return True

    async def starttls(self, arg: str) -> bool:
        if arg:
            await self.s.send("501 5.5.4 Syntax: STARTTLS")
        elif not self.s.can_starttls:
            await self.s.send(
                "502 5.5.1 Error: command not implemented"
                if not self.s.tls
                else "554 5.5.1 Error: TLS already active"
            )
        else:
            await self.s.start_tls("220 2.0.0 Ready to start TLS")
            self.client, self.sender, self.rcpts = None, None, 0  # RFC 3207: forget all
        return True

    async def auth(self, arg: str) -> bool:
        mechanism, _, initial = arg.partition(" ")
        if not self.s.tls:
            await self.s.send("530 5.7.0 Must issue a STARTTLS command first")
            return True
        prompts = {"PLAIN": [""] if not initial else [], "LOGIN": ["VXNlcm5hbWU6", "UGFzc3dvcmQ6"]}
        if mechanism.upper() not in prompts:
            await self.s.send("504 5.5.4 Unrecognized authentication type")
            return True
        for prompt in prompts[mechanism.upper()]:
            await self.s.send(f"334 {prompt}")
            if (await self.s.line()).strip() == "*":
                await self.s.send("501 5.7.0 Authentication aborted")
                return True
        await self.s.send("235 2.7.0 Authentication successful")
        return True

    async def mail(self, arg: str) -> bool:
        if self.client is None:
            await self.s.send("503 5.5.1 Error: send HELO/EHLO first")
        elif self.sender is not None:
            await self.s.send("503 5.5.1 Error: nested MAIL command")
        elif not arg.upper().startswith("FROM:"):
            await self.s.send("501 5.5.4 Syntax: MAIL FROM:<address>")
        else:
            self.sender = arg[5:].strip()
            await self.s.send("250 2.1.0 Ok")
        return True

    async def rcpt(self, arg: str) -> bool:
        if self.sender is None:
            await self.s.send("503 5.5.1 Error: need MAIL command")
        elif not arg.upper().startswith("TO:"):
            await self.s.send("501 5.5.4 Syntax: RCPT TO:<address>")
        else:
            self.rcpts += 1
            await self.s.send("250 2.1.5 Ok")
        return True

    async def data(self, arg: str) -> bool:
        if not self.rcpts:
            await self.s.send("503 5.5.1 Error: need RCPT command")
            return True
        await self.s.send("354 End data with <CR><LF>.<CR><LF>")
        size = 0
        while (line := await self.s.line()) != ".":
            size += len(line) + 2
        self.sender, self.rcpts = None, 0
        if size > MAX_MESSAGE:
            await self.s.send("552 5.3.4 Error: message file too big")
        else:
            await self.s.send(f"250 2.0.0 Ok: queued as {secrets.token_hex(5).upper()}")
        return True

    async def ok(self, arg: str) -> bool:
        await self.s.send("250 2.0.0 Ok")
        return True

    async def rset(self, arg: str) -> bool:
        self.sender, self.rcpts = None, 0
        return await self.ok(arg)

    async def quit(self, arg: str) -> bool:
        await self.s.send("221 2.0.0 Bye")
        return False


class _Imap(_Session):
    """IMAP4rev1 (RFC 3501) greeting, CAPABILITY, STARTTLS, NOOP and LOGOUT only."""

    too_long = "* BAD Line too long"

    def capabilities(self) -> str:
        return "IMAP4rev1 STARTTLS LOGINDISABLED" if self.s.can_starttls else "IMAP4rev1"

    async def run(self) -> None:
        await self.s.send(f"* OK [CAPABILITY {self.capabilities()}] mailtls lab ready")
        while True:
            tag, _, rest = (await self.s.line()).strip().partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if not tag or not command:
                await self.s.send(f"{tag or '*'} BAD Missing command")
            elif not await self.command(tag, command):
                return

    async def command(self, tag: str, command: str) -> bool:
        if command == "CAPABILITY":
            await self.s.send(
                f"* CAPABILITY {self.capabilities()}", f"{tag} OK CAPABILITY completed"
            )
        elif command == "NOOP":
            await self.s.send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            await self.s.send("* BYE mailtls lab logging out", f"{tag} OK LOGOUT completed")
            return False
        elif command == "STARTTLS" and self.s.can_starttls:
            await self.s.start_tls(f"{tag} OK Begin TLS negotiation now")
        elif command == "LOGIN":
            await self.s.send(
                f"{tag} NO [PRIVACYREQUIRED] LOGIN disabled before STARTTLS"
                if self.s.can_starttls
                else f"{tag} NO [AUTHENTICATIONFAILED] The lab has no mailboxes"
            )
        else:
            await self.s.send(f"{tag} BAD Command not supported")
        return True


class _Pop3(_Session):
    """POP3 (RFC 1939) greeting, CAPA (RFC 2449), STLS (RFC 2595), NOOP and QUIT only."""

    too_long = "-ERR Line too long"

    async def run(self) -> None:
        await self.s.send("+OK mailtls lab ready")
        while True:
            command = (await self.s.line()).strip().split(" ", 1)[0].upper()
            if command == "CAPA":
                stls = ["STLS"] if self.s.can_starttls else []
                await self.s.send(
                    "+OK Capability list follows",
                    "USER",
                    "UIDL",
                    *stls,
                    "IMPLEMENTATION mailtls-lab",
                    ".",
                )
            elif command == "STLS" and self.s.can_starttls:
                await self.s.start_tls("+OK Begin TLS negotiation")
            elif command == "NOOP":
                await self.s.send("+OK")
            elif command == "QUIT":
                await self.s.send("+OK Bye")
                return
            else:
                await self.s.send("-ERR Command not supported")


_SESSIONS: dict[str, type[_Session]] = {
    "smtp": _Smtp,
    "smtps": _Smtp,
    "imap": _Imap,
    "imaps": _Imap,
    "pop3": _Pop3,
    "pop3s": _Pop3,
}


class Lab:
    """The lab: a throwaway CA and one endpoint per situation, on loopback ports.

    The constructor makes the PKI and writes ``ca.pem`` and each situation's ``NAME.pem``
    (leaf and chain) and ``NAME.key`` into ``directory``; :meth:`start` binds the endpoints
    and writes ``targets.txt``. ``base_port`` 0 lets the system pick free ports; otherwise
    the endpoints take consecutive ports from ``base_port``, in :attr:`endpoints` order.
    """

    def __init__(
        self,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        base_port: int = 0,
        now: dt.datetime | None = None,
    ) -> None:
        host = "127.0.0.1" if host == "localhost" else host
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"{host} is not a loopback address: the lab stays on loopback")
        self.directory, self.host, self.base_port = Path(directory), host, base_port
        self.pki = build_lab_pki(now)
        if base_port and not 1024 <= base_port <= 65536 - len(_specs(self.pki)):
            raise ValueError(f"base port {base_port} leaves no room for the lab's ports")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = self.directory / "ca.pem"
        self.ca_file.write_bytes(self.pki.ca_pem())
        self._contexts = {
            name: server_context(*s.issued.write(self.directory, name))
            for name, s in self.pki.situations.items()
        }
        self.endpoints: list[Endpoint] = []
        self._servers: list[asyncio.Server] = []
        self._clients: dict[asyncio.Task[None], _Stream] = {}

    @property
    def targets_file(self) -> Path:
        return self.directory / "targets.txt"

    async def start(self) -> None:
        """Bind every endpoint (on ``host`` and, when available, ``::1``)."""
        self.endpoints.clear()
        try:
            for i, spec in enumerate(_specs(self.pki)):
                port = self.base_port + i if self.base_port else 0
                self.endpoints.append(await self._bind(spec, port))
        except BaseException:
            await self.stop()
            raise
        self.targets_file.write_text(
            "".join(f"# {e.name}: {e.description}\n{e.url}\n" for e in self.endpoints)
        )

    async def stop(self) -> None:
        """Close the listeners and every client connection."""
        for server in self._servers:
            server.close()
        for stream in self._clients.values():
            stream.writer.transport.abort()  # the session's pending read or write fails and it ends
        if self._clients:
            await asyncio.wait(list(self._clients), timeout=0.5)
        for task in self._clients:
            task.cancel()
        if self._clients:
            await asyncio.wait(list(self._clients), timeout=0.5)
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 0.5)
        self._servers.clear()

    def _endpoint(self, spec: _Spec, port: int) -> Endpoint:
        if spec.situation == NO_TLS:
            expect, about = "starttls.not_offered", spec.prefix
        else:
            situation = self.pki.situations[spec.situation]
            expect, about = situation.expect, spec.prefix + situation.description
        return Endpoint(spec.name, spec.scheme, self.host, port, spec.situation, expect, about)

    async def _bind(self, spec: _Spec, port: int) -> Endpoint:
        """Listen for ``spec``; with port 0 retry until ``::1`` can share the chosen port."""
        want_v6 = self.host == "127.0.0.1" and _ipv6_loopback()
        for _ in range(_PORT_ATTEMPTS if port == 0 else 1):
            main = await self._listen(spec, self.host, port)
            chosen: int = main.sockets[0].getsockname()[1]
            extra = await self._listen_v6(spec, chosen) if want_v6 else None
            if extra is not None or port != 0 or not want_v6:
                self._servers += [main, *([extra] if extra else [])]
                return self._endpoint(spec, chosen)
            main.close()  # ::1 taken at that port by someone else: "localhost" would reach them
        raise OSError(f"no port free on both {self.host} and ::1 for {spec.name}")

    async def _listen_v6(self, spec: _Spec, port: int) -> asyncio.Server | None:
        try:
            return await self._listen(spec, "::1", port)
        except OSError:
            return None

    async def _listen(self, spec: _Spec, host: str, port: int) -> asyncio.Server:
        ctx = self._contexts.get(spec.situation)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(spec, _Stream(reader, writer, ctx))

        # Implicit TLS too is accepted in plain text and upgraded in _serve: with ssl= here,
        # a connection stuck in its handshake would not be ours yet, and stop() could not end it.
        return await asyncio.start_server(handle, host, port, limit=MAX_LINE, backlog=256)

    async def _serve(self, spec: _Spec, stream: _Stream) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients[task] = stream
        session = _SESSIONS[spec.scheme](stream, spec)
        try:
            if spec.scheme in IMPLICIT_TLS:
                await stream.start_tls()
            await session.run()
        except asyncio.LimitOverrunError:
            with contextlib.suppress(*_HANGUPS):
                await stream.send(session.too_long)
        except _ENDINGS:
            pass  # a cancelled task must not end cancelled: 3.11 streams log that as an error
        finally:
            del self._clients[task]
            stream.writer.transport.abort()


@functools.cache
def _ipv6_loopback() -> bool:
    """Whether ``::1`` can be bound here (IPv6 may be disabled in containers)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True
