"""mailtls.client against a real Postfix (SASL through Dovecot): what is accepted, what is
refused, and Postfix's own log as proof that nothing reached a server that failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import uuid

import pytest
from clientlab import ADDRESS, SMALL_LIMIT, SubmitLab

from mailtls import client
from mailtls.client import (
    AsyncClient,
    AuthenticationFailed,
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    Client,
    HostnameMismatch,
    IncompleteChain,
    MessageTooLarge,
    PinMismatch,
    SelfSignedCertificate,
    StartTLSUnavailable,
    UntrustedCertificate,
    build_message,
)
from mailtls.lab.pki import LabPKI
from mailtls.verify import spki_sha256

pytestmark = pytest.mark.servers


def _msg(subject: str) -> object:
    return build_message("alice@localhost", ["alice@localhost"], subject, "hello\n.\nbye\n")


def _delivered(lab: SubmitLab, subject: str, timeout: float = 10.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in lab.postfix.maildir_messages("alice"):
            text = p.read_text(errors="replace")
            if subject in text:
                return text
        time.sleep(0.05)
    raise AssertionError(f"{subject!r} not delivered:\n{lab.postfix.log_text()[-3000:]}")


def _client(lab: SubmitLab, name: str, scheme: str = "submission", **kw: object) -> Client:
    options: dict[str, object] = {"address": ADDRESS, "ca_file": lab.ca_file,
                                  "username": lab.user, "password": lab.password,
                                  "timeout": 15}
    options.update(kw)
    return Client(lab.url(name, scheme), **options)


# -- the good path --------------------------------------------------------------------


def test_submission_with_sasl_delivers(submit_lab: SubmitLab) -> None:
    subject = f"client {uuid.uuid4()}"
    with _client(submit_lab, "good") as c:
        assert c.tls_version in ("TLSv1.2", "TLSv1.3")
        assert c.certificate is not None and "localhost" in c.certificate.san
        result = c.send_message(_msg(subject))
    assert result.queue_id and result.recipients == ("alice@localhost",)
    text = _delivered(submit_lab, subject)
    assert "\nhello\n..\n" not in text and "hello\n.\nbye" in text  # dot-stuffing undone
    submit_lab.postfix.wait_for_log(rf"{result.queue_id}: to=<alice@localhost>.*status=sent")
    submit_lab.postfix.wait_for_log(r"postfix/good/smtpd.*sasl_method=PLAIN, sasl_username=alice")


def test_smtps_and_many_messages_on_one_connection(submit_lab: SubmitLab) -> None:
    subjects = [f"smtps {uuid.uuid4()}" for _ in range(3)]
    with _client(submit_lab, "smtps", "smtps") as c:
        ids = [c.send_message(_msg(s)).queue_id for s in subjects]
    assert len(set(ids)) == 3
    for s in subjects:
        _delivered(submit_lab, s)


def test_raw_bytes_many_recipients_async(submit_lab: SubmitLab) -> None:
    subject = f"raw {uuid.uuid4()}"
    raw = (f"From: alice@localhost\nTo: alice@localhost\nSubject: {subject}\n\n"
           ".leading dot\nbody\n").encode()

    async def go() -> client.SendResult:
        async with AsyncClient(submit_lab.url("good"), address=ADDRESS,
                               ca_file=submit_lab.ca_file, username=submit_lab.user,
                               password=submit_lab.password) as c:
            return await c.send_message(raw, sender="alice@localhost",
                                        recipients=["alice@localhost", "alice@localhost"])

    result = asyncio.run(go())
    assert result.queue_id
    assert "\n.leading dot\n" in _delivered(submit_lab, subject)


def test_one_call_send(submit_lab: SubmitLab) -> None:
    subject = f"send() {uuid.uuid4()}"
    result = client.send(submit_lab.url("good"), _msg(subject), address=ADDRESS,
                         ca_file=submit_lab.ca_file, username=submit_lab.user,
                         password=submit_lab.password)
    assert result.queue_id
    _delivered(submit_lab, subject)


# -- refused certificates: the right exception, and nothing reached Postfix -------------

REFUSED = [
    ("expired", CertificateExpired, "cert.expired"),
    ("not-yet-valid", CertificateNotYetValid, "cert.not_yet_valid"),
    ("wrong-host", HostnameMismatch, "cert.hostname_mismatch"),
    ("self-signed", SelfSignedCertificate, "cert.self_signed"),
    ("untrusted", UntrustedCertificate, "cert.untrusted"),
    ("chain-incomplete", IncompleteChain, "cert.chain_incomplete"),
    ("weak-key", CertificateInvalid, "cert.weak_key"),
    ("not-for-server", CertificateInvalid, "cert.not_for_server"),
]


@pytest.mark.parametrize(("name", "cls", "finding"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_certificate(submit_lab: SubmitLab, lab_pki: LabPKI, name: str,
                             cls: type[Exception], finding: str) -> None:
    before, mark = len(submit_lab.disconnects(name)), submit_lab.mark(name)
    with pytest.raises(cls) as info:
        _client(submit_lab, name).send_message(_msg("must not arrive"))
    exc = info.value
    assert exc.id == finding  # type: ignore[attr-defined]
    leaf = lab_pki.situations[name].issued.cert
    assert exc.certificate is not None  # type: ignore[attr-defined]
    assert exc.certificate.spki_sha256 == spki_sha256(leaf)  # type: ignore[attr-defined]
    assert exc.remediation("zh_CN") != exc.remediation("en")  # type: ignore[attr-defined]
    assert submit_lab.password not in repr(exc) + str(exc)
    # the client's session and the diagnostic one: neither logged in nor sent
    submit_lab.wait_disconnects(name, before + 2)
    submit_lab.assert_nothing_sent(name, mark)
    lines = submit_lab.disconnects(name)[before:]
    assert any("starttls=1" in x for x in lines), lines


def test_no_starttls_is_refused_before_anything(submit_lab: SubmitLab) -> None:
    before, mark = len(submit_lab.disconnects("no-tls")), submit_lab.mark("no-tls")
    with pytest.raises(StartTLSUnavailable) as info:
        _client(submit_lab, "no-tls").send_message(_msg("must not arrive"))
    assert info.value.id == "starttls.not_offered"
    assert "AUTH" in info.value.detail()  # Postfix offered AUTH in clear: not taken
    lines = submit_lab.wait_disconnects("no-tls", before + 1)
    assert "ehlo=1 quit=1" in lines[-1], lines[-1]
    submit_lab.assert_nothing_sent("no-tls", mark)


# -- pins -------------------------------------------------------------------------------


def test_pinned_self_signed_accepted(submit_lab: SubmitLab, lab_pki: LabPKI) -> None:
    pin = spki_sha256(lab_pki.situations["self-signed"].issued.cert)
    subject = f"pinned {uuid.uuid4()}"
    with _client(submit_lab, "self-signed", ca_file=None, pin_sha256=pin) as c:
        c.send_message(_msg(subject))
    _delivered(submit_lab, subject)


def test_pinned_self_signed_wrong_pin_refused(submit_lab: SubmitLab, lab_pki: LabPKI) -> None:
    wrong = spki_sha256(lab_pki.situations["good"].issued.cert)
    before, mark = len(submit_lab.disconnects("self-signed")), submit_lab.mark("self-signed")
    with pytest.raises(PinMismatch) as info:
        _client(submit_lab, "self-signed", ca_file=None, pin_sha256=wrong).connect()
    assert info.value.finding.params["expected"] == wrong
    submit_lab.wait_disconnects("self-signed", before + 1)
    submit_lab.assert_nothing_sent("self-signed", mark)


def test_pin_checks_host_name_too(submit_lab: SubmitLab, lab_pki: LabPKI) -> None:
    pin = spki_sha256(lab_pki.situations["wrong-host"].issued.cert)
    with pytest.raises(HostnameMismatch):
        _client(submit_lab, "wrong-host", ca_file=None, pin_sha256=pin).connect()


def test_pin_with_ca_checks_both(submit_lab: SubmitLab, lab_pki: LabPKI) -> None:
    good = spki_sha256(lab_pki.situations["good"].issued.cert)
    with _client(submit_lab, "good", pin_sha256=good) as c:
        assert c.certificate is not None and c.certificate.spki_sha256 == good
    other = spki_sha256(lab_pki.situations["expired"].issued.cert)
    with pytest.raises(PinMismatch):
        _client(submit_lab, "good", pin_sha256=other).connect()
    with pytest.raises(CertificateExpired):  # a pin never excuses a CA failure
        _client(submit_lab, "expired",
                pin_sha256=spki_sha256(lab_pki.situations["expired"].issued.cert)).connect()


# -- login and size -----------------------------------------------------------------------


def test_wrong_password_is_refused_without_leaking(submit_lab: SubmitLab) -> None:
    import traceback

    secret = "wrong-" + uuid.uuid4().hex
    with pytest.raises(AuthenticationFailed) as info:
        _client(submit_lab, "good", password=secret).connect()
    exc = info.value
    # every frame below this test's own, with their local variables
    tb = exc.__traceback__.tb_next if exc.__traceback__ else None
    text = "".join(traceback.TracebackException(
        type(exc), exc, tb, capture_locals=True).format())
    assert "mailtls/client/smtp.py" in text
    for leak in (secret, submit_lab.password):
        assert leak not in str(exc) + repr(exc) + text
    import base64
    assert base64.b64encode(f"\0alice\0{secret}".encode()).decode() not in text


def test_message_over_size_is_refused_before_mail(submit_lab: SubmitLab) -> None:
    body = "x" * (SMALL_LIMIT * 2)
    msg = build_message("alice@localhost", ["alice@localhost"], "big", body)
    before = len(submit_lab.disconnects("small"))
    with _client(submit_lab, "small") as c:
        assert c.capabilities.get("SIZE") == str(SMALL_LIMIT)
        with pytest.raises(MessageTooLarge) as info:
            c.send_message(msg)
        assert info.value.finding.params["limit"] == str(SMALL_LIMIT)
        ok = c.send_message(_msg(f"small {uuid.uuid4()}"))  # the session is still usable
        assert ok.queue_id
    lines = submit_lab.wait_disconnects("small", before + 1)
    assert "mail=1" in lines[-1]  # only the small one


def test_classification_agrees_with_scan(submit_lab: SubmitLab) -> None:
    from mailtls.model import Target
    from mailtls.scan import ScanOptions, run_scan
    from mailtls.verify import TrustStore

    store = TrustStore.build("mozilla", [submit_lab.ca_file])
    for name, cls, finding in REFUSED:
        target = Target("submission", "localhost", submit_lab.port(name), ADDRESS)
        [result] = run_scan([target], ScanOptions(store=store, timeout=15,
                                                  now=dt.datetime.now(dt.UTC)))
        primary = next(f.id for f in result.findings if f.primary)
        assert primary == finding, name
        with pytest.raises(cls) as info:
            _client(submit_lab, name).connect()
        assert info.value.id == primary  # type: ignore[attr-defined]


def test_ssl_is_really_verified_by_openssl(submit_lab: SubmitLab) -> None:
    with _client(submit_lab, "good") as c:
        sslobj = c._client._conn.ssl_object  # type: ignore[union-attr]
        assert isinstance(sslobj, ssl.SSLObject)
        assert sslobj.context.verify_mode == ssl.CERT_REQUIRED
        assert sslobj.context.check_hostname
        assert sslobj.getpeercert()
