"""DNSSEC validation from a trust anchor down to one name: secure, insecure, bogus.

RFC 4033-4035 (with RFC 5155 for NSEC3). The validator walks from the closest trust anchor
(the root's KSKs by default, or ``--trust-anchor FILE``) down the name's labels:

* the anchor's DNSKEY RRset must hold a key matching the anchor (DS digest or the DNSKEY
  itself) and be signed by it;
* at each label below, a DS query: a signed DS RRset is a secure delegation (the child's
  DNSKEY RRset must hold a key matching a DS and be signed by it); a signed denial whose
  NSEC/NSEC3 at that name shows NS without DS (or an opt-out NSEC3 covering it) is an
  insecure delegation, and everything below is insecure; any other signed denial means
  no zone cut there;
* the answer itself must be signed by the deepest secure zone's keys, and a NODATA or
  NXDOMAIN answer from a secure zone must carry signed NSEC/NSEC3 records.

Anything that should be signed and is not, or whose signature does not verify at ``now``
(injected), is bogus, with the reason. Limits (docs/domain.md): denial proofs are checked
for their signatures and, for the name itself, their type bitmaps; the closest-encloser
and wildcard proofs of RFC 5155 section 8 are not computed. Queries go through ``query``
(mailtls.net.dns in real use, a replay in unit tests): this module does no I/O itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import dns.dnssec
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zonefile

SECURE, INSECURE, BOGUS, INDETERMINATE = "secure", "insecure", "bogus", "indeterminate"
_RANK = {SECURE: 0, INSECURE: 1, INDETERMINATE: 2, BOGUS: 3}

# reasons: UI strings of the catalogue part "domain" (translated as the param dnssec_reason)
R_NO_ANCHOR = "no trust anchor covers the name"
R_ANCHOR_KEY = "no DNSKEY of the zone matches the trust anchor"
R_DS_MISMATCH = "no DNSKEY of the zone matches its DS records in the parent"
R_KEYS_SIGNATURE = "the DNSKEY records are not validly signed by the key the DS names"
R_NO_SIGNATURE = "the records carry no signature although the zone is signed"
R_BAD_SIGNATURE = "no signature over the records verifies with the zone's keys"
R_NO_DENIAL = "an empty answer from a signed zone carries no NSEC/NSEC3 proof"
R_BAD_DENIAL = "the NSEC/NSEC3 proof of an empty answer is not validly signed"
R_UNSIGNED = "an unsigned delegation (no DS in the parent)"
R_LOOKUP = "the query failed"

#: The root zone's KSK-2017 and KSK-2024 (https://data.iana.org/root-anchors/root-anchors.xml)
ROOT_ANCHORS = """\
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
"""

QueryFn = Callable[[dns.name.Name, dns.rdatatype.RdataType], dns.message.Message]
_DS, _DNSKEY = dns.rdatatype.DS, dns.rdatatype.DNSKEY
_NSEC, _NSEC3, _CNAME = dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.CNAME
_RRSIG, _NS = dns.rdatatype.RRSIG, dns.rdatatype.NS


class AnchorError(ValueError):
    """A trust anchor text that is not DS/DNSKEY records in zone-file form."""


def parse_anchors(text: str, source: str = "--trust-anchor") -> list[dns.rrset.RRset]:
    """DS and DNSKEY records in zone-file form (absolute owner names), nothing else."""
    try:
        rrsets = dns.zonefile.read_rrsets(text, default_ttl=0, origin=dns.name.root, rdclass=None)
    except (dns.exception.DNSException, ValueError) as exc:
        raise AnchorError(f"{source}: not DS/DNSKEY records in zone-file form ({exc})") from None
    kept = [r for r in rrsets if r.rdtype in (_DS, _DNSKEY)]
    other = [r for r in rrsets if r.rdtype not in (_DS, _DNSKEY)]
    if other:
        kind = dns.rdatatype.to_text(other[0].rdtype)
        raise AnchorError(f"{source}: {other[0].name} {kind}: only DS and DNSKEY are anchors")
    if not kept:
        raise AnchorError(f"{source}: no DS or DNSKEY record found")
    return kept


@dataclass(frozen=True)
class ZoneState:
    """Where the walk stands: the zone reached, its keys when secure, the reason otherwise."""

    status: str
    zone: dns.name.Name
    keys: dns.rrset.RRset | None = None
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    """One lookup: the records (None: no such data), their status and why, where decided."""

    name: str
    rdtype: str
    status: str
    rrset: dns.rrset.RRset | None
    reason: str = ""
    zone: str = ""
    nxdomain: bool = False
    cnames: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(r.to_text() for r in self.rrset) if self.rrset is not None else ()


def worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: _RANK[s])


class Validator:
    """Validates lookups from ``anchors``; queries are cached for the validator's life."""

    def __init__(self, query: QueryFn, anchors: Sequence[dns.rrset.RRset], now: float) -> None:
        self._query = query
        self._now = now
        self._anchors: dict[dns.name.Name, list[dns.rrset.RRset]] = {}
        for a in anchors:
            self._anchors.setdefault(a.name, []).append(a)
        self._messages: dict[tuple[dns.name.Name, int], dns.message.Message] = {}
        self._zones: dict[dns.name.Name, ZoneState] = {}

    def _ask(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        key = (name, int(rdtype))
        if key not in self._messages:
            self._messages[key] = self._query(name, rdtype)
        return self._messages[key]

    # --- signatures -------------------------------------------------------------------
    def _verify(
        self, msg: dns.message.Message, rrset: dns.rrset.RRset, section: str, state: ZoneState
    ) -> str:
        """'' when ``rrset`` is validly signed by the zone's keys, the reason otherwise."""
        sigs = msg.find_rrset(
            getattr(msg, section), rrset.name, rrset.rdclass, _RRSIG, rrset.rdtype, create=True
        )
        if not sigs:
            return R_NO_SIGNATURE
        assert state.keys is not None
        try:
            dns.dnssec.validate(rrset, sigs, {state.zone: state.keys}, now=self._now)
        except (dns.exception.ValidationFailure, dns.exception.DNSException, ValueError):
            return R_BAD_SIGNATURE
        return ""

    def _keys_matching(
        self, name: dns.name.Name, keys: dns.rrset.RRset, refs: Iterable[dns.rrset.RRset]
    ) -> list[dns.rdata.Rdata]:
        found = []
        for key in keys:
            for ref in refs:
                for r in ref:
                    same = r.rdtype == _DNSKEY and r == key
                    if same or (r.rdtype == _DS and _ds_matches(name, key, r)):
                        found.append(key)
        return found

    def _zone_keys(
        self, name: dns.name.Name, refs: Sequence[dns.rrset.RRset], mismatch: str
    ) -> ZoneState:
        """The zone's DNSKEY RRset, secure when a key matching ``refs`` signs it."""
        msg = self._ask(name, _DNSKEY)
        keys = msg.get_rrset(msg.answer, name, dns.rdataclass.IN, _DNSKEY)
        if keys is None:
            return ZoneState(BOGUS, name, None, mismatch)
        matched = self._keys_matching(name, keys, refs)
        if not matched:
            return ZoneState(BOGUS, name, None, mismatch)
        trusted = dns.rrset.from_rdata_list(name, keys.ttl, matched)
        reason = self._verify(msg, keys, "answer", ZoneState(SECURE, name, trusted))
        if reason:
            return ZoneState(BOGUS, name, None, R_KEYS_SIGNATURE)
        return ZoneState(SECURE, name, keys)

    # --- the walk -----------------------------------------------------------------------
    def zone_of(self, name: dns.name.Name) -> ZoneState:
        """The status of the zone that holds ``name``, walking from the closest anchor."""
        covering = [a for a in self._anchors if name.is_subdomain(a)]
        if not covering:
            return ZoneState(INSECURE, dns.name.root, None, R_NO_ANCHOR)
        anchor = max(covering, key=lambda a: len(a.labels))
        if anchor not in self._zones:
            self._zones[anchor] = self._zone_keys(anchor, self._anchors[anchor], R_ANCHOR_KEY)
        state = self._zones[anchor]
        for depth in range(len(anchor.labels) + 1, len(name.labels) + 1):
            if state.status != SECURE:
                return state
            child = name.split(depth)[1]
            if child not in self._zones:
                self._zones[child] = self._step(state, child)
            if self._zones[child].status == "nxdomain":
                return state
            state = self._zones[child] if self._zones[child].status else state
        return state

    def _step(self, parent: ZoneState, child: dns.name.Name) -> ZoneState:
        """The state below ``child``'s label: a new zone, the same zone (status ''), or worse."""
        msg = self._ask(child, _DS)
        ds = msg.get_rrset(msg.answer, child, dns.rdataclass.IN, _DS)
        if ds is not None:
            reason = self._verify(msg, ds, "answer", parent)
            if reason:
                return ZoneState(BOGUS, child, None, reason)
            return self._zone_keys(child, [ds], R_DS_MISMATCH)
        reason = self._denial(msg, parent)
        if reason:
            return ZoneState(BOGUS, child, None, reason)
        if _unsigned_delegation(msg, child):
            return ZoneState(INSECURE, child, None, R_UNSIGNED)
        if msg.rcode() == dns.rcode.NXDOMAIN:
            return ZoneState("nxdomain", child)
        return ZoneState("", child)

    def _denial(self, msg: dns.message.Message, state: ZoneState) -> str:
        proofs = [r for r in msg.authority if r.rdtype in (_NSEC, _NSEC3)]
        if not proofs:
            return R_NO_DENIAL
        for proof in proofs:
            if self._verify(msg, proof, "authority", state):
                return R_BAD_DENIAL
        return ""

    # --- lookups ------------------------------------------------------------------------
    def lookup(self, name: str | dns.name.Name, rdtype: str, _depth: int = 0) -> Answer:
        """The records of ``name``/``rdtype`` (following CNAMEs) with their status."""
        qname = dns.name.from_text(name) if isinstance(name, str) else name
        qtype = dns.rdatatype.from_text(rdtype)
        text = qname.to_text()
        try:
            state = self.zone_of(qname)
            msg = self._ask(qname, qtype)
        except Exception as exc:  # the transport's errors; the walk's parse surprises
            return Answer(text, rdtype, INDETERMINATE, None, f"{R_LOOKUP}: {exc}")
        zone = state.zone.to_text()
        if msg.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            reason = f"{R_LOOKUP}: {dns.rcode.to_text(msg.rcode())}"
            return Answer(text, rdtype, INDETERMINATE, None, reason, zone)
        rrset = msg.get_rrset(msg.answer, qname, dns.rdataclass.IN, qtype)
        cname = msg.get_rrset(msg.answer, qname, dns.rdataclass.IN, _CNAME)
        data = rrset if rrset is not None else cname
        if data is not None:
            reason = self._verify(msg, data, "answer", state) if state.status == SECURE else ""
            status = BOGUS if reason else state.status
            if rrset is None and cname is not None and _depth < 8 and not reason:
                target = self.lookup(cname[0].target, rdtype, _depth + 1)
                return Answer(text, rdtype, worst(status, target.status), target.rrset,
                              target.reason or state.reason, target.zone, target.nxdomain,
                              (target.name, *target.cnames))  # fmt: skip
            return Answer(text, rdtype, status, rrset, reason or state.reason, zone)
        nx = msg.rcode() == dns.rcode.NXDOMAIN
        if state.status != SECURE:
            return Answer(text, rdtype, state.status, None, state.reason, zone, nx)
        reason = self._denial(msg, state)
        return Answer(text, rdtype, BOGUS if reason else SECURE, None, reason, zone, nx)


def _ds_matches(name: dns.name.Name, key: dns.rdata.Rdata, ds: dns.rdata.Rdata) -> bool:
    try:
        made = dns.dnssec.make_ds(name, key, ds.digest_type)  # type: ignore[attr-defined]
    except (dns.exception.UnsupportedAlgorithm, ValueError):
        return False
    return bool(made == ds)


def _unsigned_delegation(msg: dns.message.Message, child: dns.name.Name) -> bool:
    """A denial proving NS without DS at ``child`` (NSEC, NSEC3, or an opt-out NSEC3)."""
    opt_out = False
    for rrset in msg.authority:
        if rrset.rdtype == _NSEC and rrset.name == child:
            types = _bitmap(rrset[0])
            return _NS in types and _DS not in types and dns.rdatatype.SOA not in types
        if rrset.rdtype == _NSEC3:
            for r in rrset:
                hashed = dns.dnssec.nsec3_hash(child, r.salt, r.iterations, r.algorithm)
                if rrset.name.labels[0].decode().upper() == hashed.upper():
                    types = _bitmap(r)
                    return _NS in types and _DS not in types and dns.rdatatype.SOA not in types
                opt_out = opt_out or bool(r.flags & 1)
    return opt_out and msg.rcode() != dns.rcode.NXDOMAIN  # an opt-out span covers the name


def _bitmap(rdata: dns.rdata.Rdata) -> set[int]:
    found: set[int] = set()
    for window, bits in rdata.windows:  # type: ignore[attr-defined]
        for i, byte in enumerate(bits):
            for j in range(8):
                if byte & (0x80 >> j):
                    found.add(window * 256 + i * 8 + j)
    return found
