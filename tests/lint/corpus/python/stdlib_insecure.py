# ruff: noqa
"""Insecure mail clients with the standard library (labelled corpus: `expect:` marks)."""

import imaplib
import poplib
import smtplib
import ssl
from smtplib import SMTP_SSL as Secure


def starttls_without_context(host: str) -> None:
    server = smtplib.SMTP(host, 587)
    server.starttls()  # expect: lint.python.smtplib_no_context
    server.quit()


def implicit_tls_without_context(host: str) -> None:
    with smtplib.SMTP_SSL(host, 465) as s:  # expect: lint.python.smtplib_no_context
        s.noop()
    Secure(host).quit()  # expect: lint.python.smtplib_no_context


def context_none_through_a_variable(host: str) -> None:
    ctx = None
    with smtplib.SMTP(host, 587) as s:
        s.starttls(context=ctx)  # expect: lint.python.smtplib_no_context


def plain_sslcontext_does_not_verify(host: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS)
    s = smtplib.SMTP(host, 587)
    s.starttls(context=ctx)  # expect: lint.python.smtplib_no_context


def knobs_turned_off(host: str) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False  # expect: lint.python.check_hostname_false
    ctx.verify_mode = ssl.CERT_NONE  # expect: lint.python.cert_none
    with smtplib.SMTP(host, 587) as s:
        s.starttls(context=ctx)


def unverified_helpers(host: str) -> None:
    a = ssl._create_unverified_context()  # expect: lint.python.unverified_context
    b = ssl._create_stdlib_context()  # expect: lint.python.unverified_context
    smtplib.SMTP_SSL(host, context=a).quit()
    smtplib.SMTP_SSL(host, context=b).quit()


ssl._create_default_https_context = ssl._create_unverified_context  # expect: lint.python.unverified_context


def wrap(sock: object) -> object:
    return ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)  # expect: lint.python.cert_none


def imap_and_pop(host: str) -> None:
    imap = imaplib.IMAP4(host)
    imap.starttls()  # expect: lint.python.imaplib_no_context
    imaplib.IMAP4_SSL(host).logout()  # expect: lint.python.imaplib_no_context
    pop = poplib.POP3(host)
    pop.stls()  # expect: lint.python.poplib_no_context
    poplib.POP3_SSL(host).quit()  # expect: lint.python.poplib_no_context


class Mailer:
    def __init__(self, host: str) -> None:
        self.conn = smtplib.SMTP(host, 587)

    def secure(self) -> None:
        self.conn.starttls()  # expect: lint.python.smtplib_no_context


OPTIONS = {"cert_reqs": ssl.CERT_NONE}  # expect: lint.python.cert_none
