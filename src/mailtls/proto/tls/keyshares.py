# key_share entries a probe can send without doing any cryptography (RFC 8446 4.2.8).
#
# The probe never completes a TLS 1.3 key exchange; it only needs a share the server accepts
# so that it answers with a ServerHello instead of an alert. Rules:
# - x25519 / x448: any 32 / 56 bytes are a valid public value (RFC 7748), so random bytes.
# - secp256r1 / secp384r1: the curve's generator point G (uncompressed, 0x04 || x || y), the
#   public key of private key 1: on the curve, not the point at infinity.
# - ffdhe*: the value 2 left-padded to the prime's length: 1 < 2 < p-1 and, with RFC 7919's
#   safe primes, 2 lies in the prime-order subgroup.
# - ML-KEM encapsulation keys: the zero vector t (every coefficient 0 < q passes the FIPS 203
#   modulus check) followed by a random 32-byte rho; hybrids concatenate as the drafts say
#   (X25519MLKEM768 = ML-KEM || X25519; SecP256r1MLKEM768 / SecP384r1MLKEM1024 = ECDH || ML-KEM).
# Other groups raise ValueError: offer them in supported_groups only, and the server answers
# with a HelloRetryRequest naming the group it wants, which is all the probe needs to learn.

from __future__ import annotations

from collections.abc import Callable

from mailtls.proto.tls.registry.groups import GROUP_INFO, NamedGroup

Entropy = Callable[[int], bytes]

P256_G = bytes.fromhex(
    "04"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
P384_G = bytes.fromhex(
    "04"
    "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e38"
    "72760ab7"
    "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c"
    "90ea0e5f"
)
_MLKEM_T_BYTES = {512: 768, 768: 1152, 1024: 1536}


def mlkem_key(level: int, entropy: Entropy) -> bytes:
    """An ML-KEM-<level> encapsulation key that passes the modulus check."""
    return bytes(_MLKEM_T_BYTES[level]) + entropy(32)


def key_share(group: int, entropy: Entropy) -> bytes:
    """The key_exchange bytes of a KeyShareEntry for ``group``; ValueError if we cannot."""
    g = NamedGroup(group)
    builders: dict[int, Callable[[], bytes]] = {
        NamedGroup.X25519: lambda: entropy(32),
        NamedGroup.X448: lambda: entropy(56),
        NamedGroup.SECP256R1: lambda: P256_G,
        NamedGroup.SECP384R1: lambda: P384_G,
        NamedGroup.MLKEM512: lambda: mlkem_key(512, entropy),
        NamedGroup.MLKEM768: lambda: mlkem_key(768, entropy),
        NamedGroup.MLKEM1024: lambda: mlkem_key(1024, entropy),
        NamedGroup.X25519MLKEM768: lambda: mlkem_key(768, entropy) + entropy(32),
        NamedGroup.SECP256R1MLKEM768: lambda: P256_G + mlkem_key(768, entropy),
        NamedGroup.SECP384R1MLKEM1024: lambda: P384_G + mlkem_key(1024, entropy),
        NamedGroup.X25519KYBER768DRAFT00: lambda: entropy(32) + mlkem_key(768, entropy),
        NamedGroup.SECP256R1KYBER768DRAFT00: lambda: P256_G + mlkem_key(768, entropy),
    }
    if g in builders:
        return builders[g]()
    info = GROUP_INFO.get(int(g))
    if info is not None and info.family == "ff":
        return (2).to_bytes(info.share_size, "big")
    raise ValueError(f"no key share can be built for group {g.name}")


def can_share(group: int) -> bool:
    try:
        key_share(group, lambda n: bytes(n))
    except ValueError:
        return False
    return True
