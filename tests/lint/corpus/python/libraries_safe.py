# ruff: noqa
"""Third-party clients used safely; notes that mention validate_certs=False are fine."""

import ssl

import aiosmtplib
import requests
import yagmail
from django.core.mail.backends.smtp import EmailBackend

NOTE = "never pass validate_certs=False or verify=False; Flask-Mail's Mail(app) does not verify"


async def send(message: object) -> None:
    await aiosmtplib.send(message, hostname="mx", port=587, start_tls=True)
    smtp = aiosmtplib.SMTP(hostname="mx", validate_certs=True, use_tls=True)
    await smtp.connect()


def token(url: str, ca: str) -> object:
    session = requests.Session()
    session.verify = ca
    return requests.post(url, data={}, verify=ca)


class PinnedBackend(EmailBackend):
    @property
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile="/etc/ssl/corp-ca.pem")


def notify(user: str) -> None:
    yag = yagmail.SMTP(user, context=ssl.create_default_context())
    yag.send("to@example.org", "subject", "body")


def mail(app: object) -> object:
    from myapp.mail import Mail  # our own verifying wrapper, not flask_mail

    return Mail(app)
