"""``mailtls exporter --inventory``: the verdicts of ``[[domain]] authenticated = true``.

Each scheduled pass judges those domains with mailtls.monitor.domains (that is,
mailtls.domain's ``check_domain``, as ``mailtls domain`` and the monitor do) alongside the
endpoint scans, and appends mailtls.export.domain_metrics to the pass's metrics. Domains
without ``authenticated = true`` cost nothing more than their MX expansion.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..export.domain_metrics import render_domain_metrics
from ..monitor.domains import judge_domains
from ..monitor.inventory import Inventory


def domain_source(inventory: Inventory, log: Callable[[str], None]
                  ) -> Callable[[], Awaitable[bytes]] | None:  # fmt: skip
    """The per-pass renderer, or None when no domain asks for a verdict."""
    if not any(d.authenticated for d in inventory.domains):
        return None

    async def render() -> bytes:
        verdicts = await judge_domains(inventory)
        for v in verdicts:
            if v.error:
                log(f"{inventory.path}:{v.domain.line}: {v.domain.name}: {v.error}")
        return render_domain_metrics([(v.domain.name, v.report if v.verdict else None)
                                      for v in verdicts])

    return render
