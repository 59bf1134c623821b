# ROBOT, the Return Of Bleichenbacher's Oracle Threat (Böck, Somorovsky, Young, USENIX
# Security 2018), as sslyze and testssl.sh test it: build the probe bytes and judge the
# answers. Sans-I/O: the caller runs one connection per probe (net/deep/robot.py).
#
# The probe: a TLS <= 1.2 handshake with TLS_RSA_* suites up to the server's
# ServerHelloDone, then a ClientKeyExchange whose premaster secret is encrypted with the
# public key of the server's own certificate (the raw RSA operation, m^e mod n, on a
# message we pad ourselves), optionally followed by ChangeCipherSpec and a Finished the
# server cannot decrypt. Five paddings of a k-byte message (k = modulus length):
#   VALID                 00 02 | k-51 filler | 00 | client version | 46 PMS bytes
#   WRONG_FIRST_TWO_BYTES 41 17 | k-51 filler | 00 | client version | 46 PMS bytes
#   WRONG_POSITION_00     00 02 | k-51 filler | 11 | 46 PMS bytes | 00 11
#   NO_00_IN_THE_MIDDLE   00 02 | k-51 filler | 11 11 11 | 46 PMS bytes
#   WRONG_VERSION_NUMBER  00 02 | k-51 filler | 00 | 02 02 | 46 PMS bytes
# (filler and PMS bytes are never zero). A server without the oracle answers every
# variant alike (RFC 5246 7.4.7.1: a random premaster on bad padding, the failure shows at
# the Finished); a server whose answer (alert, close, reset, silence) depends on the
# padding is an oracle. An answer that came to the ClientKeyExchange alone, before the
# client sent its Finished, is told apart from the same answer after it ("alert
# bad_record_mac before the Finished"): answering some paddings at once and the others
# only after the Finished is an oracle too, whatever the alert.
#
# Judging (classify), as sslyze does: the same payload answered differently on repeats is
# INCONCLUSIVE; every payload answered alike is NOT_VULNERABLE; otherwise VULNERABLE, a
# weak oracle when the three broken paddings (first bytes, 0x00 position, no 0x00) are
# answered alike (only a well-formed message can be told apart), else a strong one.
# Nothing here raises for what the server sent.

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailtls.errors import TLSRecordError
from mailtls.proto.tls.records import RecordSplitter, build_record
from mailtls.proto.tls.registry.codes import AlertDescription, ContentType, HandshakeType
from mailtls.proto.tls.wire import u24, vec

PMS_BYTES = bytes.fromhex("aa") + bytes.fromhex("112233445566778899") * 5  # 46 bytes
FILLER = bytes.fromhex("abcd")
#: the smallest modulus the five messages fit in with 8 filler bytes (PKCS#1 v1.5 minimum)
MIN_MODULUS_BYTES = 51 + 8
#: an encrypted Finished the server cannot decrypt: 80 bytes (IV or nonce, blocks, MAC)
BOGUS_FINISHED = bytes((i * 37 + 11) % 251 + 1 for i in range(80))


class Payload(enum.Enum):
    """The five premaster paddings; the value says what is wrong in words."""

    VALID = "valid padding"
    WRONG_FIRST_TWO_BYTES = "wrong first two bytes"
    WRONG_POSITION_00 = "0x00 in the wrong position"
    NO_00_IN_THE_MIDDLE = "no 0x00 separator"
    WRONG_VERSION_NUMBER = "wrong version in the premaster"


class RobotVerdict(enum.Enum):
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE = "not vulnerable"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not applicable"  # no TLS_RSA_* suite accepted


class Oracle(enum.Enum):
    STRONG = "strong"
    WEAK = "weak"


@dataclass(frozen=True)
class RobotResult:
    verdict: RobotVerdict
    oracle: Oracle | None = None
    evidence: tuple[str, ...] = ()  # "payload: response" for each payload


def padded_premaster(payload: Payload, modulus_bytes: int, client_version: int) -> bytes:
    """The k-byte message to encrypt for ``payload`` (see the module comment)."""
    if modulus_bytes < MIN_MODULUS_BYTES:
        raise ValueError(f"an RSA modulus of {modulus_bytes} bytes is too small for ROBOT")
    filler = (FILLER * modulus_bytes)[: modulus_bytes - 51]
    version = client_version.to_bytes(2, "big")
    body = {
        Payload.VALID: b"\x00\x02" + filler + b"\x00" + version + PMS_BYTES,
        Payload.WRONG_FIRST_TWO_BYTES: b"\x41\x17" + filler + b"\x00" + version + PMS_BYTES,
        Payload.WRONG_POSITION_00: b"\x00\x02" + filler + b"\x11" + PMS_BYTES + b"\x00\x11",
        Payload.NO_00_IN_THE_MIDDLE: b"\x00\x02" + filler + b"\x11\x11\x11" + PMS_BYTES,
        Payload.WRONG_VERSION_NUMBER: b"\x00\x02" + filler + b"\x00\x02\x02" + PMS_BYTES,
    }[payload]
    assert len(body) == modulus_bytes
    return body


def rsa_encrypt_raw(message: bytes, modulus: int, exponent: int) -> bytes:
    """Textbook RSA, m^e mod n, as big-endian bytes of the modulus' length (no padding
    added: the message is already padded, correctly or not, on purpose)."""
    size = (modulus.bit_length() + 7) // 8
    m = int.from_bytes(message, "big")
    if m >= modulus:
        raise ValueError("the message is not smaller than the modulus")
    return pow(m, exponent, modulus).to_bytes(size, "big")


def client_key_exchange(ciphertext: bytes, version: int) -> bytes:
    """An RSA ClientKeyExchange record (TLS 1.0+: the ciphertext with a 2-byte length)."""
    body = vec(2, ciphertext)
    message = bytes([HandshakeType.CLIENT_KEY_EXCHANGE]) + u24(len(body)) + body
    return build_record(ContentType.HANDSHAKE, version, message)


def probe_bytes(
    payload: Payload,
    modulus: int,
    exponent: int,
    *,
    version: int,
    client_version: int,
    finish: bool,
) -> bytes:
    """What to send after the server's ServerHelloDone: the ClientKeyExchange for
    ``payload``, and with ``finish`` a ChangeCipherSpec and an undecryptable Finished.
    ``version``: the negotiated record version; ``client_version``: the ClientHello's."""
    size = (modulus.bit_length() + 7) // 8
    message = padded_premaster(payload, size, client_version)
    out = client_key_exchange(rsa_encrypt_raw(message, modulus, exponent), version)
    return out + finished_bytes(version) if finish else out


def finished_bytes(version: int) -> bytes:
    """A ChangeCipherSpec and a Finished the server cannot decrypt, in ``version`` records
    (what follows the ClientKeyExchange, at once or after a wait)."""
    ccs = build_record(ContentType.CHANGE_CIPHER_SPEC, version, b"\x01")
    return ccs + build_record(ContentType.HANDSHAKE, version, BOGUS_FINISHED)


def has_answer(reply: bytes) -> bool:
    """True once ``reply`` holds an alert, another record, or bytes that are no TLS."""
    try:
        return bool(RecordSplitter().feed(reply))
    except TLSRecordError:
        return True


def describe_reply(reply: bytes, ending: str, *, early: bool = False) -> str:
    """One comparable word or two for the server's answer: its first alert ("alert
    bad_record_mac"), else "records" (something other than an alert), "not TLS", or how
    the connection ended (``ending``: "closed", "reset", "timeout"); with ``early`` (it
    came before the client's Finished was sent) followed by "before the Finished"."""
    answer = _describe(reply, ending)
    return f"{answer} {BEFORE_FINISHED}" if early else answer


BEFORE_FINISHED = "before the Finished"


def _describe(reply: bytes, ending: str) -> str:
    try:
        records = RecordSplitter().feed(reply)
    except TLSRecordError:
        return "not TLS"
    for record in records:
        if record.content_type == ContentType.ALERT and len(record.fragment) >= 2:
            return f"alert {AlertDescription(record.fragment[1]).name.lower()}"
    if records:
        return "records"
    return ending


def classify(responses: Mapping[Payload, Sequence[str]]) -> RobotResult:
    """The verdict over each payload's responses (one per repeat); see the module comment."""
    if set(responses) != set(Payload) or any(not r for r in responses.values()):
        raise ValueError("classify needs at least one response for each of the five payloads")
    evidence = tuple(f"{p.value}: {' / '.join(dict.fromkeys(responses[p]))}" for p in Payload)
    if any(len(set(r)) > 1 for r in responses.values()):
        return RobotResult(RobotVerdict.INCONCLUSIVE, None, evidence)
    first = {p: r[0] for p, r in responses.items()}
    if len(set(first.values())) == 1:
        return RobotResult(RobotVerdict.NOT_VULNERABLE, None, evidence)
    broken = (Payload.WRONG_FIRST_TWO_BYTES, Payload.WRONG_POSITION_00, Payload.NO_00_IN_THE_MIDDLE)
    weak = len({first[p] for p in broken}) == 1
    return RobotResult(RobotVerdict.VULNERABLE, Oracle.WEAK if weak else Oracle.STRONG, evidence)
