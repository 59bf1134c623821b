"""Differential: mailtls's verdict equals cryptography's RFC 5280 validator on generated chains.

hypothesis builds chains with one generated defect (or none) and benign variations
(order, extra certificates, cross-signs during a root migration, key types, depth, CN
inside the SAN). For every chain:

- the verdict agrees: mailtls reports a critical certificate finding exactly when
  cryptography's validator rejects the chain (the validator builds its own paths over
  everything sent), except for mailtls's documented stricter rules, which are high or
  medium and so never make a verdict critical (weak key, weak signature, CN not in SAN);
- the primary cause is the generated defect.

CI draws a fixed set of examples (derandomized, see tests/conftest.py);
``MAILTLS_DIFF_EXAMPLES=5000`` explores more.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import random
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtls.model import Severity
from mailtls.verify import TrustStore, diagnose
from support.chains import DAY, NOW, Authority, cached_key

HOST = "mail.example.test"
DEFECTS = {
    None: None,
    "leaf_expired": "cert.expired",
    "leaf_not_yet_valid": "cert.not_yet_valid",
    "leaf_expired_by_a_second": "cert.expired",
    "intermediate_expired": "cert.expired",
    "anchor_expired": "cert.expired",
    "wrong_host": "cert.hostname_mismatch",
    "client_auth_only": "cert.not_for_server",
    "self_signed": "cert.self_signed",
    "unknown_root": "cert.untrusted",
    "missing_intermediate": "cert.chain_incomplete",
    "name_constraint_excluded": "cert.invalid",
    "name_constraint_not_permitted": "cert.invalid",
    "path_length_exceeded": "cert.invalid",
}
LEAF_KEYS = [("ec", 256), ("ec", 384), ("rsa", 2048), ("rsa", 1024)]


@dataclass
class Case:
    chain: list[x509.Certificate]
    anchors: tuple[x509.Certificate, ...]
    expect: str | None
    weak: bool


def _build(
    defect: str | None,
    depth: int,
    key: tuple[str, int],
    cross: bool,
    shuffle: int,
    extra: bool,
    cn_inside: bool,
    slot: int,
) -> Case:
    anchor_dates = {}
    if defect == "anchor_expired":
        anchor_dates = {"not_before": NOW - 900 * DAY, "not_after": NOW - 2 * DAY}
    root = Authority.root(f"Root {slot}", key=cached_key("ec", 256, 100 + slot), **anchor_dates)
    parents = [root]
    for i in range(depth):
        spec: dict[str, object] = {}
        if defect == "intermediate_expired" and i == depth - 1:
            spec = {"not_after": NOW - 3 * DAY, "not_before": NOW - 300 * DAY}
        if i == 0 and defect == "name_constraint_excluded":
            spec["excluded"] = ("example.test",)
        if i == 0 and defect == "name_constraint_not_permitted":
            spec["permitted"] = ("corp.test",)
        if i == 0 and defect != "name_constraint_not_permitted" and slot % 3 == 0:
            spec["permitted"] = ("example.test",)  # a constraint the leaf satisfies
        if i == 0 and defect == "path_length_exceeded":
            spec["path_length"] = 0
        parents.append(
            parents[-1].sub(f"CA {slot}.{i}", key=cached_key("ec", 256, 200 + i), **spec)
        )
    if defect == "path_length_exceeded":
        parents.append(parents[-1].sub(f"CA {slot}.x", key=cached_key("ec", 256, 250)))
    issuer = parents[-1]
    names = ("other.example.test",) if defect == "wrong_host" else (HOST, "mx.example.test")
    leaf_spec: dict[str, object] = {"cn": names[0] if cn_inside else "legacy.example.test"}
    if defect == "leaf_expired":
        leaf_spec.update(not_before=NOW - 100 * DAY, not_after=NOW - 20 * DAY)
    if defect == "leaf_expired_by_a_second":
        leaf_spec["not_after"] = NOW - dt.timedelta(seconds=1)
    if defect == "leaf_not_yet_valid":
        leaf_spec["not_before"] = NOW + 2 * DAY
    if defect == "client_auth_only":
        leaf_spec["eku"] = (ExtendedKeyUsageOID.CLIENT_AUTH,)
    leaf_key = cached_key(*key, slot % 2)
    if defect == "self_signed":
        leaf_auth = Authority.root(HOST, key=leaf_key, san=names)  # a self-signed CA-less leaf
        leaf = leaf_auth.cert
    else:
        leaf = issuer.leaf(names, key=leaf_key, **leaf_spec)
    sent = [p.cert for p in parents[1:]][::-1]
    anchors: tuple[x509.Certificate, ...] = (root.cert,)
    if cross and depth >= 1:
        # the first intermediate, also signed by an old root nobody trusts any more
        old_root = Authority.root(f"Old Root {slot}", key=cached_key("ec", 256, 300 + slot))
        sent.append(old_root.cross(parents[1]))
    if defect == "missing_intermediate":
        sent = [c for c in sent if c.subject != leaf.issuer]  # the leaf's issuer is not sent
    if defect == "unknown_root":
        if (
            depth == 0
        ):  # else a leaf whose issuer is unknown: a missing intermediate, for all we know
            sent.append(root.cert)
        anchors = (Authority.root("Somebody Else", key=cached_key("ec", 256, 400)).cert,)
    if extra:
        sent.append(
            Authority.root(f"Extra {slot}", key=cached_key("ec", 256, 500)).sub("Extra CA").cert
        )
    random.Random(shuffle).shuffle(sent)
    expect = DEFECTS[defect]
    if defect == "missing_intermediate" and depth == 0:
        expect = None  # nothing to leave out: the leaf is issued by the root itself
    return Case([leaf, *sent], anchors, expect, key == ("rsa", 1024))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    defect = draw(st.sampled_from(list(DEFECTS)))
    depth = draw(st.integers(0, 3))
    if defect in (
        "intermediate_expired",
        "name_constraint_excluded",
        "name_constraint_not_permitted",
        "path_length_exceeded",
    ):
        depth = max(depth, 1)
    return _build(
        defect,
        depth,
        draw(st.sampled_from(LEAF_KEYS)),
        draw(st.booleans()),
        draw(st.integers(0, 1000)),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.integers(0, 5)),
    )


def cryptography_accepts(case: Case) -> bool:
    builder = verification.PolicyBuilder().store(verification.Store(list(case.anchors))).time(NOW)
    try:
        name: verification.Subject = x509.IPAddress(ipaddress.ip_address(HOST))
    except ValueError:
        name = verification.DNSName(HOST)
    try:
        builder.build_server_verifier(name).verify(case.chain[0], case.chain[1:])
    except verification.VerificationError:
        return False
    return True


EXAMPLES = int(os.environ.get("MAILTLS_DIFF_EXAMPLES", "600"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_verdict_and_primary_cause_agree_with_cryptography(case: Case) -> None:
    d = diagnose(case.chain, HOST, TrustStore("generated", case.anchors), NOW)
    critical = [f.id for f in d.findings if f.severity >= Severity.CRITICAL]
    assert (not critical) == cryptography_accepts(case), (critical, case.expect)
    if case.expect is None:
        assert not critical, critical
        assert ("cert.weak_key" in [f.id for f in d.findings]) is case.weak
    else:
        assert d.primary is not None and d.primary.id == case.expect, [f.id for f in d.findings]
