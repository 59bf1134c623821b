"""cryptography's RFC 5280 / Web PKI validator, run on one path, as the last word.

Our checks name the cause; this validator decides. It runs on every path we consider,
whatever our checks found. When our checks already explain a rejection (a date, the
name, the key usage), the validator runs once more with exactly those explained defects
set aside (a time inside every certificate's validity, a name the certificate holds,
serverAuth not required), so a second, unexplained defect behind the first (a name
constraint, a CA flag, a critical extension nobody knows) is still reported.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509 import verification

from .hostname import HostName, presented_names

Path = tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class Relax:
    """Defects already explained by our own findings, set aside in a second run."""

    dates: bool = False
    name: bool = False
    purpose: bool = False


def subject_for(host: HostName) -> verification.Subject | None:
    """The validator's name for ``host``; None when it refuses the name (underscore, ...)."""
    try:
        if host.ip is not None:
            return x509.IPAddress(host.ip)
        if host.problem:
            return None
        return x509.DNSName(host.alabel)
    except ValueError:
        return None


def _names_held(leaf: x509.Certificate) -> list[verification.Subject]:
    """Names the leaf's SAN holds (wildcards made concrete), for a run that sets the name aside."""
    out: list[verification.Subject] = []
    for name in presented_names(leaf)[:8]:
        candidate = "mailtls-check" + name[1:] if name.startswith("*.") else name
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(candidate)))
        except ValueError:
            out.append(x509.DNSName(candidate))
    return out


def _inside_validity(path: Sequence[x509.Certificate]) -> dt.datetime | None:
    start = max(c.not_valid_before_utc for c in path)
    end = min(c.not_valid_after_utc for c in path)
    return start if start <= end else None


def validate(
    path: Path,
    host: HostName,
    now: dt.datetime,
    relax: Relax = Relax(),
) -> str | None:
    """None when the validator accepts ``path`` (leaf .. anchor), else its reason.

    Returns None as well when a relaxed run cannot be set up (no time inside every
    validity period, no name the certificate holds): nothing more can be learnt then.
    """
    leaf, anchor = path[0], path[-1]
    when = _inside_validity(path) if relax.dates else now
    if when is None:
        return None
    builder = (
        verification.PolicyBuilder()
        .store(verification.Store([anchor]))
        .time(when)
        .max_chain_depth(max(len(path), 8))
    )
    ee = verification.ExtensionPolicy.webpki_defaults_ee()
    if relax.purpose:
        ee = ee.may_be_present(x509.ExtendedKeyUsage, verification.Criticality.AGNOSTIC, None)
    if len(path) == 1:  # the leaf is its own anchor (pinned): no issuer key to identify
        ee = ee.may_be_present(x509.AuthorityKeyIdentifier, verification.Criticality.AGNOSTIC, None)
    if relax.purpose or len(path) == 1:
        builder = builder.extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee
        )
    verifier = _verifier(builder, host, leaf, relax.name)
    if verifier is None:
        return None
    try:
        verifier.verify(leaf, list(path[1:-1]))
    except verification.VerificationError as exc:
        return _reason(exc)
    except ValueError as exc:  # a certificate the validator cannot even parse
        return _reason(exc)
    return None


def _verifier(
    builder: verification.PolicyBuilder, host: HostName, leaf: x509.Certificate, relax_name: bool
) -> verification.ServerVerifier | None:
    """A verifier for the host; for a name it refuses (an underscore) or one set aside,
    for a name the leaf holds: the name check is then ours alone."""
    wanted = None if relax_name else subject_for(host)
    for subject in ([wanted] if wanted is not None else []) + _names_held(leaf):
        try:
            return builder.build_server_verifier(subject)
        except ValueError:
            continue
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).removeprefix("validation failed: ")
    text = text.split(" (encountered processing")[0]
    return text if len(text) <= 200 else text[:197] + "..."
