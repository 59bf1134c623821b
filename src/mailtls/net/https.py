"""The MTA-STS policy fetch (RFC 8461 section 3.3): one HTTPS GET, strictly.

The host name is resolved by the caller (through the same resolver as everything else in
mailtls domain) and each address is tried in turn; the certificate must be valid for the
host name under the given CA bundle (the Mozilla roots, plus ``--ca-file``). No redirect
is followed, the body is read up to 64 KiB + 1 byte and no more. The outcome is data: the
status, the media type and the body, or the kind of failure and its text.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

LIMIT = 65536

#: failure kinds (catalogue ids are chosen from them by mailtls.domain.evaluate)
CONNECT, TLS, HTTP, REDIRECT, STATUS, TOO_LARGE = (
    "connect", "tls", "http", "redirect", "status", "too_large")  # fmt: skip


@dataclass(frozen=True)
class Fetched:
    url: str
    address: str | None = None
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    failure: str | None = None  # one of the kinds above; None: a 200 with a body in limits
    error: str = ""


def context_for(cadata: str) -> ssl.SSLContext:
    """Strict verification (names, dates, chain) against exactly the given PEM bundle."""
    context = ssl.create_default_context(cadata=cadata)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _Connection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, context: ssl.SSLContext,
                 timeout: float) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ctx = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._ctx.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _one(host: str, address: str, port: int, context: ssl.SSLContext, timeout: float,
         url: str) -> Fetched:  # fmt: skip
    conn = _Connection(host, address, port, context, timeout)
    try:
        conn.request("GET", "/.well-known/mta-sts.txt",
                     headers={"User-Agent": "mailtls", "Accept": "text/plain"})  # fmt: skip
        resp = conn.getresponse()
        kind = resp.getheader("Content-Type", "") or ""
        if 300 <= resp.status < 400:
            where = resp.getheader("Location", "") or ""
            return Fetched(url, address, resp.status, kind, b"", REDIRECT, where)
        if resp.status != 200:
            return Fetched(url, address, resp.status, kind, b"", STATUS, resp.reason)
        body = resp.read(LIMIT + 1)
        if len(body) > LIMIT:
            return Fetched(url, address, resp.status, kind, b"", TOO_LARGE, str(LIMIT))
        return Fetched(url, address, resp.status, kind, body)
    except ssl.SSLCertVerificationError as exc:
        return Fetched(url, address, failure=TLS, error=exc.verify_message or str(exc))
    except ssl.SSLError as exc:
        return Fetched(url, address, failure=TLS, error=exc.reason or str(exc))
    except (http.client.HTTPException, ValueError) as exc:
        return Fetched(url, address, failure=HTTP, error=str(exc) or type(exc).__name__)
    except OSError as exc:
        return Fetched(url, address, failure=CONNECT, error=exc.strerror or str(exc))
    finally:
        conn.close()


def fetch_policy(host: str, addresses: Sequence[str], cadata: str, *, port: int = 443,
                 timeout: float = 10.0) -> Fetched:  # fmt: skip
    """GET https://HOST/.well-known/mta-sts.txt from the first address that answers."""
    url = f"https://{host}/.well-known/mta-sts.txt"
    if not addresses:
        return Fetched(url, failure=CONNECT, error="no address")
    context = context_for(cadata)
    result = Fetched(url, failure=CONNECT, error="no address")
    for address in addresses:
        result = _one(host, address, port, context, timeout, url)
        if result.failure != CONNECT:
            return result
    return result
