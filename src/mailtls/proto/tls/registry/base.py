# Open enumerations: IANA code points as IntEnum members that also accept values nobody has
# named yet (dnspython's habit). Rules:
# - Cls(value) returns the named member when there is one.
# - Any other value in range returns a pseudo-member (not added to the class) whose name is
#   GREASE_0x0a0a for a GREASE value (RFC 8701) and UNKNOWN_0x1234 otherwise; it compares
#   and hashes equal to its int value, so unknown code points round-trip unchanged.
# - Values out of range (negative, wider than the field) raise ValueError, as IntEnum does.

from __future__ import annotations

import enum
from typing import Any

GREASE_16 = tuple(0x0A0A + 0x1010 * i for i in range(16))
GREASE_8 = tuple(0x0B + 0x1F * i for i in range(8))  # psk_key_exchange_modes, RFC 8701


def is_grease(value: int) -> bool:
    """A 16-bit GREASE value (0x?A?A with equal bytes) of RFC 8701."""
    return value in GREASE_16


class OpenIntEnum(enum.IntEnum):
    """An IntEnum that accepts unknown values of its field width (``_bits_``, default 16)."""

    @classmethod
    def _bits(cls) -> int:
        return 16

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or not 0 <= value < 1 << cls._bits():
            return None
        digits = cls._bits() // 4
        prefix = "GREASE" if cls._bits() == 16 and is_grease(value) else "UNKNOWN"
        member = int.__new__(cls, value)
        member._name_ = f"{prefix}_0x{value:0{digits}x}"
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """True for a named code point, False for GREASE and unknown values."""
        return self._name_ in type(self).__members__

    @property
    def grease(self) -> bool:
        return type(self)._bits() == 16 and is_grease(int(self))


class OpenInt8Enum(OpenIntEnum):
    """An OpenIntEnum of a one-byte field."""

    @classmethod
    def _bits(cls) -> int:
        return 8
