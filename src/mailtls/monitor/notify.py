"""Notifications of alert state changes (raised, resolved), never of every pass.

    events = events_of(report)                      # [] when nothing changed
    problems = send_all(events, inventory.notify, lang, echo=click.echo)

Channels: stdout (one line per event), webhook (one JSON POST per pass with every event,
retried with backoff on a connection error or a 5xx), e-mail through ``mailtls.client``
(TLS and the certificate verified, STARTTLS required: the monitor never sends its alerts the
way it warns against). A channel that fails is reported in ``problems``; it never stops
the others, and never loses the pass's observations (they were committed before).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from .. import __version__
from ..catalog import describe, tr
from ..model import Finding
from .inventory import Email, Notify, Webhook
from .passes import PassReport

SCHEMA = 1


@dataclass(frozen=True)
class Event:
    state: str  # "raised" or "resolved"
    endpoint: str
    key: str
    finding: Finding
    at: dt.datetime


def events_of(report: PassReport) -> list[Event]:
    at = report.started
    out = [Event("raised", a.endpoint, a.key, a.finding, at) for a in report.raised]
    out += [Event("resolved", a.endpoint, a.key,
                  Finding(a.finding_id, a.severity, a.params), at) for a in report.resolved]
    return out


def line(event: Event, lang: str = "en") -> str:
    state = tr("alert raised" if event.state == "raised" else "alert resolved", lang)
    title = describe(event.finding, lang).title
    text = tr("{state}: {target}: {title}", lang).format(
        state=state, target=event.endpoint, title=title)
    return f"{text} [{event.finding.id} {event.finding.severity.label}]"


def document(events: Sequence[Event], lang: str = "en") -> dict[str, object]:
    """The webhook's JSON body (schema 1)."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "events": [{
            "state": e.state, "endpoint": e.endpoint, "key": e.key, "id": e.finding.id,
            "severity": e.finding.severity.label, "title": describe(e.finding, lang).title,
            "detail": describe(e.finding, lang).detail, "params": dict(e.finding.params),
            "at": e.at.isoformat(timespec="seconds")} for e in events],
    }


def post_webhook(hook: Webhook, body: bytes, sleep: Callable[[float], None] = time.sleep
                 ) -> str | None:
    """POST with retries; None on a 2xx, else what went wrong the last time."""
    problem = "not sent"
    for attempt in range(hook.retries + 1):
        if attempt:
            sleep(min(30.0, 0.5 * 2 ** (attempt - 1)))
        request = urllib.request.Request(hook.url, body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"mailtls/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=hook.timeout) as answer:
                if 200 <= answer.status < 300:
                    return None
                problem = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                break  # the receiver refuses this body: retrying will not help
        except (urllib.error.URLError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc))
    return f"webhook {hook.url}: {problem} after {attempt + 1} attempt(s)"


def send_email(mail: Email, events: Sequence[Event], lang: str = "en") -> str | None:
    from ..client import MailTLSClientError, send

    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    worst = max(e.finding.severity for e in events)
    message["Subject"] = f"mailtls monitor: {len(events)} alert change(s), {worst.label}"
    message.set_content("\n".join(line(e, lang) for e in events) + "\n")
    options: dict[str, object] = {}
    if mail.username:
        options["username"] = mail.username
    if mail.password_file:
        try:
            options["password"] = mail.password_file.read_text().strip()
        except OSError as exc:
            return f"e-mail via {mail.server}: password_file {mail.password_file}: {exc.strerror}"
    if mail.ca_files:
        options["ca_file"] = [str(p) for p in mail.ca_files]
    try:
        send(mail.server, message, sender=mail.sender, recipients=mail.to, **options)
    except MailTLSClientError as exc:
        return f"e-mail via {mail.server}: {exc.finding.id}: {exc}"
    except (OSError, ValueError) as exc:
        return f"e-mail via {mail.server}: {exc}"
    return None


def send_all(events: Sequence[Event], notify: Notify, lang: str = "en",
             echo: Callable[[str], None] = print) -> list[str]:
    """Every channel of ``notify``; the problems, one message per failed channel."""
    if not events:
        return []
    problems: list[str] = []
    if notify.stdout:
        for e in events:
            echo(line(e, lang))
    body = json.dumps(document(events, lang), ensure_ascii=False).encode()
    for hook in notify.webhooks:
        problem = post_webhook(hook, body)
        if problem:
            problems.append(problem)
    for mail in notify.emails:
        problem = send_email(mail, events, lang)
        if problem:
            problems.append(problem)
    return problems
