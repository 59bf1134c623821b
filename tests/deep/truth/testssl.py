"""Read testssl.sh 3.0.8 flat JSON (``--jsonfile``) into protocol and cipher-suite sets.

The ids this reads, as testssl.sh 3.0.8 writes them:

* ``SSLv2``, ``SSLv3``, ``TLS1``, ``TLS1_1``, ``TLS1_2``, ``TLS1_3`` (``-p``): the finding
  starts with ``offered`` ("offered", "offered (deprecated)", "offered with final") or
  ``not offered``;
* ``cipher-<proto>_x<hex>`` (``-E``), one per accepted suite, e.g. ``cipher-tls1_2_xc030``;
  the finding's columns are protocol, hex code, OpenSSL name, key exchange, cipher, bits
  and the IANA name;
* ``cipherorder_<PROTO>`` (``-P``, when the server has an order), the OpenSSL names in the
  server's order;
* ``PFS_ECDHE_curves`` and ``DH_groups`` (``-f``): the curves by OpenSSL name, and the
  finite-field group by its RFC name (``RFC2409/Oakley Group 2``);
* ``cert_keySize`` or ``cert_keySize <cert#N>`` (``-S``): ``RSA 2048 bits``, ``EC 256 bits``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROTOCOL_IDS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1", "TLS1_1": "TLSv1.1",
                "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
CIPHER_PROTOCOLS = {"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLSv1", "tls1_1": "TLSv1.1",
                    "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}
_CIPHER_ID = re.compile(r"^cipher-(ssl2|ssl3|tls1(?:_[123])?)_x([0-9a-f]+)$")


@dataclass(frozen=True)
class Answer:
    """What testssl.sh said about one listener."""

    protocols: dict[str, bool]  # every protocol -> offered
    suites: dict[str, frozenset[int]]  # protocol -> accepted code points
    iana: dict[int, str]  # code -> IANA name as testssl.sh prints it
    order: dict[str, tuple[str, ...]]  # protocol -> OpenSSL names in server order
    curves: tuple[str, ...] = ()  # OpenSSL curve names (prime256v1, X25519, ...)
    dh_group: str | None = None
    keys: tuple[str, ...] = ()  # "RSA 2048 bits", one per certificate

    @property
    def offered(self) -> set[str]:
        return {p for p, yes in self.protocols.items() if yes}


def parse(doc: list[dict[str, str]]) -> Answer:
    protocols: dict[str, bool] = {}
    suites: dict[str, set[int]] = {}
    iana: dict[int, str] = {}
    order: dict[str, tuple[str, ...]] = {}
    extra: dict[str, Any] = {"keys": []}
    for item in doc:
        ident, finding = item["id"], item.get("finding", "")
        if ident in PROTOCOL_IDS:
            protocols[PROTOCOL_IDS[ident]] = finding.startswith("offered")
        elif m := _CIPHER_ID.match(ident):
            protocol, code = CIPHER_PROTOCOLS[m.group(1)], int(m.group(2), 16)
            suites.setdefault(protocol, set()).add(code)
            words = finding.split()
            if words and words[-1].startswith(("TLS_", "SSL_")):
                iana[code] = words[-1]
        elif ident.startswith("cipherorder_"):
            protocol = ident.removeprefix("cipherorder_").replace("TLSv1_", "TLSv1.")
            order[protocol] = tuple(finding.split())
        elif ident == "PFS_ECDHE_curves":
            extra["curves"] = tuple(finding.split())
        elif ident == "DH_groups":
            extra["dh_group"] = finding
        elif ident.startswith("cert_keySize"):
            extra["keys"].append(finding)
    extra["keys"] = tuple(extra["keys"])
    return Answer(protocols, {p: frozenset(c) for p, c in suites.items()}, iana, order,
                  **extra)


def load(path: Path) -> Answer:
    return parse(json.loads(path.read_text()))
