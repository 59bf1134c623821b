# A class that picks its smtplib class in a property (yagmail's Client): the call
# through self.connection is SMTP_SSL(...) without a context; **self.kwargs only holds
# what the caller passed to __init__, empty by default.
import smtplib

from twisted.internet import ssl as tssl


class Client:
    def __init__(self, host, port, ssl=True, **kwargs):
        self.host = host
        self.port = port
        self.ssl = ssl
        self.kwargs = kwargs

    @property
    def connection(self):
        return smtplib.SMTP_SSL if self.ssl else smtplib.SMTP

    def login(self):
        self.smtp = self.connection(self.host, self.port, **self.kwargs)  # expect: lint.python.smtplib_no_context


class Held:
    def __init__(self, host):
        self.factory = smtplib.SMTP_SSL
        self.host = host

    def open(self):
        return self.factory(self.host, 465)  # expect: lint.python.smtplib_no_context


# Twisted options without a certificate and key can only serve a client.
client_options = tssl.CertificateOptions(requireCertificate=False)  # expect: lint.python.twisted_no_verify
