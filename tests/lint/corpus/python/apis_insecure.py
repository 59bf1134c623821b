import imaplib
import ssl

from managesieve import MANAGESIEVE
from twisted.internet import ssl as tssl
from twisted.mail.smtp import ESMTPSenderFactory


def wrap(sock, cert_reqs=ssl.CERT_NONE):  # expect: lint.python.cert_none
    return ssl.wrap_socket(sock, cert_reqs=cert_reqs)


def context(check_hostname=False):  # expect: lint.python.check_hostname_false
    ctx = ssl.create_default_context()
    ctx.check_hostname = check_hostname
    return ctx


class Mailbox(imaplib.IMAP4):
    def secure(self):
        self.starttls()  # expect: lint.python.imaplib_no_context


sieve = MANAGESIEVE("sieve.example.org", use_tls=True, tls_verify=False)  # expect: lint.python.managesieve_no_verify
factory = ESMTPSenderFactory("user", "secret", "a@example.org", "b@example.org", None, None,
                             contextFactory=tssl.ClientContextFactory())  # expect: lint.python.twisted_no_verify
options = tssl.CertificateOptions()  # expect: lint.python.twisted_no_verify
