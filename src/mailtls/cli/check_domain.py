"""``mailtls check --domain DOMAIN``: the verdict of ``mailtls domain`` as a plugin state.

The facts and the verdict come from mailtls.domain (``check_domain``, the same function as
``mailtls domain``); the state mapping is mailtls.export.domain_nagios.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

import click

from ..domain.run import DomainOptions, check_domain
from ..errors import TargetError
from ..export.domain_nagios import domain_state, render_domain
from ..net.dns import parse_server, system_server
from ..scan import ScanOptions
from ..verify import TrustStore
from .domain import _anchors


def run_domain_check(domain: str, *, resolver: str | None, trust_anchor: Path | None,
                     store: TrustStore, mx_port: int, timeout: float, ehlo: str,
                     require: str, lang: str) -> None:  # fmt: skip
    """Print the status line and long output, exit with the plugin state."""
    if not domain.strip():
        raise click.UsageError("--domain: empty domain name")
    try:
        server = parse_server(resolver) if resolver else system_server()
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    now = dt.datetime.now(dt.UTC)
    options = DomainOptions(
        server=server,
        anchors=_anchors(trust_anchor),
        scan=ScanOptions(store=store, timeout=timeout, ehlo=ehlo, now=now),
        mx_port=mx_port,
        now=now,
        timeout=min(timeout, 10.0),
    )
    started = time.monotonic()
    report = asyncio.run(check_domain(domain, options))
    state = domain_state(report, require)
    click.echo(render_domain(report, state, time.monotonic() - started, lang))
    sys.exit(int(state))
