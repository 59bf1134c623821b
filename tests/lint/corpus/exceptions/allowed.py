# ruff: noqa
"""Inline exceptions: valid, expired, malformed (the corpus pins today = 2026-06-01)."""

import ssl


def dev_only() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # mailtls: allow lint.python.check_hostname_false until 2026-12-31 -- lab CA has no SAN
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # mailtls: allow lint.python.cert_none until 2026-01-31 -- old lab  expect: lint.expired_exception
    return ctx


def undocumented() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # mailtls: allow lint.python.check_hostname_false  expect: lint.bad_exception
    ctx.check_hostname = False  # expect: lint.python.check_hostname_false
    return ctx
