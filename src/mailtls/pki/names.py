"""Names a development CA may vouch for, and the checks a name passes before it is issued.

A name given on the command line becomes a :class:`Name`: an IP address, or a DNS name in
its ASCII form (IDNA, UTS 46, through the ``idna`` package) with at most one wildcard, the
whole left-most label. The permitted set (:class:`Permitted`) is what the CA's name
constraints say; the same object builds the X.509 extension and answers "may this CA
vouch for that name?" before anything is signed, so a refusal names its reason instead
of surfacing later as a client's generic "permitted subtree violation".

Every refusal is a :class:`NameRefused` with an error id and a catalogue message
(``catalog/parts/devcert.py``), filled in by the CLI in the user's language.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import idna
from cryptography import x509

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

#: DNS subtrees permitted by default (a subtree covers the name and every name below it).
DEFAULT_DNS: tuple[str, ...] = ("test", "localhost", "internal", "home.arpa")
#: IP ranges permitted by default: loopback and the private ranges.
DEFAULT_IP: tuple[str, ...] = (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7",
)
MAX_NAMES = 100
_LOOKS_IP = re.compile(r"^[0-9.]+$|:")


class NameRefused(ValueError):
    """A name (or a --permit value) that cannot be used; ``message`` is a catalogue msgid."""

    def __init__(self, error_id: str, message: str, **params: str) -> None:
        super().__init__(message.format(**params))
        self.error_id = error_id
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Name:
    """One subjectAltName: ``ip`` for an address, else ``dns`` (ASCII, lower case)."""

    given: str
    dns: str | None = None
    ip: IPAddr | None = None

    @property
    def text(self) -> str:
        return str(self.ip) if self.ip is not None else str(self.dns)

    @property
    def wildcard(self) -> bool:
        return self.dns is not None and self.dns.startswith("*.")

    def general_name(self) -> x509.GeneralName:
        if self.ip is not None:
            return x509.IPAddress(self.ip)
        return x509.DNSName(str(self.dns))

    def file_stem(self) -> str:
        """The file name for this name's certificate (``*`` becomes ``_wildcard``)."""
        return self.text.replace("*", "_wildcard")


def _ip(raw: str) -> IPAddr:
    text = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    try:
        if "%" in text:  # a zone (fe80::1%eth0) means nothing outside this machine
            raise ValueError(text)
        return ipaddress.ip_address(text)
    except ValueError:
        raise NameRefused("devcert.bad_ip", "{name}: not a valid IP address", name=raw) from None


def _ascii(raw: str, label_text: str) -> str:
    """``label_text`` (no wildcard) in its IDNA ASCII form, UTS 46 mapping applied."""
    try:
        return idna.encode(label_text, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise NameRefused("devcert.bad_idna",
                          "{name}: not a valid host name (IDNA, UTS 46): {reason}",
                          name=raw, reason=str(exc)) from None


def _dns(raw: str) -> str:
    text = raw.rstrip(".") if raw.endswith(".") and not raw.endswith("..") else raw
    if "*" not in text:
        return _ascii(raw, text)
    labels = text.split(".")
    if labels[0] != "*" or "*" in ".".join(labels[1:]):
        raise NameRefused("devcert.wildcard_misplaced",
                          "{name}: a wildcard must be the whole left-most label, "
                          "as in *.mail.test", name=raw)
    if len(labels) < 3:
        raise NameRefused("devcert.wildcard_too_wide",
                          "{name}: a wildcard needs at least two labels after it "
                          "(*.mail.test); clients ignore it otherwise", name=raw)
    return "*." + _ascii(raw, ".".join(labels[1:]))


def parse_name(raw: str) -> Name:
    """The :class:`Name` for one command-line word, or :class:`NameRefused` saying why."""
    text = raw.strip()
    if not text:
        raise NameRefused("devcert.empty_name", "an empty name was given")
    if _LOOKS_IP.search(text):
        return Name(raw, ip=_ip(text))
    return Name(raw, dns=_dns(text))


def parse_names(raws: Sequence[str]) -> list[Name]:
    """Every name, each checked, duplicates (after IDNA) dropped; at most MAX_NAMES."""
    if not raws:
        raise NameRefused("devcert.no_names", "give at least one name to issue for")
    names = list({n.text: n for n in map(parse_name, raws)}.values())
    if len(names) > MAX_NAMES:
        raise NameRefused("devcert.too_many_names",
                          "{count} names given; a certificate holds at most {limit}",
                          count=str(len(names)), limit=str(MAX_NAMES))
    return names


@dataclass(frozen=True)
class Permitted:
    """The names a CA may vouch for: DNS subtrees and IP ranges (its name constraints)."""

    dns: tuple[str, ...]
    ip: tuple[IPNetwork, ...]

    @classmethod
    def build(cls, extra: Iterable[str] = ()) -> Permitted:
        """The defaults plus each ``--permit`` value (``.dev.example.com``, ``10.1.0.0/16``)."""
        dns, ip = list(DEFAULT_DNS), [ipaddress.ip_network(n) for n in DEFAULT_IP]
        for raw in extra:
            item = _permit_item(raw)
            if isinstance(item, str):
                dns.append(item)
            else:
                ip.append(item)
        return cls(tuple(dict.fromkeys(dns)), tuple(dict.fromkeys(ip)))

    @classmethod
    def from_extension(cls, nc: x509.NameConstraints) -> Permitted:
        """The permitted set a CA certificate's name constraints state."""
        dns: list[str] = []
        ip: list[IPNetwork] = []
        for sub in nc.permitted_subtrees or ():
            if isinstance(sub, x509.DNSName):
                dns.append(sub.value)
            elif isinstance(sub, x509.IPAddress) and not isinstance(
                sub.value, ipaddress.IPv4Address | ipaddress.IPv6Address
            ):
                ip.append(sub.value)
        return cls(tuple(dns), tuple(ip))

    def extension(self) -> x509.NameConstraints:
        subtrees: list[x509.GeneralName] = [x509.DNSName(d) for d in self.dns]
        subtrees += [x509.IPAddress(n) for n in self.ip]
        return x509.NameConstraints(permitted_subtrees=subtrees, excluded_subtrees=None)

    def allows(self, name: Name) -> bool:
        if name.ip is not None:
            return any(name.ip.version == n.version and name.ip in n for n in self.ip)
        host = str(name.dns).removeprefix("*.")
        return any(host == d or host.endswith("." + d) for d in self.dns)

    def describe(self) -> str:
        return ", ".join([*self.dns, *(str(n) for n in self.ip)])

    def check(self, names: Iterable[Name]) -> None:
        """NameRefused for the first name the CA could not vouch for."""
        for name in names:
            if not self.allows(name):
                raise NameRefused(
                    "devcert.name_not_permitted",
                    "{name}: this development CA cannot vouch for it: its name constraints "
                    "permit only {permitted} (add a subtree with devcert init --permit)",
                    name=name.given, permitted=self.describe())


def _permit_item(raw: str) -> str | IPNetwork:
    text = raw.strip()
    base = text.strip(".")
    if not base:
        raise NameRefused("devcert.permit_everything",
                          "--permit {name}: would permit every name", name=raw)
    if re.fullmatch(r"[0-9./]+", text) or ":" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise NameRefused("devcert.bad_permit", "--permit {name}: not a valid IP range",
                              name=raw) from None
        if net.prefixlen == 0:
            raise NameRefused("devcert.permit_everything",
                              "--permit {name}: would permit every name", name=raw)
        return net
    if "*" in base:
        raise NameRefused("devcert.bad_permit",
                          "--permit {name}: give a domain such as .dev.example.com, "
                          "without a wildcard", name=raw)
    return _ascii(raw, base)
