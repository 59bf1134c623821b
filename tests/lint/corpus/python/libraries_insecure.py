# ruff: noqa
"""Insecure third-party mail and HTTP clients."""

import aiosmtplib
import requests
import yagmail
from django.core.mail.backends.smtp import EmailBackend
from flask_mail import Mail


async def send(message: object) -> None:
    await aiosmtplib.send(message, hostname="mx", validate_certs=False)  # expect: lint.python.aiosmtplib_no_verify
    check = False
    smtp = aiosmtplib.SMTP(hostname="mx", validate_certs=check)  # expect: lint.python.aiosmtplib_no_verify
    await smtp.connect(start_tls=None)  # expect: lint.python.aiosmtplib_opportunistic


def token(url: str) -> object:
    session = requests.Session()
    session.verify = False  # expect: lint.python.http_verify_false
    return requests.post(url, data={}, verify=False)  # expect: lint.python.http_verify_false


class LaxBackend(EmailBackend):
    @property
    def ssl_context(self) -> object:  # expect: lint.python.django_ssl_context
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False  # expect: lint.python.check_hostname_false
        return ctx


def create_app(app: object) -> object:
    mail = Mail(app)  # expect: lint.python.flask_mail_no_context
    return mail


def notify(user: str) -> None:
    yag = yagmail.SMTP(user)  # expect: lint.python.yagmail_no_context
    yag.send("to@example.org", "subject", "body")
