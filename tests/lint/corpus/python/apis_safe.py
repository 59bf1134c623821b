import imaplib
import smtplib
import ssl

from managesieve import MANAGESIEVE
from twisted.internet import ssl as tssl


def wrap(sock, cert_reqs=ssl.CERT_REQUIRED):
    """Never call with cert_reqs=ssl.CERT_NONE."""
    return ssl.create_default_context().wrap_socket(sock)


def check(ctx, check_hostname=True):
    assert ctx.verify_mode != ssl.CERT_NONE
    return ctx.check_hostname == check_hostname


class Mailbox(imaplib.IMAP4):
    def secure(self):
        self.starttls(ssl_context=ssl.create_default_context())


sieve = MANAGESIEVE("sieve.example.org", use_tls=True, tls_verify=True)
options = tssl.CertificateOptions(trustRoot=tssl.platformTrust())
client_options = tssl.optionsForClientTLS("smtp.example.org")
positional = smtplib.SMTP_SSL("smtp.example.org", 465, None, None, None, 30, None,
                              ssl.create_default_context())
