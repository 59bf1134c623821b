"""Offline certificate verification with one named primary cause per failure.

``diagnose(chain, host, store, now)`` never touches the network: the chain is what
the server sent, the store is the trust anchors, ``now`` is injected.
"""

from .certinfo import cert_info, spki_sha256
from .diagnose import Diagnosis, diagnose, diagnose_der
from .hostname import match_hostname, presented_names
from .store import TrustStore

__all__ = [
    "Diagnosis",
    "TrustStore",
    "cert_info",
    "diagnose",
    "diagnose_der",
    "match_hostname",
    "presented_names",
    "spki_sha256",
]
