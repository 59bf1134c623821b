"""The shape of a policy: levels for protocol versions, cipher suites, groups, keys, signatures.

Every policy speaks the four levels of the NCSC-NL guidelines, so that one grading function
serves them all: ``good``, ``sufficient``, ``phase-out`` and ``insufficient``. A policy that
only lists what it recommends (Mozilla, BSI, NIST) maps "listed" to good and says, in its
own module, what becomes of the rest. Cipher suites and groups are looked up by IANA name
(suites) or registry label (groups) first, then by the policy's fallback rule over the
properties from :mod:`mailtls.proto.tls.registry`, so the data stay short and never
disagree with the registry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..proto.tls.registry import GROUP_INFO, CipherSuite, cipher_suite, sslv2_cipher


def suite_for(protocol: str, code: int) -> CipherSuite:
    """The registry entry of a code point as a protocol uses it (SSL 2.0 codes are 24 bits)."""
    if protocol == "SSLv2" or code > 0xFFFF:
        return sslv2_cipher(code)
    return cipher_suite(code)


class Level(enum.IntEnum):
    """How a policy rates one setting; the integer order is the order of gravity."""

    GOOD = 0
    SUFFICIENT = 1
    PHASE_OUT = 2
    INSUFFICIENT = 3

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


G, S, P, X = Level.GOOD, Level.SUFFICIENT, Level.PHASE_OUT, Level.INSUFFICIENT


def broken(suite: CipherSuite) -> bool:
    """Suites no policy accepts at all: NULL, export, RC4, single DES, anonymous, MD5 MACs."""
    return (suite.null or suite.export or suite.rc4 or suite.cipher == "DES"
            or suite.anonymous or suite.mac == "MD5" or suite.cipher in ("RC2", "IDEA"))


@dataclass(frozen=True)
class SuiteRule:
    """The level of a suite that the policy does not list: ``broken`` suites (see
    :func:`broken`) get ``broken``; the others ``other``, or ``strong`` when they have
    forward secrecy and an AEAD mode."""

    strong: Level = X
    other: Level = X
    broken: Level = X

    def level(self, suite: CipherSuite) -> Level:
        if broken(suite):
            return self.broken
        if suite.forward_secrecy and suite.aead:
            return self.strong
        return self.other


@dataclass(frozen=True)
class GroupRule:
    """The level of a group that the policy does not list: elliptic (ec, ecx) groups of at
    least ``min_ec_bits`` and finite-field groups of at least ``min_ff_bits`` get ``strong``,
    post-quantum hybrids ``hybrid``, everything else ``weak``."""

    strong: Level = X
    weak: Level = X
    hybrid: Level = G
    min_ec_bits: int = 256
    min_ff_bits: int = 2048

    def level(self, code: int) -> Level:
        info = GROUP_INFO.get(code)
        if info is None:
            return self.weak
        if info.family in ("hybrid", "kem"):
            return self.hybrid
        if info.family in ("ec", "ecx") and info.bits >= self.min_ec_bits:
            return self.strong
        if info.family == "ff" and info.bits >= self.min_ff_bits:
            return self.strong
        return self.weak


@dataclass(frozen=True)
class KeyRule:
    """Certificate and key-exchange sizes: ``(bits, level)`` steps, the first that the size
    reaches wins; below all steps the level is insufficient."""

    rsa: tuple[tuple[int, Level], ...] = ((2048, G),)
    dh: tuple[tuple[int, Level], ...] = ((2048, G),)
    ec: tuple[tuple[int, Level], ...] = ((256, G), (224, S))

    @staticmethod
    def rate(bits: int, steps: tuple[tuple[int, Level], ...]) -> Level:
        for minimum, level in steps:
            if bits >= minimum:
                return level
        return X

    def minimum(self, kind: str) -> int:
        """The smallest size that is not insufficient (for the reports)."""
        steps = {"rsa": self.rsa, "dh": self.dh, "ec": self.ec}[kind]
        return min(m for m, _ in steps)


def _frozen(mapping: Mapping[str, Level]) -> Mapping[str, Level]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Policy:
    """One policy as data. ``protocols`` rates each of model.PROTOCOLS; ``suites`` IANA suite
    names; ``groups`` registry group labels (lower case); ``signatures`` certificate
    signature algorithm names as cryptography spells them (``sha256WithRSAEncryption``),
    anything else being ``other_signature``; ``cert_key_types`` the key kinds (rsa, ec,
    ed25519, ed448) a certificate may have, others rated ``other_key_type``."""

    name: str
    title: str
    source: str
    protocols: Mapping[str, Level]
    suites: Mapping[str, Level]
    suite_rule: SuiteRule
    groups: Mapping[str, Level]
    group_rule: GroupRule
    keys: KeyRule
    signatures: Mapping[str, Level]
    other_signature: Level = X
    cert_key_types: frozenset[str] = frozenset({"rsa", "ec"})
    other_key_type: Level = P
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("protocols", "suites", "groups", "signatures"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def protocol_level(self, protocol: str) -> Level:
        return self.protocols.get(protocol, X)

    def suite_level(self, code: int, protocol: str = "") -> Level:
        suite = suite_for(protocol, code)
        if suite.sslv2:
            return Level.INSUFFICIENT  # no policy allows SSL 2.0
        listed = self.suites.get(suite.name)
        return listed if listed is not None else self.suite_rule.level(suite)

    def group_level(self, code: int) -> Level:
        info = GROUP_INFO.get(code)
        listed = self.groups.get(info.label.lower()) if info else None
        return listed if listed is not None else self.group_rule.level(code)

    def signature_level(self, signature: str) -> Level:
        return self.signatures.get(signature, self.other_signature)

    def key_level(self, kind: str, bits: int) -> Level:
        """``kind`` rsa, dh or ec (ed25519/ed448 count as ec of 256/448 bits)."""
        known = kind in self.cert_key_types or kind == "dh"
        base = G if known else self.other_key_type
        steps = {"rsa": self.keys.rsa, "dh": self.keys.dh}.get(kind, self.keys.ec)
        return max(base, KeyRule.rate(bits, steps))


def levels(names: Iterable[str], level: Level) -> dict[str, Level]:
    """``{name: level}`` for every name: how the data modules write their lists."""
    return dict.fromkeys(names, level)
