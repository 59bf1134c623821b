# Look-alikes of the insecure wrappers that verify, or are not smtplib at all.
import smtplib
import ssl
from smtplib import SMTPException

from twisted.internet import ssl as tssl


class Client:
    def __init__(self, host, context=None, **kwargs):
        self.host = host
        self.context = context or ssl.create_default_context()
        self.kwargs = kwargs

    @property
    def connection(self):
        return smtplib.SMTP_SSL

    def login(self):
        self.smtp = self.connection(self.host, 465, context=self.context, **self.kwargs)

    def passthrough(self, options):
        return self.connection(self.host, 465, **options)  # the caller's dict: may hold a context


class AsyncSMTP:
    """Its own starttls(): builds a verifying default context when given none."""

    async def starttls(self, context=None):
        context = context or ssl.create_default_context()
        raise SMTPException("not implemented here")

    async def connect(self):
        await self.starttls()


# Server options: a server presents its certificate; verifying clients is another matter.
server_options = tssl.CertificateOptions(privateKey=object(), certificate=object())
sni_options = tssl.CertificateOptions(contextForServerName=lambda name: None)
