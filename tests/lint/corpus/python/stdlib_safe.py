# ruff: noqa
"""Safe mail clients: verifying contexts, and text that only *mentions* the bad knobs.

Never write ctx.verify_mode = ssl.CERT_NONE or check_hostname = False; smtplib's
starttls() without context= does not verify. ssl._create_unverified_context is banned.
"""

import imaplib
import poplib
import smtplib
import ssl

WARNING = "do not call server.starttls() without context; avoid ssl.CERT_NONE"
# ctx.check_hostname = False   <- a comment, not code
# s = smtplib.SMTP_SSL(host)   <- also a comment


def starttls_verified(host: str) -> None:
    ctx = ssl.create_default_context()
    with smtplib.SMTP(host, 587) as s:
        s.starttls(context=ctx)


def implicit_verified(host: str, cafile: str) -> None:
    ctx = ssl.create_default_context(cafile=cafile)
    with smtplib.SMTP_SSL(host, 465, context=ctx) as s:
        s.noop()


def client_protocol_verifies(host: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    s = smtplib.SMTP(host, 587)
    s.starttls(context=ctx)


def plain_context_made_verifying(host: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    smtplib.SMTP(host).starttls(context=ctx)


def comparisons_are_not_settings(ctx: ssl.SSLContext) -> bool:
    if ctx.verify_mode == ssl.CERT_NONE:
        raise ValueError("refusing a context with CERT_NONE")
    return ctx.check_hostname is False


def imap_pop_verified(host: str) -> None:
    ctx = ssl.create_default_context()
    imap = imaplib.IMAP4(host)
    imap.starttls(ssl_context=ctx)
    imaplib.IMAP4_SSL(host, ssl_context=ctx).logout()
    pop = poplib.POP3(host)
    pop.stls(context=ctx)
    poplib.POP3_SSL(host, context=ctx).quit()


def context_from_a_parameter(host: str, ctx: ssl.SSLContext) -> None:
    smtplib.SMTP(host).starttls(context=ctx)


def forwarded_kwargs(host: str, **kw: object) -> None:
    smtplib.SMTP_SSL(host, **kw).quit()
