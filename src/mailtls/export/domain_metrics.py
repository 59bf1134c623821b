"""Prometheus metrics of domain verdicts (``mailtls exporter --inventory``, ``[[domain]]
authenticated = true``); the verdicts come from mailtls.domain, unchanged.

    mailtls_domain_verdict{domain, verdict}      1 for the current verdict, 0 for the other
                                                 three (all four present once judged)
    mailtls_domain_mx_authenticated{domain, mx}  1 the MX host passes its mechanism (DANE or
                                                 the MTA-STS policy), 0 not
    mailtls_domain_check_success{domain}         1 judged, 0 the MX look-up failed (the
                                                 series above are then left out)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..domain.evaluate import AUTHENTICATED, BROKEN, OPPORTUNISTIC, PARTLY, DomainReport

VERDICTS = (AUTHENTICATED, PARTLY, OPPORTUNISTIC, BROKEN)
#: (domain name, its report; None when it could not be judged)
Judged = tuple[str, DomainReport | None]


class DomainCollector(Collector):
    def __init__(self, judged: Iterable[Judged]) -> None:
        self.judged = list(judged)

    def collect(self) -> Iterator[Metric]:
        verdict = GaugeMetricFamily("mailtls_domain_verdict", "Verdict of mailtls domain "
                                    "(1 the current one)", labels=["domain", "verdict"])
        mx = GaugeMetricFamily("mailtls_domain_mx_authenticated", "MX host passes DANE or "
                               "the MTA-STS policy (1) or not (0)", labels=["domain", "mx"])
        success = GaugeMetricFamily("mailtls_domain_check_success", "Domain judged (1) or "
                                    "its MX look-up failed (0)", labels=["domain"])
        for name, report in self.judged:
            success.add_metric([name], 0 if report is None else 1)
            if report is None:
                continue
            for word in VERDICTS:
                verdict.add_metric([name, word], 1 if report.verdict == word else 0)
            for h in report.hosts:
                mx.add_metric([name, h.host], 1 if h.ok else 0)
        yield from (verdict, mx, success)


def render_domain_metrics(judged: Sequence[Judged]) -> bytes:
    """The exposition text (Prometheus text format 0.0.4); empty without domains."""
    if not judged:
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DomainCollector(judged))
    return generate_latest(registry)
