"""The server fixtures work, as seen by real clients: openssl s_client, smtplib, imaplib,
poplib and swaks (never by mailtls's own scanner)."""

from __future__ import annotations

import imaplib
import poplib
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from mailtls.lab.pki import LabPKI
from servers.dovecot import AuthSocket, DovecotInstance, Site
from servers.ports import free_ports, permissive_context
from servers.postfix import Listener, PostfixError, PostfixInstance

pytestmark = pytest.mark.servers

SITUATIONS = (
    "good", "expired", "not-yet-valid", "expires-soon", "wrong-host", "self-signed",
    "untrusted", "chain-incomplete", "weak-key", "weak-signature", "not-for-server",
)
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def s_client_chain(address: str, port: int, starttls: str | None) -> list[x509.Certificate]:
    """The chain the server sent, as ``openssl s_client -showcerts`` prints it."""
    argv = ["openssl", "s_client", "-connect", f"{address}:{port}", "-showcerts",
            "-cipher", "DEFAULT:@SECLEVEL=0"]
    if starttls:
        argv += ["-starttls", starttls]
    out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                         check=False)
    pems = _PEM.findall(out.stdout)
    assert pems, f"no certificate from {address}:{port}:\n{out.stdout!r}\n{out.stderr!r}"
    return [x509.load_pem_x509_certificate(p) for p in pems]


def assert_presents(chain: list[x509.Certificate], pki: LabPKI, situation: str) -> None:
    issued = pki.situations[situation].issued
    assert fingerprint(chain[0]) == fingerprint(issued.cert), f"{situation}: wrong leaf"
    assert [fingerprint(c) for c in chain[1:]] == [fingerprint(c) for c in issued.chain]
    assert len(chain) == 1 + len(issued.chain)


def test_situations_cover_the_lab(lab_pki: LabPKI) -> None:
    assert set(lab_pki.situations) == set(SITUATIONS)


# -- Postfix -----------------------------------------------------------------------------


@pytest.mark.parametrize("situation", SITUATIONS)
def test_postfix_starttls_presents_its_chain(postfix_lab, lab_pki, situation) -> None:
    chain = s_client_chain(postfix_lab.address, postfix_lab[situation], "smtp")
    assert_presents(chain, lab_pki, situation)


@pytest.mark.parametrize("situation", ["good", "weak-key", "weak-signature"])
def test_postfix_leaf_seen_by_smtplib(postfix_lab, lab_pki, situation) -> None:
    with smtplib.SMTP(postfix_lab.address, postfix_lab[situation], timeout=10) as smtp:
        smtp.starttls(context=permissive_context())
        der = smtp.sock.getpeercert(binary_form=True)
    leaf = lab_pki.situations[situation].issued.cert
    assert der == leaf.public_bytes(Encoding.DER)


def test_postfix_verifies_with_the_lab_ca(postfix_lab) -> None:
    ctx = ssl.create_default_context(cafile=str(postfix_lab.ca_file))
    with smtplib.SMTP(postfix_lab.address, postfix_lab["good"], timeout=10) as smtp:
        smtp.starttls(context=ctx)
        assert smtp.ehlo()[0] == 250
    with smtplib.SMTP(postfix_lab.address, postfix_lab["expired"], timeout=10) as smtp,\
            pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        smtp.starttls(context=ctx)


def test_postfix_no_tls_listener_offers_no_starttls(postfix_lab) -> None:
    with smtplib.SMTP(postfix_lab.address, postfix_lab.no_tls, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("starttls")
    with smtplib.SMTP(postfix_lab.address, postfix_lab["good"], timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")


def test_postfix_smtps_is_wrapper_mode(postfix_lab, lab_pki) -> None:
    assert_presents(s_client_chain(postfix_lab.address, postfix_lab.smtps, None), lab_pki,
                    "good")
    with smtplib.SMTP_SSL(postfix_lab.address, postfix_lab.smtps, timeout=10,
                          context=permissive_context()) as smtp:
        assert smtp.ehlo()[0] == 250
        assert not smtp.has_extn("starttls")


def test_swaks_delivers_over_starttls(postfix_lab) -> None:
    assert shutil.which("swaks"), "swaks is missing: run `make test`"
    subject = f"mailtls fixture {uuid.uuid4()}"
    out = subprocess.run(
        ["swaks", "--to", "alice@localhost", "--from", "bob@localhost",
         "--server", f"{postfix_lab.address}:{postfix_lab['good']}", "--tls",
         "--header", f"Subject: {subject}", "--timeout", "10"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    queue_id = re.search(r"250 2\.0\.0 Ok: queued as (\w+)", out.stdout)
    assert queue_id, out.stdout
    pf = postfix_lab.instance
    pf.wait_for_log(rf"{queue_id[1]}: to=<alice@localhost>.*status=sent")
    good = "\n".join(pf.log_lines("good/smtpd"))
    assert "TLS connection established from" in good
    assert any(subject in p.read_text(errors="replace") for p in pf.maildir_messages("alice"))


def test_postfix_unknown_user_is_refused(postfix_lab) -> None:
    with smtplib.SMTP(postfix_lab.address, postfix_lab["good"], timeout=10) as smtp:
        smtp.starttls(context=permissive_context())
        smtp.ehlo()
        smtp.mail("bob@localhost")
        code, _ = smtp.rcpt("nobody-here@localhost")
    assert code == 550


def test_postfix_log_names_each_listener(postfix_lab) -> None:
    with smtplib.SMTP(postfix_lab.address, postfix_lab["expired"], timeout=10) as smtp:
        smtp.starttls(context=permissive_context())
        smtp.ehlo()
    postfix_lab.instance.wait_for_log(r"postfix/expired/smtpd\[\d+\]: .*TLS connection "
                                      r"established")


def test_postfix_lab_config_passes_postfix_check(postfix_lab) -> None:
    result = postfix_lab.instance.check()
    assert result.returncode == 0, result.stdout
    assert "warning" not in result.stdout.lower(), result.stdout


def test_missing_postfix_fails_clearly(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostfixError, match="make test"):
        PostfixInstance([("x", 1, None, None, {})], tmp_path).start()


# -- Dovecot -----------------------------------------------------------------------------

_STARTTLS = {"imap": "imap", "imaps": None, "pop3": "pop3", "pop3s": None, "sieve": "sieve"}


@pytest.mark.parametrize("scheme", list(_STARTTLS))
@pytest.mark.parametrize("situation", ["good", "expired"])
def test_dovecot_scheme_presents_its_chain(dovecot_lab, lab_pki, scheme, situation) -> None:
    address, ports = dovecot_lab[situation]
    chain = s_client_chain(address, ports[scheme], _STARTTLS[scheme])
    assert_presents(chain, lab_pki, situation)


@pytest.mark.parametrize("situation", SITUATIONS)
def test_dovecot_imap_presents_each_situation(dovecot_lab, lab_pki, situation) -> None:
    address, ports = dovecot_lab[situation]
    assert_presents(s_client_chain(address, ports["imap"], "imap"), lab_pki, situation)


def test_dovecot_addresses_are_distinct_loopback(dovecot_lab) -> None:
    addresses = [site.address for site in dovecot_lab.values()]
    assert len(set(addresses)) == len(addresses)
    assert all(a.startswith("127.") for a in addresses)


def test_dovecot_imap_login_over_verified_starttls(dovecot_lab) -> None:
    address, ports = dovecot_lab["good"]
    ctx = ssl.create_default_context(cafile=str(dovecot_lab.ca_file))
    imap = imaplib.IMAP4(address, ports["imap"], timeout=10)
    try:
        imap.starttls(ssl_context=ctx)
        assert imap.login(dovecot_lab.user, dovecot_lab.password)[0] == "OK"
        assert imap.select("INBOX")[0] == "OK"
    finally:
        imap.logout()


def test_dovecot_imaps_and_pop3_login(dovecot_lab) -> None:
    address, ports = dovecot_lab["good"]
    ctx = ssl.create_default_context(cafile=str(dovecot_lab.ca_file))
    with imaplib.IMAP4_SSL(address, ports["imaps"], ssl_context=ctx, timeout=10) as imap:
        assert imap.login(dovecot_lab.user, dovecot_lab.password)[0] == "OK"
    pop = poplib.POP3(address, ports["pop3"], timeout=10)
    try:
        pop.stls(context=ctx)
        pop.user(dovecot_lab.user)
        assert pop.pass_(dovecot_lab.password).startswith(b"+OK")
    finally:
        pop.quit()


def test_dovecot_expired_fails_verification(dovecot_lab) -> None:
    address, ports = dovecot_lab["expired"]
    ctx = ssl.create_default_context(cafile=str(dovecot_lab.ca_file))
    ctx.check_hostname = False  # 127.0.X.1 is not in the SAN; the date is what fails
    with socket.create_connection((address, ports["imaps"]), timeout=10) as raw,\
            pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        ctx.wrap_socket(raw)


def test_dovecot_counts_loopback_as_secured(dovecot_lab) -> None:
    """A fact for scanner tests: Dovecot treats a loopback client as secured, so the lab
    never says LOGINDISABLED before STARTTLS and plaintext login works there."""
    address, ports = dovecot_lab["good"]
    imap = imaplib.IMAP4(address, ports["imap"], timeout=10)
    try:
        assert "STARTTLS" in imap.capabilities
        assert "LOGINDISABLED" not in imap.capabilities
        assert imap.login(dovecot_lab.user, dovecot_lab.password)[0] == "OK"
    finally:
        imap.logout()


# -- Postfix submission with SASL through Dovecot's auth socket ----------------------------


def test_postfix_submission_sasl_through_dovecot(lab_files, tmp_path: Path) -> None:
    """A small pair of its own: Postfix asks Dovecot's auth socket for PLAIN logins."""
    cert, key = lab_files.certs["good"]
    smtp_port, imap_port = free_ports(2)
    postfix = PostfixInstance([Listener(
        "submission", smtp_port, cert, key,
        {"smtpd_tls_security_level": "encrypt", "smtpd_sasl_auth_enable": "yes",
         "smtpd_sasl_type": "dovecot", "smtpd_sasl_path": "private/auth",
         "smtpd_relay_restrictions": "permit_sasl_authenticated,reject",
         "smtpd_recipient_restrictions": "permit_sasl_authenticated,reject"})])
    dovecot = DovecotInstance([Site("127.0.0.1", cert, key)], {"imap": imap_port}, "pw",
                              auth_socket=AuthSocket(postfix.queue_dir / "private" / "auth"))
    try:
        postfix.start()
        dovecot.start()
        ctx = ssl.create_default_context(cafile=str(lab_files.ca_file))
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.starttls(context=ctx)
            smtp.login("alice", "pw")
            smtp.sendmail("alice@localhost", ["alice@localhost"], b"Subject: sasl\r\n\r\nhi\r\n")
        # the failure last, once: Dovecot's auth penalty delays the next attempt by seconds
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.starttls(context=ctx)
            smtp.ehlo()
            assert smtp.has_extn("auth")
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.auth("PLAIN", lambda challenge=None: "\0alice\0wrong")
        postfix.wait_for_log(r"sasl_method=PLAIN, sasl_username=alice")
        postfix.wait_for_log(r"to=<alice@localhost>.*status=sent")
    finally:
        dovecot.cleanup()
        postfix.cleanup()
