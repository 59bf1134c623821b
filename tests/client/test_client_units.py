"""The client without Postfix: input checks, the reply parser, and every way someone might
try to switch verification off (parameters, contexts, subclasses, the environment)."""

from __future__ import annotations

import asyncio
import email.message
import inspect
import pickle
import ssl
from typing import Any

import pytest
from clientlab import ADDRESS

from mailtls.catalog import entry
from mailtls.client import (
    AsyncClient,
    Client,
    HeaderInjection,
    HostnameMismatch,
    InsecureSSLContext,
    InvalidAddress,
    MailTLSClientError,
    Secret,
    UntrustedCertificate,
    build_message,
    check_address,
)
from mailtls.client.errors import CLASSES, CertificateExpired
from mailtls.client.message import check_headers, check_raw_headers, wire_data
from mailtls.client.trust import normalize_pin
from mailtls.errors import ProtocolError
from mailtls.proto.smtp import ReplyReader
from support.smtpfakes import FakeSMTP

# -- addresses and headers ----------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "alice@example.com", "a.b+tag@mail.example.org", '"odd name"@example.com',
    "x@[192.0.2.1]", "alice@localhost", "用户@例子.广告",
])
def test_good_addresses(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize(("address", "problem"), [
    ("alice", "not of the form"),
    ("@example.com", "not of the form"),
    ("alice@", "not of the form"),
    ("alice@example.com\r\nRCPT TO:<evil@x>", "line break"),
    ("alice@exa\nmple.com", "line break"),
    ("alice@example.com\0", "control"),
    ("alice smith@example.com", "white space"),
    ("<alice@example.com>", "angle"),
    ("a..b@example.com", "local part"),
    ("alice@-bad-.com", "domain"),
    ("alice@exa_mple.com", "domain"),
    ("a" * 250 + "@example.com", "254"),
])
def test_bad_addresses(address: str, problem: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        check_address(address)
    assert problem in info.value.detail()
    assert info.value.id == "client.bad_address"
    assert "\n" not in str(info.value) and "\r" not in str(info.value)
    assert info.value.detail("zh_CN") != info.value.detail("en")


def test_non_ascii_needs_smtputf8() -> None:
    with pytest.raises(InvalidAddress, match="SMTPUTF8"):
        check_address("用户@example.com", smtputf8=False)


@pytest.mark.parametrize("subject", ["hi\r\nBcc: evil@example.com", "hi\nX: y", "a\rb"])
def test_subject_injection(subject: str) -> None:
    with pytest.raises(HeaderInjection) as info:
        build_message("a@example.com", ["b@example.com"], subject, "body")
    assert info.value.finding.params["header"] == "Subject"


def test_injection_in_a_message_object_and_in_raw_bytes() -> None:
    msg = email.message.Message()  # compat32 lets anything in; the client does not
    msg["From"] = "a@example.com"
    msg["Subject"] = "hi\r\nBcc: evil@example.com"
    with pytest.raises(HeaderInjection):
        check_headers(msg)
    with pytest.raises(HeaderInjection):
        check_raw_headers(b"From: a@example.com\r\nthis is no header\r\n\r\nbody")
    check_raw_headers(b"From: a@example.com\r\nSubject: folded\r\n  line\r\n\r\nbody")
    with pytest.raises(InvalidAddress):
        build_message("a@example.com", ["b@example.com>, <c@example.com"], "s", "b")


def test_wire_data_stuffs_dots_and_normalises_line_ends() -> None:
    assert wire_data(b"a\n.b\r\n..c\rd") == b"a\r\n..b\r\n...c\r\nd\r\n.\r\n"
    assert wire_data(b".") == b"..\r\n.\r\n"
    assert b"\n.\r\n" not in wire_data(b"x\n.\nsmuggled")[:-5]


# -- replies ------------------------------------------------------------------------------

REPLY = b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n220 next\r\n"


def test_parser_byte_at_a_time() -> None:
    p = ReplyReader()
    replies = []
    for b in REPLY:
        p.feed(bytes([b]))
        while (r := p.next_reply()) is not None:
            replies.append(r)
    assert [r.code for r in replies] == [250, 220]
    assert replies[0].texts == ("mx.example", "PIPELINING", "SIZE 1000")


@pytest.mark.parametrize("cut", range(len(REPLY)))
def test_parser_split_everywhere(cut: int) -> None:
    p = ReplyReader()
    p.feed(REPLY[:cut])
    first = p.next_reply()
    p.feed(REPLY[cut:])
    got = [first] if first else []
    while (r := p.next_reply()) is not None:
        got.append(r)
    assert [r.code for r in got] == [250, 220]


@pytest.mark.parametrize("data", [b"hello\r\n", b"250-a\r\n251 b\r\n", b"2" * 9000,
                                  b"600 no\r\n", b"25 short\r\n", b"260 ok\r\n",
                                  b"199 x\r\n", b"250-a\r\n" * 200_000])
def test_parser_refuses_garbage(data: bytes) -> None:
    p = ReplyReader()
    p.feed(data)
    with pytest.raises(ProtocolError):
        while p.next_reply() is not None:
            pass


def test_bytes_after_a_reply_stay_buffered() -> None:
    p = ReplyReader()
    p.feed(b"220 go ahead\r\n250 injected\r\n")
    assert p.next_reply() is not None and p.buffered == len(b"250 injected\r\n")


# -- no way to switch verification off ----------------------------------------------------


def test_no_parameter_turns_verification_off() -> None:
    params = set(inspect.signature(AsyncClient.__init__).parameters)
    forbidden = {"verify", "validate_certs", "insecure", "check_hostname", "cert_reqs",
                 "verify_mode", "opportunistic", "use_tls", "start_tls", "allow_plaintext"}
    assert not params & forbidden


def test_subclasses_are_refused() -> None:
    with pytest.raises(TypeError):
        type("Lax", (AsyncClient,), {"_context": lambda self: ssl._create_unverified_context()})
    with pytest.raises(TypeError):
        type("LaxSync", (Client,), {})


def _lax(**changes: Any) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    for k, v in changes.items():
        setattr(ctx, k, v)
    return ctx


class _MyContext(ssl.SSLContext):
    pass


@pytest.mark.parametrize("ctx", [
    ssl._create_unverified_context(),
    _lax(check_hostname=False),
    _lax(check_hostname=False, verify_mode=ssl.CERT_NONE),
    _lax(check_hostname=False, verify_mode=ssl.CERT_OPTIONAL),
    _lax(sslobject_class=type("Obj", (ssl.SSLObject,), {})),
    _MyContext(ssl.PROTOCOL_TLS_CLIENT),
], ids=["unverified", "no-hostname", "cert-none", "cert-optional", "sslobject", "subclass"])
def test_lax_contexts_are_refused(ctx: ssl.SSLContext) -> None:
    with pytest.raises(InsecureSSLContext) as info:
        AsyncClient("submission://mail.example.com", ssl_context=ctx)
    assert info.value.id == "client.insecure_context"


def test_old_minimum_version_is_refused() -> None:
    ctx = ssl.create_default_context()
    with pytest.warns(DeprecationWarning):
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises(InsecureSSLContext, match=r"below TLS 1\.2"):
        AsyncClient("submission://mail.example.com", ssl_context=ctx)


def test_context_loosened_after_the_client_was_made(lab_files: Any) -> None:
    ctx = ssl.create_default_context(cafile=str(lab_files.ca_file))
    c = AsyncClient("submission://localhost:1", address=ADDRESS, ssl_context=ctx)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(InsecureSSLContext):
        asyncio.run(c.connect())


def test_environment_cannot_disable_checks(lab_files: Any, monkeypatch: Any) -> None:
    """SSL_CERT_FILE can add roots only with trust="system"; nothing turns a check off."""
    monkeypatch.setenv("SSL_CERT_FILE", str(lab_files.ca_file))
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent")

    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"]) as good, \
                FakeSMTP(*lab_files.certs["wrong-host"]) as wrong:
            with pytest.raises(UntrustedCertificate):  # default: Mozilla roots, env ignored
                await AsyncClient(f"submission://localhost:{good.port}", address=ADDRESS,
                                  timeout=5).connect()
            c = AsyncClient(f"submission://localhost:{good.port}", address=ADDRESS,
                            trust="system", timeout=5)
            await c.connect()  # the environment's root is a root, no more
            await c.aclose()
            with pytest.raises(HostnameMismatch):
                await AsyncClient(f"submission://localhost:{wrong.port}", address=ADDRESS,
                                  trust="system", timeout=5).connect()

    asyncio.run(go())


@pytest.mark.parametrize("pin", ["", "abc", "sha256/" + "A" * 10, "!" * 44])
def test_bad_pins(pin: str) -> None:
    with pytest.raises(ValueError):
        normalize_pin(pin)


def test_pin_forms() -> None:
    pin = "q" * 43 + "="
    assert normalize_pin("sha256/" + pin) == normalize_pin(pin)


# -- exceptions and secrets ---------------------------------------------------------------


def test_every_exception_id_is_in_the_catalogue() -> None:
    for fid, cls in CLASSES.items():
        assert entry(fid)
        assert issubclass(cls, MailTLSClientError)
        assert entry(cls.default_id)


def test_exception_texts_and_pickling() -> None:
    exc = CertificateExpired.make(subject="CN=mx", not_after="2026-01-01", days="3")
    assert str(exc).startswith("Certificate expired: ")
    assert exc.title("zh_CN") == "证书已过期"
    assert "Renew" in exc.remediation() and exc.remediation("zh_CN") != exc.remediation()
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is CertificateExpired and again.finding == exc.finding


def test_secret_never_shows() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in repr(s) + str(s) + f"{s}" + repr([s])
    with pytest.raises(TypeError):
        pickle.dumps(s)
    c = AsyncClient("submission://mail.example.com", username="u", password="hunter2")
    assert "hunter2" not in repr(c) + repr(vars(c))


def test_bad_url_and_arguments() -> None:
    with pytest.raises(ValueError, match="smtps"):
        AsyncClient("imaps://mail.example.com")
    with pytest.raises(ValueError):
        AsyncClient("submission://mail.example.com", username="u")
    with pytest.raises(ValueError):
        AsyncClient("submission://mail.example.com", address="not-an-ip")
    with pytest.raises(ValueError):
        AsyncClient("submission://mail.example.com", trust="all")
