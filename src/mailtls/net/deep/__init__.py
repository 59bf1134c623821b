"""``scan --deep``: protocols, cipher suites, groups, key exchange, certificates, resumption,
renegotiation and the known vulnerabilities of one endpoint, in few connections.

    obs = await deep_probe(target, budget=Budget(gentle=False), limiter=limiter)

Modules: runner.py (connections: counting, budget, limits, gentle mode, retries),
flight.py (one raw ClientHello and the server's first flight), context.py (hello builders
and what every flight teaches), suites.py (per-version enumeration and preference order),
groups.py (named groups from the picks), tls13.py (TLS 1.3 suites, order and groups
in the same connections), full.py (complete handshakes with pyOpenSSL:
resumption, renegotiation, stapling), mail.py (mail before TLS, STARTTLS injection),
engine.py (which probe runs when).
"""

from .engine import deep_probe
from .runner import Budget, Runner

__all__ = ["Budget", "Runner", "deep_probe"]
