# Well-known finite-field Diffie-Hellman groups, recognised by their prime.
#
# The primes are not typed in: both families are defined by a formula over a constant
# (RFC 2409 6.1/6.2 and RFC 3526: pi; RFC 7919 appendix A: e):
#     p = 2^N - 2^(N-64) - 1 + 2^64 * (floor(2^(N-130) * C) + offset)
# so we compute them once, exactly, with integers. Tests check every prime against OpenSSL's
# built-in copies (``openssl genpkey -genparam -pkeyopt group:...``) and check that each is a
# safe prime. Apache httpd's defaults are these RFC 2409/3526 groups (the 1024-bit "Oakley
# group 2" by default up to 2.4.6, sized to the key since); nginx has no default group.

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

_PI_OFFSETS = {
    768: ("Oakley group 1 (RFC 2409)", 149686),
    1024: ("Oakley group 2 (RFC 2409)", 129093),
    1536: ("MODP group 5 (RFC 3526)", 741804),
    2048: ("MODP group 14 (RFC 3526)", 124476),
    3072: ("MODP group 15 (RFC 3526)", 1690314),
    4096: ("MODP group 16 (RFC 3526)", 240904),
    6144: ("MODP group 17 (RFC 3526)", 929484),
    8192: ("MODP group 18 (RFC 3526)", 4743158),
}
_E_OFFSETS = {
    2048: ("ffdhe2048 (RFC 7919)", 560316),
    3072: ("ffdhe3072 (RFC 7919)", 2625351),
    4096: ("ffdhe4096 (RFC 7919)", 5736041),
    6144: ("ffdhe6144 (RFC 7919)", 15705020),
    8192: ("ffdhe8192 (RFC 7919)", 10965728),
}
_GUARD = 64


@dataclass(frozen=True)
class DHGroup:
    name: str
    bits: int
    prime: int


def _arctan_inv(x: int, bits: int) -> int:
    """arctan(1/x) * 2^bits, by its Taylor series."""
    one = 1 << bits
    term = one // x
    total, n, sign = term, 1, 1
    x2 = x * x
    while term:
        term //= x2
        n += 2
        sign = -sign
        total += sign * (term // n)
    return total


def _pi_fixed(bits: int) -> int:
    """floor(pi * 2^bits), via Machin's formula."""
    b = bits + _GUARD
    pi = 16 * _arctan_inv(5, b) - 4 * _arctan_inv(239, b)
    return pi >> _GUARD


def _e_fixed(bits: int) -> int:
    """floor(e * 2^bits), via the series sum 1/k!."""
    b = bits + _GUARD
    term, total, k = 1 << b, 0, 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> _GUARD


def _prime(n: int, constant: int, offset: int) -> int:
    return (1 << n) - (1 << (n - 64)) - 1 + ((constant + offset) << 64)


@cache
def well_known_groups() -> dict[int, DHGroup]:
    """Prime -> DHGroup for every RFC 2409, RFC 3526 and RFC 7919 group."""
    groups: dict[int, DHGroup] = {}
    for table, fixed in ((_PI_OFFSETS, _pi_fixed), (_E_OFFSETS, _e_fixed)):
        for n, (name, offset) in table.items():
            p = _prime(n, fixed(n - 130), offset)
            groups[p] = DHGroup(name, n, p)
    return groups


def identify(prime: int) -> DHGroup | None:
    """The well-known group with this prime, or None (a custom or generated group)."""
    return well_known_groups().get(prime)
