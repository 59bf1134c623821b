"""Webhook notifications against a local HTTP server: JSON body, retries, no event no POST."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mailtls.catalog import new_finding
from mailtls.monitor.inventory import Notify, Webhook
from mailtls.monitor.notify import Event, send_all

AT = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class Hook:
    def __init__(self, failures: int) -> None:
        self.failures, self.bodies = failures, []  # type: list[dict[str, object]]


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    state = Hook(failures=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.bodies.append(json.loads(body))
            code = 503 if len(state.bodies) <= state.failures else 204
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def event() -> Event:
    finding = new_finding("cert.changed", endpoint="smtp://mx.test:25", kind="new issuer",
                          since="2026-06-01", new_sha256="b" * 64, new_issuer="CN=Other",
                          old_sha256="a" * 64, old_issuer="CN=CA")
    return Event("raised", "smtp://mx.test:25", "cert.changed:" + "b" * 64, finding, AT)


def test_webhook_retries_then_delivers(hook: tuple[Hook, str]) -> None:
    state, url = hook
    lines: list[str] = []
    problems = send_all([event()], Notify(True, (Webhook(url, retries=3, timeout=5),)),
                        echo=lines.append)
    assert problems == []
    assert len(state.bodies) == 3  # two 503s, then 204
    body = state.bodies[-1]
    assert body["schema"] == 1
    [e] = body["events"]  # type: ignore[misc]
    assert (e["state"], e["id"], e["severity"]) == ("raised", "cert.changed", "high")
    assert e["params"]["kind"] == "new issuer"
    assert lines and "cert.changed" in lines[0]


def test_webhook_gives_up_and_says_so(hook: tuple[Hook, str]) -> None:
    state, url = hook
    state.failures = 99
    [problem] = send_all([event()], Notify(False, (Webhook(url, retries=1, timeout=5),)))
    assert "HTTP 503 after 2 attempt(s)" in problem and len(state.bodies) == 2


def test_no_event_no_post(hook: tuple[Hook, str]) -> None:
    state, url = hook
    assert send_all([], Notify(True, (Webhook(url),))) == []
    assert state.bodies == []
